/**
 * Paths as the OS has them: a string, or bytes (a Uint8Array, a Buffer is
 * one) for names that are not valid UTF-8. The public type names no Node
 * class; `fsPath` turns bytes into the Buffer Node's fs typings ask for.
 * Every message shows a path through `showPath`, quoted and
 * escaped, so a newline or an odd byte in a name never cuts a line short.
 */
import * as nodePath from 'node:path';
import { escapeText } from '../format/escape';

export type FilePath = string | Uint8Array;

/**
 * @internal A Buffer view of the same bytes (no copy):
 * public types say Uint8Array, the code wants Buffer's methods.
 */
export const bufferOf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** @internal The path's bytes as a Buffer (a view, not a copy, for bytes). */
export const pathBytes = (p: FilePath): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : bufferOf(p));

/** @internal The path as Node's fs typings take it (fs itself accepts any Uint8Array). */
export const fsPath = (p: FilePath): string | Buffer => (typeof p === 'string' ? p : pathBytes(p));

/** `p` with `suffix` appended, in the same representation. */
export function withSuffix(p: FilePath, suffix: string): FilePath {
  return typeof p === 'string' ? p + suffix : Buffer.concat([pathBytes(p), Buffer.from(suffix, 'utf8')]);
}

/** The directory part of `p` ('.' for a bare name), byte-exact. */
export function dirOf(p: FilePath): FilePath {
  if (typeof p === 'string') return nodePath.dirname(p);
  const i = p.lastIndexOf(0x2f);
  if (i === -1) return '.';
  return i === 0 ? '/' : pathBytes(p).subarray(0, i);
}

/** The last component of `p`, byte-exact. */
export function baseOf(p: FilePath): FilePath {
  if (typeof p === 'string') return nodePath.basename(p);
  let end = p.length;
  while (end > 1 && p[end - 1] === 0x2f) end--;
  return pathBytes(p).subarray(p.lastIndexOf(0x2f, end - 1) + 1, end);
}

/** `a/b` in the representation of `name` (bytes when it is bytes). */
export function joinPath(dir: string, name: FilePath): FilePath {
  if (typeof name === 'string') return nodePath.join(dir, name);
  return Buffer.concat([Buffer.from(`${dir}/`, 'utf8'), pathBytes(name)]);
}

/** Readable text of a path by the one escaping rule (src/format/escape.ts), with `'` escaped too; not quoted. */
export function pathText(p: FilePath): string {
  return escapeText(p).replace(/'/g, "\\'");
}

/** A path for a message: quoted, with newlines, control characters and non-UTF-8 bytes escaped. */
export const showPath = (p: FilePath): string => `'${pathText(p)}'`;
