/**
 * Byte-container helpers: every view is built from
 * byteOffset/byteLength so Buffer, Uint8Array and sub-arrays all work.
 */
import { TruncatedError } from './errors';

export type Bytes = Uint8Array; // Buffer is a Uint8Array

export function viewOf(bytes: Bytes): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function requireLength(bytes: Bytes, need: number, what: string): void {
  if (bytes.byteLength < need) {
    throw new TruncatedError(`${what} needs ${need} bytes, got ${bytes.byteLength}`);
  }
}

/** A fresh copy that owns its memory (never aliases the caller's). */
export function copyBytes(bytes: Bytes): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}
