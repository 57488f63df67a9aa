/**
 * The one mapping from the library's values to JSON for machines. TypeScript
 * types are camelCase with bigint byte quantities; JSON is snake_case with
 * every bigint as an exact `"0x…"` string (a JSON number above 2^53 is
 * rounded by JavaScript, Python's float() and jq). The `--json` output of
 * every command goes through here; ndctl-parity output (`read -j`) keeps
 * ndctl's own format (src/format/ndctl-json.ts).
 */

/** `dataStart` → `data_start`; keys that are already snake_case, or are not identifiers (`R12`, `6.1`), stay. */
export function snakeKey(key: string): string {
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

function bytesHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * `value` as plain JSON data: object keys through {@link snakeKey}, bigints as
 * `"0x…"` hex strings, byte arrays as hex digit strings, `undefined` members
 * dropped. Numbers, strings, booleans and null pass unchanged.
 */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value < 0n ? '-' : ''}0x${(value < 0n ? -value : value).toString(16)}`;
  if (value instanceof Uint8Array) return bytesHex(value);
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toWire(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[snakeKey(k)] = toWire(v);
    return out;
  }
  return value;
}

/** JSON text of {@link toWire}(value); `indent` 0 gives one line (JSON Lines). */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(toWire(value), null, indent === 0 ? undefined : indent);
}
