/**
 * File-level I/O shared by the library (migrate) and the CLI: exact
 * positioned reads, the size of a file or block device, and one-line
 * IoErrors that name the file and the reason.
 */
import * as fs from 'node:fs';
import { IoError } from './errors';
import { HEAD_SIZE } from './head';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EBUSY: 'device or resource busy',
  EEXIST: 'already exists',
  EIO: 'input/output error',
};

export function ioError(action: string, path: string, e: unknown): IoError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code !== undefined ? (REASONS[code] ?? code) : String(e);
  return new IoError(`cannot ${action} '${path}': ${reason}`, { cause: e });
}

/** Size of a regular file or block device, in bytes. */
export function targetSize(path: string, fd?: number): bigint {
  let st: fs.BigIntStats;
  try {
    st = fd === undefined ? fs.statSync(path, { bigint: true }) : fs.fstatSync(fd, { bigint: true });
  } catch (e) {
    throw ioError('stat', path, e);
  }
  if (st.isFile()) return st.size;
  if (st.isBlockDevice()) {
    // Linux's dev_t encoding (glibc gnu_dev_major/minor).
    const maj = ((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn);
    const min = (st.rdev & 0xffn) | ((st.rdev >> 12n) & ~0xffn);
    try {
      const sectors = fs.readFileSync(`/sys/dev/block/${maj}:${min}/size`, 'utf8').trim();
      return BigInt(sectors) * 512n;
    } catch (e) {
      throw ioError('read the size of block device', path, e);
    }
  }
  if (st.isDirectory()) throw new IoError(`'${path}' is a directory`);
  throw new IoError(`'${path}' is not a regular file or block device`);
}

/** Read exactly `length` bytes at `position` of an open `fd`, or fail saying how many there were. */
export function readAt(fd: number, path: string, position: bigint, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  try {
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, position + BigInt(got));
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    throw ioError('read', path, e);
  }
  if (got < length) {
    throw new IoError(`'${path}' is too short: need ${length} bytes at offset ${position}, got ${got}`, { offset: Number(position) });
  }
  return buf;
}

/** Open `path`, read exactly `length` bytes at `position`, close. */
export function readExact(path: string, position: bigint, length: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw ioError('open', path, e);
  }
  try {
    return readAt(fd, path, position, length);
  } finally {
    fs.closeSync(fd);
  }
}

export function readHead(path: string, offset: bigint): Buffer {
  return readExact(path, offset, HEAD_SIZE);
}

