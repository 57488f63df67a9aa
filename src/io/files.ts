/**
 * Exact positioned I/O on files and block devices: open without creating,
 * truncating or blocking, refuse anything that is not a regular file or a
 * block device, read and write every byte asked for (looping on short
 * transfers), fsync, and the size and identity of a target.
 *
 * Positions are bigint. Node's positional writes take only a Number, which
 * is exact below 2^53: a position at or past that is refused here, so no
 * byte is ever read or written anywhere but where it was asked.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { ioError, reasonOf } from './errors';
import { fsPath, showPath, type FilePath } from './path';
import { checkSameFile, checkWritablePath } from './trust';

/** The largest byte position (exclusive end) Node can address exactly. */
export const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

export type FileKind =
  'file' | 'block device' | 'directory' | 'FIFO' | 'character device' | 'socket' | 'symbolic link' | 'special file';

/** What `kindOf` asks of a stat result: the type tests of Node's Stats, named so declarations need no Node types. */
export interface StatKinds {
  isFile(): boolean;
  isBlockDevice(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}

/** The kind of file a stat result describes. */
export function kindOf(st: StatKinds): FileKind {
  if (st.isFile()) return 'file';
  if (st.isBlockDevice()) return 'block device';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isSocket()) return 'socket';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

const article = (k: FileKind): string =>
  k === 'file' ? 'a regular file' : k === 'FIFO' ? 'a FIFO (named pipe)' : `a ` + `${k}`;

/** Refuse `position`..`position+length` when it cannot be addressed exactly. */
export function checkRange(path: FilePath, position: bigint, length: number): number {
  if (position < 0n)
    throw new IoError(`${showPath(path)}: position ${position} is negative; nothing was read or ` + `written`);
  if (position + BigInt(length) > MAX_POSITION) {
    throw new IoError(
      `${showPath(path)}: position ${position} is beyond 2^53 bytes, which cannot be addressed exactly here; nothing ` +
        `was read or written`,
    );
  }
  return Number(position);
}

export type TargetAccess = 'read' | 'write';

/**
 * Open an existing regular file or block device (never created or truncated).
 * O_NONBLOCK keeps a FIFO from hanging the open; the kind is checked on the
 * open descriptor, so a swap between check and use cannot slip through.
 * For writing, the path must pass the trust checks of `./trust` and is
 * opened without following a symlink, as the very file that was checked.
 */
export function openTarget(path: FilePath, access: TargetAccess, what = 'open'): number {
  const c = fs.constants;
  const write = access === 'write';
  const checked = write ? checkWritablePath(path, { what: 'the target' }) : null;
  const flags = (write ? c.O_RDWR | c.O_NOFOLLOW : c.O_RDONLY) | c.O_NONBLOCK;
  let fd: number;
  try {
    fd = fs.openSync(fsPath(path), flags);
  } catch (e) {
    throw ioError(what, path, e);
  }
  try {
    if (checked !== null) checkSameFile(fd, checked, 'the target', path);
    const kind = kindOf(fs.fstatSync(fd));
    if (kind !== 'file' && kind !== 'block device') {
      throw new IoError(
        `${showPath(path)} is ${article(kind)}, not a regular file or block device; give an image ` +
          `file or a block device`,
      );
    }
  } catch (e) {
    closeQuietly(fd);
    if (e instanceof InfoblockError) throw e;
    throw ioError('stat', path, e);
  }
  return fd;
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* nothing useful to do: the data was already fsynced or not needed */
  }
}

/** Linux's dev_t split (glibc gnu_dev_major/minor). */
export function majorMinor(rdev: bigint): [bigint, bigint] {
  const maj = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const min = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [maj, min];
}

function statFd(path: FilePath, fd: number): fs.BigIntStats {
  try {
    return fs.fstatSync(fd, { bigint: true });
  } catch (e) {
    throw ioError('stat', path, e);
  }
}

/** Size in bytes of an open regular file or block device. */
export function sizeOfFd(path: FilePath, fd: number): bigint {
  const st = statFd(path, fd);
  if (st.isFile()) return st.size;
  if (!st.isBlockDevice())
    throw new IoError(`${showPath(path)} is ${article(kindOf(st))}, not a regular file or ` + `block device`);
  const [maj, min] = majorMinor(st.rdev);
  try {
    return BigInt(fs.readFileSync(`/sys/dev/block/${maj}:${min}/size`, 'utf8').trim()) * 512n;
  } catch (e) {
    throw ioError('read the size of block device', path, e, 'is /sys mounted?');
  }
}

/** Size of a regular file or block device, by path (or by an open `fd` of it). */
export function targetSize(path: FilePath, openFd?: number): bigint {
  if (openFd !== undefined) return sizeOfFd(path, openFd);
  const fd = openTarget(path, 'read', 'open');
  try {
    return sizeOfFd(path, fd);
  } finally {
    closeQuietly(fd);
  }
}

export interface Identity {
  /** realpath, byte-exact. */
  path: Uint8Array;
  size: bigint;
  dev: bigint;
  ino: bigint;
  rdev: bigint;
  kind: FileKind;
}

export function identityOf(path: FilePath, fd: number): Identity {
  const st = statFd(path, fd);
  let real: Buffer;
  try {
    real = fs.realpathSync.native(fsPath(path), { encoding: 'buffer' }); // the JS realpath loses non-UTF-8 bytes
  } catch (e) {
    throw ioError('resolve', path, e);
  }
  return { path: real, size: sizeOfFd(path, fd), dev: st.dev, ino: st.ino, rdev: st.rdev, kind: kindOf(st) };
}

