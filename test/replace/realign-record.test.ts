// The realignment's backup record writes its u64s as the info-block backup does ("0x…", record version 2,
// through the replace layer's recordU64 on reading); version 1 records (decimal strings) still read.
import { crc32 } from '../../src/replace/backup';
import {
  REALIGN_BACKUP_VERSION,
  decodeRealignRecord,
  encodeRealignRecord,
  type RealignRecord,
} from '../../src/migrate/realign-backup';
import { thrownBy } from '../support/errors';

const record: RealignRecord = {
  target: { path: new Uint8Array(Buffer.from('/img/dimm.img')), size: (1n << 64n) - 1n, dev: 0x803n, ino: 1n << 60n },
  created: '2026-12-06T00:00:00.000Z',
  labelSize: 0x20000n,
  namespaces: [
    {
      uuid: '1d0e1a52-6fa1-4d3c-9b6f-2f1a0bb0e7a1',
      dpa: 0x100000n,
      size: 0x40000000n,
      newDpa: 0x200000n,
      newSize: 0x3fe00000n,
    },
  ],
  writes: [
    { what: 'label', position: 0x1000n, original: new Uint8Array(256).fill(1), intended: new Uint8Array(256).fill(2) },
  ],
};

const headerOf = (bytes: Uint8Array): Record<string, unknown> =>
  JSON.parse(Buffer.from(bytes).toString('utf8').split('\n')[0] ?? '') as Record<string, unknown>;

function resealed(edit: (h: Record<string, unknown>) => void): Uint8Array {
  const h = headerOf(encodeRealignRecord(record));
  edit(h);
  const body = Buffer.from(`${JSON.stringify(h)}\n`);
  return Buffer.concat([body, Buffer.from(`crc32 ${crc32(body).toString(16).padStart(8, '0')}\n`)]);
}

const expected = { ...record, target: { ...record.target, path: Buffer.from('/img/dimm.img') } };

test('u64s are written as "0x…" strings, and the record reads back exactly', () => {
  const bytes = encodeRealignRecord(record);
  const h = headerOf(bytes);
  expect(h).toMatchObject({
    version: REALIGN_BACKUP_VERSION,
    target: { size: '0xffffffffffffffff', dev: '0x803', ino: '0x1000000000000000' },
    label_size: '0x20000',
    namespaces: [{ dpa: '0x100000', size: '0x40000000', new_dpa: '0x200000', new_size: '0x3fe00000' }],
    writes: [{ what: 'label', position: '0x1000' }],
  });
  expect(REALIGN_BACKUP_VERSION).toBe(2);
  expect(decodeRealignRecord(bytes)).toEqual(expected);
});

test('a version 1 record, u64s as decimal strings, still reads', () => {
  const v1 = resealed((h) => {
    h['version'] = 1;
    h['label_size'] = '131072';
    (h['target'] as Record<string, unknown>)['size'] = '18446744073709551615';
    (h['writes'] as Record<string, unknown>[])[0]!['position'] = '4096';
  });
  expect(decodeRealignRecord(v1)).toEqual(expected);
});

test.each([
  ['a u64 above 2^64 - 1', (h: Record<string, unknown>) => (h['label_size'] = '0x10000000000000000')],
  ['uppercase hex', (h: Record<string, unknown>) => (h['label_size'] = '0x2000A')],
  ['a negative value', (h: Record<string, unknown>) => (h['label_size'] = '-1')],
  ['a number, not a string', (h: Record<string, unknown>) => (h['label_size'] = 131072)],
  ['an unknown version', (h: Record<string, unknown>) => (h['version'] = 3)],
])('%s is refused as a damaged backup', (_what, edit) => {
  expect(thrownBy(() => decodeRealignRecord(resealed(edit)))).toMatchObject({ code: 'backup' });
});

test.each([
  [
    'a flipped byte under the seal',
    (b: Buffer) => Buffer.concat([b.subarray(0, 3), Buffer.from('X'), b.subarray(4)]),
    /is corrupt: CRC-32/,
  ],
  ['no crc32 line', (b: Buffer) => b.subarray(0, b.indexOf('\ncrc32') + 1), /is not a realignment backup record/],
  [
    'a header that is JSON null',
    () => Buffer.from(`null\ncrc32 ${crc32('null\n').toString(16).padStart(8, '0')}\n`),
    /header is not JSON/,
  ],
])('%s is refused as a damaged backup, by the frame reader both records share', (_what, edit, message) => {
  const e = thrownBy(() => decodeRealignRecord(edit(Buffer.from(encodeRealignRecord(record)))));
  expect(e).toMatchObject({ code: 'backup' });
  expect((e as Error).message).toMatch(message);
});
