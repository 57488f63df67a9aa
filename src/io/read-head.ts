/**
 * The 8 KiB namespace head of a file or block device, read without the rest: what every check, decode and
 * migration starts from. `readHead` reads exactly those bytes (a 3 GiB image costs one 8 KiB read, never a
 * 3 GiB buffer); `readHeadAsync` is its promise twin for servers and other event-loop code.
 */
import * as fs from 'node:fs';
import { IoError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import { expectU64 } from '../format/int64';
import { ioError } from './errors';
import { checkRange, kindOf, readExact, sizeOfFd } from './files';
import { fsPath, showPath, type FilePath } from './path';
import { expectOptions, expectStringOrBytes } from '../format/guard';

export interface ReadHeadOptions {
  /** Where the namespace starts inside the file or device (default 0n). */
  offset?: bigint;
}

function offsetOf(o: ReadHeadOptions): bigint {
  if (o === null || typeof o !== 'object') throw new IoError('readHead: options must be an object');
  return o.offset === undefined ? 0n : expectU64(o.offset, 'offset');
}

/**
 * The 8192 bytes of the namespace head at `offset` of `path` (an image file or a block device). Throws an
 * `IoError` (code `io`) when the path cannot be opened, is not a file or block device, or holds fewer than
 * 8 KiB from `offset`; an `InvalidArgumentError` when `offset` is not a u64 bigint.
 */
export function readHead(path: FilePath, o: ReadHeadOptions = {}): Uint8Array {
  expectStringOrBytes(path, 'path');
  expectOptions(o, 'o', true);
  return readExact(path, offsetOf(o), HEAD_SIZE);
}

/** {@link readHead} without blocking the event loop: the same bytes and the same errors, as a promise. */
export async function readHeadAsync(path: FilePath, o: ReadHeadOptions = {}): Promise<Uint8Array> {
  expectStringOrBytes(path, 'path');
  expectOptions(o, 'o', true);
  const offset = offsetOf(o);
  const pos = checkRange(path, offset, HEAD_SIZE);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(fsPath(path), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw ioError('open', path, e);
  }
  try {
    const kind = kindOf(await fh.stat());
    if (kind !== 'file' && kind !== 'block device')
      throw new IoError(`${showPath(path)} is not a regular file or block device (${kind}); give an image file`);
    const size = sizeOfFd(path, fh.fd);
    if (size < offset + BigInt(HEAD_SIZE)) {
      throw new IoError(
        `${showPath(path)} is too short: ` +
          (size <= offset
            ? `offset ${offset} is at or past its end (${size} bytes)`
            : `it is ${size} bytes, the ${HEAD_SIZE} bytes at offset ${offset} need ${offset + BigInt(HEAD_SIZE)}`),
      );
    }
    const buf = new Uint8Array(HEAD_SIZE);
    let got = 0;
    while (got < HEAD_SIZE) {
      let n: number;
      try {
        n = (await fh.read(buf, got, HEAD_SIZE - got, pos + got)).bytesRead;
      } catch (e) {
        throw ioError('read', path, e);
      }
      if (n === 0) throw new IoError(`${showPath(path)} ended after ${got} of the ${HEAD_SIZE} head bytes`);
      got += n;
    }
    return buf;
  } finally {
    await fh.close().catch(() => undefined);
  }
}