/** Read exactly `length` bytes at `position`, or fail saying how many there were. */
export function readAt(fd: number, path: FilePath, position: bigint, length: number): Uint8Array {
  const pos = checkRange(path, position, length);
  const buf = Buffer.alloc(length);
  let got = 0;
  try {
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, pos + got);
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    throw ioError('read', path, e);
  }
  if (got < length) {
    throw new IoError(`${showPath(path)} is too short: need ${length} bytes at offset ${position}, got ${got}`);
  }
  return buf;
}

/** Write every byte of `bytes` at `position`, looping on short writes; a write that makes no progress is an error. */
export function writeAt(fd: number, path: FilePath, bytes: Uint8Array, position: bigint): void {
  const pos = checkRange(path, position, bytes.byteLength);
  let done = 0;
  while (done < bytes.byteLength) {
    let n: number;
    try {
      n = fs.writeSync(fd, bytes, done, bytes.byteLength - done, pos + done);
    } catch (e) {
      const r = reasonOf(e);
      throw new IoError(
        `cannot write ${showPath(path)}: ${r.reason} (${done} of ${bytes.byteLength} bytes at offset ` +
          `${position} written); ${r.hint}`,
        { cause: e },
      );
    }
    if (n <= 0) {
      throw new IoError(
        `cannot write ${showPath(path)}: only ${done} of ${bytes.byteLength} bytes at offset ` +
          `${position} were written (is the device full?)`,
      );
    }
    done += n;
  }
}

export function fsyncFd(fd: number, path: FilePath): void {
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    throw ioError('flush (fsync)', path, e);
  }
}

/** fsync a directory so a rename or link in it is durable. */
export function fsyncDir(dir: FilePath): void {
  let fd: number;
  try {
    fd = fs.openSync(fsPath(dir), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    throw ioError('open the directory', dir, e);
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw ioError('flush (fsync) the directory', dir, e);
  } finally {
    closeQuietly(fd);
  }
}

/** Open a regular file or block device, check that `length` bytes fit at `position`, read them. */
export function readExact(path: FilePath, position: bigint, length: number): Uint8Array {
  const fd = openTarget(path, 'read');
  try {
    checkRange(path, position, length);
    const size = sizeOfFd(path, fd);
    if (size < position + BigInt(length)) {
      const why =
        size <= position
          ? `offset ${position} is at or past its end (${size} bytes)`
          : `it is ${size} ` + `bytes, the ${length} bytes at offset ${position} need ${position + BigInt(length)}`;
      throw new IoError(`${showPath(path)} is too short: ${why}`);
    }
    return readAt(fd, path, position, length);
  } finally {
    closeQuietly(fd);
  }
}

/**
 * A regular file of at most `max` bytes, read whole (backups, small records).
 * `trusted`: its content decides a write, so it must pass the trust checks
 * (`./trust`: root's or the caller's, on a path no one else controls) and is
 * read without following a symlink, from the very file that was checked.
 */
export function readSmallFile(path: FilePath, max: number, what: string, trusted = false): Uint8Array {
  const checked = trusted ? checkWritablePath(path, { what: `the ${what}`, content: true }) : null;
  let fd: number;
  try {
    const nofollow = trusted ? fs.constants.O_NOFOLLOW : 0;
    fd = fs.openSync(fsPath(path), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | nofollow);
  } catch (e) {
    throw ioError(`read ${what}`, path, e);
  }
  try {
    if (checked !== null) checkSameFile(fd, checked, `the ${what}`, path);
    const st = statFd(path, fd);
    if (!st.isFile())
      throw new IoError(`${what} ${showPath(path)} is ${article(kindOf(st))}; it must be a regular ` + `file`);
    if (st.size > BigInt(max))
      throw new IoError(`${what} ${showPath(path)} is ${st.size} bytes, too large to be one ` + `(at most ${max})`);
    return readAt(fd, path, 0n, Number(st.size));
  } finally {
    closeQuietly(fd);
  }
}

/**
 * What is at a path that will be written: nothing, a regular file, or (when
 * `allowBlock`) a block device, following symlinks. Anything else (FIFO,
 * character device, directory, socket, dangling or looping symlink) is
 * refused at once with a sentence.
 */
export function outputKind(path: FilePath, what: string, allowBlock: boolean): 'absent' | 'file' | 'block device' {
  let st: fs.Stats;
  try {
    st = fs.statSync(fsPath(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw ioError(`use ${what}`, path, e);
    let l: fs.Stats | undefined;
    try {
      l = fs.lstatSync(fsPath(path));
    } catch {
      l = undefined;
    }
    if (l?.isSymbolicLink() === true) {
      throw new IoError(
        `${what} ${showPath(path)} is a dangling symbolic link; remove the link or choose another ` + `path`,
      );
    }
    return 'absent';
  }
  const kind = kindOf(st);
  if (kind === 'file' || (allowBlock && kind === 'block device')) return kind;
  const allowed = allowBlock ? 'a regular file or block device' : 'a regular file';
  throw new IoError(`${what} ${showPath(path)} is ${article(kind)}; it must be ${allowed}: choose another path`);
}

/** A path where a regular file will be written: absent (false) or a regular file (true); anything else is refused. */
export function checkRegularOrAbsent(path: FilePath, what: string): boolean {
  return outputKind(path, what, false) === 'file';
}
