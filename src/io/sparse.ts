/**
 * Hole-preserving copies of a byte range of one file to an offset of a new
 * one: what pack (the filesystem at the data start) and unpack (the data
 * area out again) need, fast on sparse inputs.
 *
 * Node has no SEEK_DATA/SEEK_HOLE, so the fast path lets the system's tools
 * use them: `cp --sparse=always` copies the file (it skips holes with
 * SEEK_HOLE or FIEMAP, and clones extents where the filesystem can), then
 * `fallocate --insert-range` (pack) or `--collapse-range` (unpack) shifts the
 * extents by the offset without moving data (ext4 and xfs). Where either
 * tool is missing or the filesystem refuses (tmpfs has no insert-range),
 * the copy falls back to reading the range and writing only the 64 KiB
 * chunks that are not all zero: the output stays sparse, at the cost of
 * reading the holes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { IoError } from '../format/errors';
import { ioError } from './errors';
import { closeQuietly, writeAt } from './files';
import { fsPath, pathBytes, showPath, type FilePath } from './path';

/** How a copy was made: the system tools' extent copy, or our zero-skipping read. */
export type CopyMethod = 'extents' | 'zero-skip';

/** A copy of `length` bytes from `src` at `from` into `dst` at `at`. */
export interface RangeCopy {
  from: bigint;
  length: bigint;
  at: bigint;
}

/** Chunks of this size that are all zero are not written (they stay holes). */
export const ZERO_CHUNK = 64 * 1024;
const READ_SIZE = 16 * ZERO_CHUNK;

function tool(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  return r.status === 0;
}

/** The path as a string a tool receives byte for byte, or null when it is not valid UTF-8. */
function exactText(p: FilePath): string | null {
  if (typeof p === 'string') return p;
  const text = pathBytes(p).toString('utf8');
  return Buffer.from(text, 'utf8').equals(pathBytes(p)) ? text : null;
}

function removeQuietly(path: FilePath): void {
  try {
    fs.unlinkSync(fsPath(path));
  } catch {
    /* not there */
  }
}

function lstatOrNull(path: FilePath): fs.Stats | null {
  try {
    return fs.lstatSync(fsPath(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('inspect', path, e);
  }
}

/** The fast path; false (and nothing left at `dst`) when it does not apply here. */
function copyWithTools(src: FilePath, dst: FilePath, c: RangeCopy): boolean {
  const s = exactText(src);
  const d = exactText(dst);
  // A path that is not valid UTF-8 cannot be passed to a tool exactly.
  if (s === null || d === null) return false;
  // Create it ourselves first (O_EXCL never follows a symlink): cp then writes into our own new file, not
  // through a name someone planted at `dst` (a dangling symlink to a file root would create).
  closeQuietly(fs.openSync(fsPath(dst), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  if (!tool('cp', ['--sparse=always', '--reflink=auto', '--', s, d])) {
    removeQuietly(dst);
    return false;
  }
  const shift = (flag: string, len: bigint): boolean =>
    len === 0n || tool('fallocate', [flag, '-o', '0', '-l', len.toString(), '--', d]);
  let ok = true;
  if (c.from > 0n) ok = shift('-c', c.from); // collapse-range
  if (ok && c.at > 0n) ok = shift('-i', c.at); // insert-range
  if (ok) {
    try {
      fs.truncateSync(fsPath(dst), Number(c.at + c.length));
    } catch {
      ok = false;
    }
  }
  if (!ok) removeQuietly(dst);
  return ok;
}

const ZEROS = Buffer.alloc(ZERO_CHUNK);
/** All zero: compared with a zero buffer (memcmp), not byte by byte in JavaScript. */
const isZero = (b: Buffer): boolean => b.equals(ZEROS.subarray(0, b.length));

/** The fallback: read the range, write the chunks that are not all zero, size the file. */
function copyZeroSkip(src: FilePath, dst: FilePath, c: RangeCopy): void {
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL;
  const out = fs.openSync(fsPath(dst), flags, 0o600);
  let inp: number | undefined;
  try {
    inp = fs.openSync(fsPath(src), fs.constants.O_RDONLY);
    const buf = Buffer.alloc(READ_SIZE);
    for (let done = 0n; done < c.length;) {
      const want = c.length - done < BigInt(READ_SIZE) ? Number(c.length - done) : READ_SIZE;
      const got = fs.readSync(inp, buf, 0, want, Number(c.from + done));
      if (got === 0)
        throw new IoError(`${showPath(src)} ended at ${c.from + done}, before the ${c.length} bytes asked`);
      for (let o = 0; o < got; o += ZERO_CHUNK) {
        const chunk = buf.subarray(o, Math.min(got, o + ZERO_CHUNK));
        if (!isZero(chunk)) writeAt(out, dst, chunk, c.at + done + BigInt(o));
      }
      done += BigInt(got);
    }
    try {
      fs.ftruncateSync(out, Number(c.at + c.length));
    } catch (e) {
      throw ioError('write', dst, e); // the output's size, not the input, is what failed
    }
  } catch (e) {
    if (e instanceof IoError) throw e;
    throw ioError('copy', src, e);
  } finally {
    if (inp !== undefined) closeQuietly(inp);
    closeQuietly(out);
  }
}

/**
 * A source whose allocated blocks cover at least half the range has few holes to skip: the extent copy's
 * insert-range then has to flush all of cp's dirty pages before it shifts them (measured with bench/pack.mjs:
 * 2.5x cp on a dense 1 GiB ext4, where the zero-skipping copy takes 1.4x), so the read-and-write copy is
 * the faster one.
 */
export function mostlyData(allocated: bigint, length: bigint): boolean {
  return length > 0n && allocated * 2n >= length;
}

/**
 * Create `dst` (it must not exist) holding `length` bytes of `src` from
 * `from`, placed at offset `at` (everything before is a hole), and size it
 * `at + length`. Holes in the source stay holes. Returns how it was done.
 * On failure nothing is left at `dst`.
 */
export function copyRangeSparse(src: FilePath, dst: FilePath, c: RangeCopy): CopyMethod {
  let srcSize: bigint;
  let allocated: bigint;
  try {
    const st = fs.statSync(fsPath(src), { bigint: true });
    srcSize = st.size;
    allocated = st.blocks * 512n;
  } catch (e) {
    throw ioError('read', src, e);
  }
  if (c.from + c.length > srcSize)
    throw new IoError(`${showPath(src)} holds ${srcSize} bytes, fewer than the ${c.from + c.length} to copy`);
  // lstat, not exists: a dangling symlink is something there too (exists follows it and says no).
  if (lstatOrNull(dst) !== null) throw new IoError(`${showPath(dst)} exists; nothing was copied`);
  if (!mostlyData(allocated, c.length) && copyWithTools(src, dst, c)) return 'extents';
  try {
    copyZeroSkip(src, dst, c);
  } catch (e) {
    removeQuietly(dst);
    throw e;
  }
  return 'zero-skip';
}

/** Bytes of `path` that hold data (allocated blocks), for reports: a sparse file shows fewer than its size. */
export function allocatedBytes(path: FilePath): bigint {
  try {
    const st = fs.statSync(fsPath(path), { bigint: true });
    return st.blocks * 512n;
  } catch (e) {
    throw ioError('stat', path, e);
  }
}
