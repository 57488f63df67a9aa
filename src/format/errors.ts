/**
 * The base of the one error family. Every failure the library reports is an
 * InfoblockError with a machine-readable `code`; where a byte offset or field
 * is known it is carried and shown as `at 0x38 (dataoff): ...`, and the
 * original error is chained as `cause`. "truncated" (not enough bytes) is
 * kept apart from "invalid" (bad values). Other concepts extend the family
 * with codes of their own, declared next to them (the kernel harness's
 * KernelHarnessError in src/kernel/errors.ts), so one
 * `instanceof InfoblockError` catches every deliberate failure.
 */

/** The `code` of an {@link InfoblockError}: what kind of failure, stable for callers to switch on. */
export type InfoblockErrorCode =
  | 'truncated' // input shorter than the structure it must hold
  | 'invalid-field' // a field value that cannot be encoded or is out of range
  | 'invalid-argument' // a bad option value (size, uuid, align string...)
  | 'unsupported' // a valid request we decline (e.g. ndctl would refuse it)
  | 'io' // file system failure
  | 'no-block' // no info-block where one is required
  | 'precondition' // an operation's precondition does not hold (migrate)
  | 'hazard' // refused because a kernel would misplace data
  | 'ambiguous' // the evidence does not settle which meaning a block has
  | 'locked' // another process holds the target
  | 'backup' // a backup record is corrupt or belongs elsewhere
  | 'untrusted'; // a path to be written passes through files or directories another user controls

/**
 * What the caller can do about an error, in the library's own terms: the
 * parameters to pass (camelCase API names, as `migrate({ from: 'map' })`
 * takes them) or another operation to run. Library messages never name CLI
 * flags; the CLI turns a hint into flags (`nsBase` → `--ns-base`) and a
 * complete command line.
 */
export interface Hint {
  /** Parameters to pass, with the value to give (a placeholder such as `'<ADDR>'` where the caller must choose) or
   * `true` for a switch. */
  readonly pass?: Readonly<Record<string, string | true>>;
  /** Another operation to run instead, with its parameters (its target is the one the caller named). */
  readonly run?: { readonly operation: string; readonly params: Readonly<Record<string, string | true>> };
}

/** Where in the block an error was found (byte offset and field name), its cause, and what to do about it. */
export interface ErrorPlace {
  offset?: number;
  field?: string;
  cause?: unknown;
  hint?: Hint;
  /** The message already names the field ("offset is required"): keep `field` without the "field: " prefix. */
  named?: boolean;
}

function placePrefix(place: ErrorPlace): string {
  if (place.named === true) return '';
  if (place.offset === undefined) return place.field === undefined ? '' : `${place.field}: `;
  const at = `at 0x${place.offset.toString(16)}`;
  return place.field === undefined ? `${at}: ` : `${at} (${place.field}): `;
}

/**
 * Base of every error the library throws on purpose: a one-line message, a `code`, and
 * `offset`/`field` where known.
 */
export class InfoblockError<C extends string = InfoblockErrorCode> extends Error {
  readonly code: C;
  readonly offset: number | undefined;
  readonly field: string | undefined;
  /** What to pass or run instead, when the library knows (see {@link Hint}). */
  readonly hint: Hint | undefined;

  constructor(code: C, message: string, place: ErrorPlace = {}) {
    super(placePrefix(place) + message, place.cause === undefined ? undefined : { cause: place.cause });
    this.name = new.target.name;
    this.code = code;
    this.offset = place.offset;
    this.field = place.field;
    this.hint = place.hint;
  }
}

/** Not enough bytes for the structure. */
export class TruncatedError extends InfoblockError {
  constructor(message: string, place: ErrorPlace = {}) {
    super('truncated', message, place);
  }
}

/** A field value that is out of range or otherwise cannot be represented. */
export class InvalidFieldError extends InfoblockError {
  constructor(message: string, place: ErrorPlace = {}) {
    super('invalid-field', message, place);
  }
}

/** A bad user-supplied argument (CLI option or library parameter). */
export class InvalidArgumentError extends InfoblockError {
  constructor(message: string, place: ErrorPlace = {}) {
    super('invalid-argument', message, place);
  }
}

/** File-system level failure, with the underlying error chained. */
export class IoError extends InfoblockError {
  constructor(message: string, place: ErrorPlace = {}) {
    super('io', message, place);
  }
}

/** A file to be written (or read to decide a write) that another user could have placed or could swap. */
export class UntrustedPathError extends InfoblockError {
  constructor(message: string, place: ErrorPlace = {}) {
    super('untrusted', message, place);
  }
}

/** True when `e` is an {@link InfoblockError} (of any subclass). */
export function isInfoblockError(e: unknown): e is InfoblockError {
  return e instanceof InfoblockError;
}
