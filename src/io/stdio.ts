/**
 * Standard input and output as plain descriptors: read only the bytes asked
 * for from stdin (never all of it), write stdout completely or fail with a
 * sentence. Blocking is emulated on a non-blocking descriptor by waiting.
 */
import * as fs from 'node:fs';
import { IoError } from '../format/errors';
import { reasonOf } from './errors';
import { checkRange } from './files';

const pause = new Int32Array(new SharedArrayBuffer(4));
const wait = (ms: number): void => void Atomics.wait(pause, 0, 0, ms);

function readSome(fd: number, buf: Buffer, at: number, position: number | null): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, at, buf.length - at, position);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      wait(5);
    }
  }
}

/** Read up to `length` bytes at `position` of a seekable descriptor (pread). */
function preadUpTo(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSome(fd, buf.subarray(0, length), got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Read and drop `skip` bytes, then read up to `length`: for pipes and terminals. */
function streamUpTo(fd: number, skip: bigint, length: number): Buffer {
  const chunk = Buffer.alloc(1 << 16);
  let left = skip;
  while (left > 0n) {
    const want = left < BigInt(chunk.length) ? Number(left) : chunk.length;
    const n = readSome(fd, chunk.subarray(0, want), 0, null);
    if (n === 0) return Buffer.alloc(0);
    left -= BigInt(n);
  }
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSome(fd, buf, got, null);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The `length` bytes at `offset` of descriptor `fd` (standard input): a
 * positioned read where it can seek, else read-and-drop up to the offset.
 * Never reads past offset + length.
 */
export function readFdRange(fd: number, offset: bigint, length: number, name = 'standard input'): Uint8Array {
  const position = checkRange(name, offset, length);
  let got: Buffer;
  try {
    try {
      got = preadUpTo(fd, position, length);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ESPIPE' && code !== 'EINVAL' && code !== 'ENXIO') throw e;
      got = streamUpTo(fd, offset, length);
    }
  } catch (e) {
    const r = reasonOf(e);
    throw new IoError(`cannot read ${name}: ${r.reason}`, { cause: e });
  }
  if (got.length < length)
    throw new IoError(`${name} is too short: need ${length} bytes at offset ${offset}, got ` + `${got.length}`);
  return got;
}

/** Thrown when the reader of stdout went away: the output simply ends. */
export class StdoutClosed extends Error {}

/** Write all of `data` to descriptor `fd`, or throw an IoError saying why. */
export function writeFdAll(fd: number, data: string | Uint8Array, name = 'standard output'): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < bytes.byteLength) {
    let n: number;
    try {
      n = fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        wait(5);
        continue;
      }
      if (code === 'EPIPE') throw new StdoutClosed(name);
      const r = reasonOf(e);
      throw new IoError(
        `cannot write to ${name}: ${r.reason} (${done} of ${bytes.byteLength} bytes written); the ` +
          `output is incomplete`,
        { cause: e },
      );
    }
    if (n <= 0)
      throw new IoError(
        `cannot write to ${name}: only ${done} of ${bytes.byteLength} bytes were written; ` +
          `the output is incomplete`,
      );
    done += n;
  }
}
