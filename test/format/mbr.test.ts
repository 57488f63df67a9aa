// The one MBR decoder (format/mbr.ts): the Kata layout and the scanner's partition-table detector read through it.
import { decodeMbr, decodeMbrEntries } from '../../src/format/mbr';
import { encodeMbr } from '../../src/format/kata';
import { mbrAt } from '../../src/scan/detect';

/** A sector with the given entries (status, type, first LBA, count) and the signature. */
function sector(entries: [number, number, number, number][], signed = true): Uint8Array {
  const s = new Uint8Array(512);
  const dv = new DataView(s.buffer);
  entries.forEach(([status, type, first, count], i) => {
    const e = 446 + 16 * i;
    s[e] = status;
    s[e + 4] = type;
    dv.setUint32(e + 8, first, true);
    dv.setUint32(e + 12, count, true);
  });
  if (signed) [s[510], s[511]] = [0x55, 0xaa];
  return s;
}

test('the four entries as written, unused ones included; at an offset inside a larger buffer', () => {
  const s = sector([
    [0x80, 0x83, 2048, 0xffffffff],
    [0, 0, 0, 0],
    [0x00, 0x0c, 1, 7],
  ]);
  const expected = [
    { index: 1, status: 0x80, type: 0x83, startLba: 2048n, sectors: 0xffffffffn },
    { index: 2, status: 0, type: 0, startLba: 0n, sectors: 0n },
    { index: 3, status: 0, type: 0x0c, startLba: 1n, sectors: 7n },
    { index: 4, status: 0, type: 0, startLba: 0n, sectors: 0n },
  ];
  expect(decodeMbrEntries(s)).toEqual(expected);
  const big = new Uint8Array(8192);
  big.set(s, 4096);
  expect(decodeMbrEntries(big, 4096)).toEqual(expected);
  expect(decodeMbr(s)).toEqual([
    { index: 1, type: 0x83, bootable: true, startLba: 2048n, sectors: 0xffffffffn },
    { index: 3, type: 0x0c, bootable: false, startLba: 1n, sectors: 7n },
  ]);
});

test.each([
  ['no signature', sector([[0, 0x83, 2048, 8]], false), 0],
  ['a buffer shorter than a sector', sector([[0, 0x83, 2048, 8]]).subarray(0, 511), 0],
  ['a sector running past the buffer', new Uint8Array(1024), 600],
  ['a negative position', sector([[0, 0x83, 2048, 8]]), -1],
])('%s: not an MBR', (_what, buf, at) => {
  expect(decodeMbrEntries(buf, at)).toBeNull();
});

test("the writer's table reads back through the decoder, as Kata's layout and the scanner see it", () => {
  const s = encodeMbr(3n << 20n, 125n << 20n);
  expect(decodeMbr(s)).toEqual([{ index: 1, type: 0x83, bootable: false, startLba: 6144n, sectors: 256000n }]);
  expect(mbrAt(s, 0, 0x1000n)).toEqual({
    kind: 'mbr',
    offset: 0x1000n,
    size: 128n << 20n,
    partitions: [{ number: 1, start: 0x1000n + (3n << 20n), size: 125n << 20n, type: '0x83' }],
  });
});
