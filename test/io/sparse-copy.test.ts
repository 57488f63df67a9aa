// The hole-preserving range copy behind pack and unpack: which copy it takes
// for a dense and for a sparse source, and that both give the same bytes
// with the holes kept.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { copyRangeSparse, mostlyData } from '../../src/io/sparse';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('sparse-copy');
const MiB = 1024 * 1024;

/** The extent copy needs cp and fallocate --insert-range, which ext4 and xfs have (tmpfs has not). */
function extentCopyHere(dir: string): boolean {
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
  const haveTools = ['cp', 'fallocate'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
  return haveTools && ['ext2/ext3', 'xfs'].includes(fsType);
}

test.each([
  [0n, 0n, false],
  [1n, 2n, true],
  [4095n, 8192n, false],
  [4096n, 8192n, true],
  [8192n, 8192n, true],
  [1n << 30n, 4n << 30n, false],
])('mostlyData(allocated %s, length %s) is %s', (allocated, length, expected) => {
  expect(mostlyData(allocated, length)).toBe(expected);
});

test('a dense source is copied by reading it (no insert-range flush), same bytes, zero chunks kept as holes', () => {
  const src = tmp.path('dense.img');
  const data = crypto.randomBytes(8 * MiB);
  data.fill(0, 2 * MiB, 3 * MiB); // one zero MiB: it stays a hole in the copy
  fs.writeFileSync(src, data);
  const dst = tmp.path('dense.out');
  expect(copyRangeSparse(src, dst, { from: 0n, length: BigInt(data.length), at: 2n * BigInt(MiB) })).toBe('zero-skip');
  const out = fs.readFileSync(dst);
  expect(out.length).toBe(10 * MiB);
  expect(out.subarray(0, 2 * MiB).every((b) => b === 0)).toBe(true);
  expect(out.subarray(2 * MiB).equals(data)).toBe(true);
  expect(fs.statSync(dst).blocks * 512).toBeLessThanOrEqual(7 * MiB + 64 * 1024);
});

test('a sparse source takes the extent copy where the filesystem can shift extents; same bytes either way', () => {
  const src = tmp.path('sparse.img');
  const fd = fs.openSync(src, 'w');
  const chunk = crypto.randomBytes(MiB);
  fs.writeSync(fd, chunk, 0, chunk.length, 5 * MiB);
  fs.ftruncateSync(fd, 64 * MiB);
  fs.closeSync(fd);
  const dst = tmp.path('sparse.out');
  const method = copyRangeSparse(src, dst, { from: 0n, length: 64n * BigInt(MiB), at: 2n * BigInt(MiB) });
  expect(method).toBe(extentCopyHere(tmp.dir) ? 'extents' : 'zero-skip');
  const out = fs.readFileSync(dst);
  expect(out.length).toBe(66 * MiB);
  expect(out.subarray(7 * MiB, 8 * MiB).equals(chunk)).toBe(true);
  expect(out.subarray(0, 7 * MiB).every((b) => b === 0)).toBe(true);
  expect(out.subarray(8 * MiB).every((b) => b === 0)).toBe(true);
  expect(fs.statSync(dst).blocks * 512).toBeLessThan(4 * MiB);
});
