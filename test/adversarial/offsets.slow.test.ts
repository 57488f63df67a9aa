// Item 8: positions are exact. Offsets between 2^32 and far beyond on a
// sparse image read and write exactly there (nothing lands at the offset
// truncated to 32 bits or anywhere else); offsets Node cannot address
// exactly (>= 2^53) and offsets past the end are refused with a sentence.
import * as fs from 'node:fs';
import { IoError, headWithBlock } from '../../src/index';
import { readAt, writeAt } from '../../src/io/files';
import { useTmpDir } from '../support/tmp';
import { cli, legacyBlock, mapBlockOf, migrateArgs, wordsOnly } from '../support/adversarial';

const tmp = useTmpDir('offsets');

function readBytes(file: string, position: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  const b = Buffer.alloc(length);
  fs.readSync(fd, b, 0, length, position);
  fs.closeSync(fd);
  return b;
}

/** A sparse file of `size` bytes with the legacy head at `offset`. */
function sparse(name: string, size: number, offset: number): string {
  const p = tmp.path(name);
  const fd = fs.openSync(p, 'w');
  fs.ftruncateSync(fd, size);
  fs.writeSync(fd, headWithBlock(legacyBlock()), 0, 8192, offset);
  fs.closeSync(fd);
  return p;
}

const allocated = (p: string): number => fs.statSync(p).blocks * 512;

test.each([
  ['2^32 + 8 KiB', 2 ** 32 + 8192],
  ['2^36 - 1 MiB', 2 ** 36 - 2 ** 20],
  ['2^40 + 4 KiB', 2 ** 40 + 4096],
])(
  'migrate, read, check and restore at --offset %s of a sparse image: exactly there',
  (_n, offset) => {
    const img = sparse(`s${offset}.img`, offset + 65536, offset);
    const before = allocated(img);
    const r = cli(['migrate', img, ...migrateArgs(offset)]);
    expect(r.errLines).toEqual([]);
    expect(r.status).toBe(0);
    expect(readBytes(img, offset + 4096, 4096).equals(Buffer.from(mapBlockOf(legacyBlock())))).toBe(true);
    expect(readBytes(img, offset, 4096).equals(Buffer.alloc(4096))).toBe(true);
    // Nothing at the offset cut to 32 bits, nothing newly allocated anywhere.
    expect(readBytes(img, offset % 2 ** 32, 8192).equals(Buffer.alloc(8192))).toBe(true);
    expect(allocated(img)).toBe(before);
    const read = cli(['read', '-j', '--offset', String(offset), img]);
    expect(read.status).toBe(0);
    expect(read.stdout).toMatch(/"version":"2.4"/);
    expect(
      cli(['check', img, '--offset', String(offset), '--ns-base', '0x100100000', '--ns-size', '64M', '--kernel', 'map'])
        .status,
    ).toBe(0);
    expect(cli(['restore', img]).status).toBe(0);
    expect(readBytes(img, offset, 8192).equals(Buffer.from(headWithBlock(legacyBlock())))).toBe(true);
    expect(allocated(img)).toBe(before);
  },
  30000,
);

const HUGE: [string, string][] = [
  ['2^53', '9007199254740992'],
  ['2^53 - 4096 (the head would end past 2^53)', '9007199254736896'],
  ['2^60', '0x1000000000000000'],
  ['2^64 - 4096', '0xfffffffffffff000'],
];

test.each(HUGE)('--offset %s: refused with a sentence for every command, nothing written', (_n, offset) => {
  const img = sparse(`h${offset}.img`, 65536, 0);
  const before = fs.readFileSync(img);
  for (const argv of [
    ['read', '--offset', offset, img],
    ['check', img, '--offset', offset, '--ns-size', '64M'],
    ['explain', img, '--offset', offset, '--ns-size', '64M'],
    ['migrate', img, '--offset', offset, '--ns-base', '0x100100000', '--ns-size', '64M', '--to', 'map'],
    ['migrate', img, '--offset', offset, '--ns-base', '0x100100000', '--to', 'map'],
  ]) {
    const r = cli(argv);
    expect(r.status).toBe(2);
    const lines = r.errLines.filter((l) => !/^read \d+ infoblock/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/beyond 2\^53 bytes|past the end|does not fit in 64 bits|not an nd-infoblock backup/);
    expect(wordsOnly(r.stderr)).toBe(true);
  }
  expect(fs.readFileSync(img).equals(before)).toBe(true);
  expect(fs.existsSync(`${img}.infoblock-backup`)).toBe(false);
  // restore: a backup is for one offset; any other is refused before a byte is read there.
  const other = sparse(`r${offset}.img`, 65536, 0);
  expect(cli(['migrate', other, ...migrateArgs()]).status).toBe(0);
  const migrated = fs.readFileSync(other);
  const r = cli(['restore', other, '--offset', offset]);
  expect(r.status).toBe(1);
  expect(r.errLines[0]).toMatch(/is for offset 0x0, not 0x[0-9a-f]+$/);
  expect(BigInt(/not (0x[0-9a-f]+)$/.exec(r.errLines[0] ?? '')?.[1] ?? '')).toBe(BigInt(offset));
  expect(fs.readFileSync(other).equals(migrated)).toBe(true);
});

test('--offset past the end of the image (but below 2^53): refused, says how long the file is', () => {
  const img = sparse('end.img', 65536, 0);
  const r = cli(['read', '--offset', '61440', img]);
  expect(r.status).toBe(2);
  expect(r.errLines[0]).toMatch(/is too short: it is 65536 bytes, the 8192 bytes at offset 61440 need 69632$/);
  const m = cli(['migrate', img, '--offset', '1T', '--ns-base', '0', '--ns-size', '64M', '--to', 'map']);
  expect(m.status).toBe(2);
  expect(m.errLines[0]).toMatch(/is too short: 65536 bytes, the 8 KiB head needs/);
});

test('library: readAt/writeAt refuse positions Node cannot address exactly and write nothing; EFBIG is words', () => {
  const p = tmp.path('lib.img');
  fs.writeFileSync(p, Buffer.alloc(8192, 1));
  const fd = fs.openSync(p, 'r+');
  try {
    for (const pos of [1n << 53n, (1n << 53n) - 1n, 1n << 63n, -1n]) {
      expect(() => writeAt(fd, p, Buffer.alloc(16, 7), pos)).toThrow(IoError);
      expect(() => readAt(fd, p, pos, 16)).toThrow(IoError);
    }
    expect(fs.readFileSync(p).equals(Buffer.alloc(8192, 1))).toBe(true);
    // Past the file system's largest file (ext4: 16 TiB; tmpfs: larger): EFBIG, said in words.
    let err: unknown;
    try {
      writeAt(fd, p, Buffer.alloc(16, 7), (1n << 53n) - 4096n);
    } catch (e) {
      err = e;
    }
    if (err !== undefined) {
      expect(err).toBeInstanceOf(IoError);
      expect((err as IoError).message).toMatch(/exceed the largest size the file system allows/);
      expect(wordsOnly((err as IoError).message)).toBe(true);
    }
  } finally {
    fs.closeSync(fd);
  }
});
