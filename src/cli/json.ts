/**
 * The `error` document of the command line: a failure or refusal under
 * `--json` (schemas/error.schema.json), written through the one envelope and
 * mapping of src/format/json like every other document.
 */
import type { Hint } from '../format/errors';
import { jsonText, snakeKey, toWire, type SchemaName } from '../format/json';

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

/**
 * `jsonText(name, body)` and its newline, written in pieces: the top-level array `key` is serialised one element
 * at a time (`view` makes each one), so a document with 100k findings is never one object tree or one string
 * (recover on an image crowded with superblocks). The bytes are jsonText's.
 */
export function writeJsonStreamed<T>(
  write: (text: string) => void,
  name: SchemaName,
  body: Record<string, unknown>,
  key: string,
  items: readonly T[],
  view: (item: T) => unknown,
): void {
  const text = jsonText(name, { ...body, [key]: [] });
  // Top level, two spaces in: a string value cannot hold it (its quotes would be escaped).
  const marker = `\n  ${JSON.stringify(snakeKey(key))}: []`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`writeJsonStreamed: no top-level ${key} in the ${name} document`);
  if (items.length === 0) {
    write(`${text}\n`);
    return;
  }
  let buf = text.slice(0, at + marker.length - 1);
  items.forEach((item, i) => {
    const one = JSON.stringify(toWire(view(item)), null, 2).replace(/\n/g, '\n    ');
    buf += `${i === 0 ? '' : ','}\n    ${one}`;
    if (buf.length >= 1 << 16) {
      write(buf);
      buf = '';
    }
  });
  write(`${buf}\n  ]${text.slice(at + marker.length)}\n`);
}
