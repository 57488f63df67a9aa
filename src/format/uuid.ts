/**
 * UUIDs are stored as their 16 bytes in the order of the canonical string
 * (libuuid order). We format/parse here rather than with `uuid`'s
 * stringify/parse because those reject non-RFC-4122 values (version and
 * variant bits), while an info-block may hold any 16 bytes and ndctl accepts
 * any 8-4-4-4-12 hex string. Random v4 ids come from Node's crypto.
 */
import { InvalidArgumentError } from './errors';
import { expectBytes, expectNumber, expectString } from './guard';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The all-zero uuid (a label-less namespace's parent_uuid). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The canonical 8-4-4-4-12 text of the 16 bytes at `offset` (any bytes, not only RFC 4122 ones). */
export function formatUuid(bytes: Uint8Array, offset = 0): string {
  expectBytes(bytes, 'bytes');
  if (offset !== undefined) expectNumber(offset, 'offset');
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('formatUuid needs a Uint8Array');
  if (!Number.isInteger(offset) || offset < 0 || offset + 16 > bytes.byteLength) {
    throw new InvalidArgumentError(
      `a uuid is 16 bytes: ${bytes.byteLength} bytes from offset ${offset} do not hold one`,
    );
  }
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[offset + i] ?? 0];
  }
  return s;
}

/** True when `text` is an 8-4-4-4-12 hex uuid string (false for anything else, a non-string included). */
export function isUuid(text: unknown): boolean {
  return typeof text === 'string' && CANONICAL.test(text);
}

/** Parse a canonical uuid string into `out` at `offset` (or a new array). */
export function parseUuid(text: string, out: Uint8Array = new Uint8Array(16), offset = 0): Uint8Array {
  expectString(text, 'text');
  if (out !== undefined) expectBytes(out, 'out');
  if (offset !== undefined) expectNumber(offset, 'offset');
  if (!CANONICAL.test(text))
    throw new InvalidArgumentError(`invalid uuid '${text}' (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (j === 8 || j === 13 || j === 18 || j === 23) j++; // the hyphens
    out[offset + i] = (hexDigit(text.charCodeAt(j)) << 4) | hexDigit(text.charCodeAt(j + 1));
    j += 2;
  }
  return out;
}

/** Value of an ASCII hex digit (the caller has validated it). */
function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** A random (RFC 4122 version 4) uuid in canonical lower-case form. */
export function randomUuid(): string {
  // The Web Crypto global (Node 20+, browsers): keeps src/format free of node: imports.
  return globalThis.crypto.randomUUID();
}
