/**
 * The one mapping from the library's values to JSON for machines, and the
 * envelope of every document (its schema id and version). TypeScript
 * types are camelCase with bigint byte quantities; JSON is snake_case with
 * every bigint as an exact `"0x…"` string (a JSON number above 2^53 is
 * rounded by JavaScript, Python's float() and jq). The `--json` output of
 * every command goes through here; ndctl-parity output (`read -j`) keeps
 * ndctl's own format (src/format/ndctl-json.ts).
 */

import { hex, U64_MAX } from './int64';
import { expectNumber, expectString } from './guard';

/** `dataStart` → `data_start`; keys that are already snake_case, or are not identifiers (`R12`, `6.1`), stay. */
export function snakeKey(key: string): string {
  expectString(key, 'key');
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

function bytesHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** `data_start` → `dataStart`: the inverse of {@link snakeKey} on the keys it changes. */
export function camelKey(key: string): string {
  expectString(key, 'key');
  return /^[a-z][a-z0-9_]*$/.test(key) ? key.replace(/_([a-z0-9])/g, (_m: string, c: string) => c.toUpperCase()) : key;
}

/**
 * A u64 as {@link toWire} writes it (`"0x…"`, lowercase hex digits) as a bigint; undefined when `value` is
 * not one (another type, another spelling, or above 2^64 - 1). Readers of our JSON say what was wrong.
 */
export function parseU64(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(value)) return undefined;
  const n = BigInt(value);
  return n <= U64_MAX ? n : undefined;
}

/**
 * The inverse of {@link toWire} for reading our documents back: keys through {@link camelKey}, every
 * `"0x…"` or `"-0x…"` string as a bigint, everything else unchanged (hex digit strings of byte arrays stay
 * strings: nothing in the JSON says they were bytes).
 */
export function fromWire(value: unknown): unknown {
  if (typeof value === 'string' && /^-?0x[0-9a-f]+$/.test(value)) {
    return value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value);
  }
  if (Array.isArray(value)) return value.map(fromWire);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelKey(k), fromWire(v)]));
  }
  return value;
}

/**
 * `value` as plain JSON data: object keys through {@link snakeKey}, bigints as
 * `"0x…"` hex strings, byte arrays as hex digit strings, `undefined` members
 * dropped. Numbers, strings, booleans and null pass unchanged.
 */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint') return hex(value);
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

/**
 * Every kind of JSON document the project writes (each `--json` output, each corpus manifest row), with its
 * current version: `schemas/<name>.schema.json` in the package describes it.
 */
export const SCHEMAS = {
  check: 4,
  'check-kernels': 4,
  'check-labels': 2,
  explain: 3,
  migrate: 2,
  restore: 1,
  'kernel-check': 3,
  'corpus-manifest': 3,
  scan: 6,
  recover: 3,
  labels: 1,
  realign: 1,
  rebase: 1,
  pack: 1,
  error: 1,
} as const;

export type SchemaName = keyof typeof SCHEMAS;

/** `urn:nd-infoblock:schema:check`: the `$id` of schemas/check.schema.json and the `schema` member of its documents. */
export function schemaId(name: SchemaName): string {
  expectString(name, 'name');
  return `urn:nd-infoblock:schema:${name}`;
}

/** `body` as a document of schema `name`: `schema` and `schema_version` first, then the body's members. */
export function jsonDocument(name: SchemaName, body: object): Record<string, unknown> {
  expectString(name, 'name');
  return { schema: schemaId(name), schema_version: SCHEMAS[name], ...(toWire(body) as Record<string, unknown>) };
}

/** {@link jsonDocument} as text: indented for one document, one line (`indent` 0) for JSON Lines. */
export function jsonText(name: SchemaName, body: object, indent = 2): string {
  expectString(name, 'name');
  if (indent !== undefined) expectNumber(indent, 'indent');
  return JSON.stringify(jsonDocument(name, body), null, indent === 0 ? undefined : indent);
}
