/**
 * The JSON contract of the command line: every `--json` document (and each
 * corpus manifest row) names the schema it follows, shipped in the package as
 * `schemas/<name>.schema.json` (JSON Schema draft 2020-12), and its version.
 * Bodies go through the one mapping of src/format/json (snake_case keys,
 * u64 as exact `"0x…"` strings).
 */
import type { Hint } from '../format/errors';
import { toWire } from '../format/json';

/** Every schema the CLI writes documents for, with its current version. */
export const SCHEMAS = {
  check: 1,
  'check-kernels': 1,
  'check-labels': 1,
  explain: 1,
  migrate: 1,
  restore: 1,
  'kernel-check': 1,
  'corpus-manifest': 1,
  scan: 1,
  recover: 1,
  labels: 1,
  error: 1,
} as const;

export type SchemaName = keyof typeof SCHEMAS;

/** `urn:nd-infoblock:schema:check`: the `$id` of schemas/check.schema.json and the `schema` member of its documents. */
export function schemaId(name: SchemaName): string {
  return `urn:nd-infoblock:schema:${name}`;
}

/** `body` as a document of schema `name`: `schema` and `schema_version` first, then the body's members. */
export function jsonDocument(name: SchemaName, body: object): Record<string, unknown> {
  return { schema: schemaId(name), schema_version: SCHEMAS[name], ...(toWire(body) as Record<string, unknown>) };
}

/** What an `error` document says: the code, the stderr line's words, the exit status, and the hint if any. */
export interface FailureBody {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
  readonly hint?: Hint | undefined;
}

/**
 * The `error` document (schemas/error.schema.json) of a failure or refusal, as text with its newline (`indent` 0:
 * one line, for JSON Lines). An absent hint is left out by the one mapping.
 */
export function errorDocumentText(f: FailureBody, indent = 2): string {
  return `${jsonText('error', { error: f }, indent)}\n`;
}

/** {@link jsonDocument} as text: indented for one document, one line (`indent` 0) for JSON Lines. */
export function jsonText(name: SchemaName, body: object, indent = 2): string {
  return JSON.stringify(jsonDocument(name, body), null, indent === 0 ? undefined : indent);
}
