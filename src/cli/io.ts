/**
 * The CLI's I/O seam: where output goes (so tests run the CLI in-process)
 * and the few file operations every command shares, each failing with an
 * IoError whose message names the file and the reason in one line.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';

export interface CliIo {
  stdout(s: string | Uint8Array): void;
  stderr(s: string): void;
  stdin?: () => Promise<Buffer>;
}

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stdin: readProcessStdin,
};

async function readProcessStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A usage problem: exit code 2 like any bad input. */
export class UsageError extends InfoblockError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

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

/** The 8 KiB head at `offset` of standard input. */
export async function readStdinHead(io: CliIo, offset: bigint): Promise<Buffer> {
  const all = await (io.stdin ?? readProcessStdin)();
  const start = Number(offset);
  if (all.length < start + HEAD_SIZE) {
    throw new IoError(`standard input is too short: need ${HEAD_SIZE} bytes at offset ${offset}, got ${Math.max(0, all.length - start)}`);
  }
  return all.subarray(start, start + HEAD_SIZE);
}
