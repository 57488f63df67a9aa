// The backup record's u64s go through the JSON mapping every document uses: written as "0x…" (version 2),
// read back exactly; version 1 records (decimal strings) still read, anything else is refused.
import { BACKUP_VERSION, crc32, decodeBackup, encodeBackup, type BackupRecord } from '../../src/replace/backup';
import { thrownBy } from '../support/errors';

const record: BackupRecord = {
  target: { path: new Uint8Array(Buffer.from('/dev/pmem0')), size: (1n << 64n) - 1n, dev: 0x10300n, ino: 1n << 60n },
  offset: 0n,
  nsBase: 0x140100000n,
  nsSize: 0x10000000n,
  created: '2026-12-06T00:00:00.000Z',
  from: 'legacy',
  to: 'map',
  head: new Uint8Array(8192).fill(0x5a),
  intendedCrc32: 0x12345678,
};

const headerOf = (bytes: Uint8Array): Record<string, unknown> =>
  JSON.parse(Buffer.from(bytes).toString('utf8').split('\n')[0] ?? '') as Record<string, unknown>;

/** A record sealed as the writer seals it, with `edit` applied to its header first. */
function resealed(edit: (h: Record<string, unknown>) => void): Buffer {
  const [, b64 = ''] = Buffer.from(encodeBackup(record)).toString('utf8').split('\n');
  const h = headerOf(encodeBackup(record));
  edit(h);
  const body = Buffer.from(`${JSON.stringify(h)}\n${b64}\n`);
  return Buffer.concat([body, Buffer.from(`crc32 ${crc32(body).toString(16).padStart(8, '0')}\n`)]);
}

test('u64s are written as "0x…" strings, and the record reads back exactly', () => {
  const bytes = encodeBackup(record);
  const h = headerOf(bytes);
  expect(h['version']).toBe(BACKUP_VERSION);
  expect(h).toMatchObject({
    target: { size: '0xffffffffffffffff', dev: '0x10300', ino: '0x1000000000000000' },
    offset: '0x0',
    ns_base: '0x140100000',
    ns_size: '0x10000000',
  });
  expect(decodeBackup(bytes)).toEqual({ ...record, target: { ...record.target, path: Buffer.from('/dev/pmem0') } });
});

test('a version 1 record, u64s as decimal strings, still reads', () => {
  const v1 = resealed((h) => {
    h['version'] = 1;
    h['ns_base'] = '5369757696';
    (h['target'] as Record<string, unknown>)['size'] = '18446744073709551615';
  });
  const r = decodeBackup(v1);
  expect(r.nsBase).toBe(0x140100000n);
  expect(r.target.size).toBe((1n << 64n) - 1n);
});

test.each([
  ['a u64 above 2^64 - 1', (h: Record<string, unknown>) => (h['ns_size'] = '18446744073709551616')],
  ['uppercase hex', (h: Record<string, unknown>) => (h['ns_size'] = '0x1000000A')],
  ['a negative value', (h: Record<string, unknown>) => (h['offset'] = '-1')],
  ['an unknown version', (h: Record<string, unknown>) => (h['version'] = 3)],
])('%s is refused as a damaged backup', (_what, edit) => {
  expect(thrownBy(() => decodeBackup(resealed(edit)))).toMatchObject({ code: 'backup' });
});
