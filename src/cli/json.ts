/**
 * The `error` document of the command line: a failure or refusal under
 * `--json` (schemas/error.schema.json), written through the one envelope and
 * mapping of src/format/json like every other document.
 */
import type { Hint } from '../format/errors';
import { jsonText } from '../format/json';

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
