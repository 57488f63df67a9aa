/**
 * Paths as the OS has them: a string, or a Buffer for names that are not
 * valid UTF-8. Every message shows a path through `showPath`, quoted and
 * escaped, so a newline or an odd byte in a name never cuts a line short.
 */
import * as nodePath from 'node:path';

export type FilePath = string | Buffer;

export const pathBytes = (p: FilePath): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

/** `p` with `suffix` appended, in the same representation. */
export function withSuffix(p: FilePath, suffix: string): FilePath {
  return typeof p === 'string' ? p + suffix : Buffer.concat([p, Buffer.from(suffix, 'utf8')]);
}

/** The directory part of `p` ('.' for a bare name), byte-exact. */
export function dirOf(p: FilePath): FilePath {
  if (typeof p === 'string') return nodePath.dirname(p);
  const i = p.lastIndexOf(0x2f);
  if (i === -1) return '.';
  return i === 0 ? '/' : p.subarray(0, i);
}

/** The last component of `p`, byte-exact. */
export function baseOf(p: FilePath): FilePath {
  if (typeof p === 'string') return nodePath.basename(p);
  let end = p.length;
  while (end > 1 && p[end - 1] === 0x2f) end--;
  return p.subarray(p.lastIndexOf(0x2f, end - 1) + 1, end);
}

/** `a/b` in the representation of `b` (a Buffer when either is one). */
export function joinPath(dir: string, name: FilePath): FilePath {
  return typeof name === 'string' ? nodePath.join(dir, name) : Buffer.concat([Buffer.from(`${dir}/`, 'utf8'), name]);
}

function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (c === '\\') return '\\\\';
  if (c === "'") return "\\'";
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return `\\x${code.toString(16).padStart(2, '0')}`;
  return c;
}

/** Readable text of a path: valid UTF-8 as characters, any other byte as \xNN; not quoted. */
export function pathText(p: FilePath): string {
  const bytes = pathBytes(p);
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return Array.from(text, escapeChar).join('');
  let out = '';
  for (const b of bytes) out += b < 0x80 ? escapeChar(String.fromCharCode(b)) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** A path for a message: quoted, with newlines, control characters and non-UTF-8 bytes escaped. */
export const showPath = (p: FilePath): string => `'${pathText(p)}'`;
