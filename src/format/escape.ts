/**
 * The one escaping rule for text meant for a terminal: file names, label
 * names, kernel messages and error lines. A value may come from anyone (a
 * label name is 64 bytes of whoever wrote the DIMM), so nothing it holds
 * may start a new line, move the cursor or change colours:
 *
 * - control characters (C0 incl. NUL and newline, DEL, C1) are shown as
 *   `\n`, `\t`, `\r` or `\xNN`;
 * - characters that reorder or hide text (bidirectional overrides and
 *   isolates, zero-width marks, line and paragraph separators) as `\u{NNNN}`;
 * - a value that is not valid UTF-8 has each byte at or above 0x80 shown
 *   as `\xNN`;
 * - a backslash is doubled, so what is shown reads back to exactly one value.
 *
 * JSON output never goes through this: it carries the exact value.
 */

/** Characters that reorder or hide the text around them (Unicode's Bidi_Control, zero-width marks, separators). */
const HIDING = /^[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]$/u;

/** Whether a character is a control character (C0, DEL, C1): never shown raw. */
export const isControlChar = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0);
};

/** Whether the rule shows `c` escaped rather than raw (a control or text-hiding character). */
export const mustEscape = (c: string): boolean => isControlChar(c) || HIDING.test(c);

const hex2 = (n: number): string => `\\x${n.toString(16).padStart(2, '0')}`;

function escapeChar(c: string, backslash: boolean): string {
  if (c === '\\') return backslash ? '\\\\' : c;
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  const code = c.codePointAt(0) ?? 0;
  if (isControlChar(c)) return hex2(code);
  if (HIDING.test(c)) return `\\u{${code.toString(16)}}`;
  return c;
}

/** UTF-8 text of `bytes`, or null when they are not valid UTF-8. */
function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

export interface EscapeOptions {
  /** Leave backslashes alone: for a line whose values were escaped already (an error message). Default false. */
  keepBackslash?: boolean;
}

/** `value` made safe to print (see the file header); bytes that are not UTF-8 are shown byte by byte. */
export function escapeText(value: string | Uint8Array, o: EscapeOptions = {}): string {
  const backslash = o.keepBackslash !== true;
  if (typeof value === 'string') return Array.from(value, (c) => escapeChar(c, backslash)).join('');
  const text = utf8(value);
  if (text !== null) return escapeText(text, o);
  let out = '';
  for (const b of value) out += b < 0x80 ? escapeChar(String.fromCharCode(b), backslash) : hex2(b);
  return out;
}
