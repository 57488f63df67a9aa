/**
 * The type checks at the library's public entry points. A caller in plain
 * JavaScript (or TypeScript with a cast) can pass anything; every exported
 * function checks the kind of what it was given first, so a wrong type is
 * an {@link InvalidArgumentError} naming the parameter (code
 * `invalid-argument`) rather than a TypeError from deep inside, a RangeError,
 * or a result computed from garbage. Only kinds are checked here; values are
 * checked where they are used (`expectU64` for a bigint's range).
 * Pure: no I/O.
 */

import { requireLength } from './bytes';
import { InvalidArgumentError } from './errors';

/** What `value` is, in a message: `null`, `an array`, `an ArrayBuffer`, `a number`... */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

function refuse(name: string, wanted: string, value: unknown): never {
  throw new InvalidArgumentError(`must be ${wanted} (got ${kindOf(value)})`, { field: name });
}

/** `value` when it is a Uint8Array (a Buffer is one); an ArrayBuffer is refused: wrap it in `new Uint8Array(…)`. */
export function expectBytes(value: unknown, name: string): Uint8Array {
  if (value instanceof ArrayBuffer) {
    throw new InvalidArgumentError('must be a Uint8Array (got an ArrayBuffer): pass new Uint8Array(buffer)', {
      field: name,
    });
  }
  if (!(value instanceof Uint8Array)) refuse(name, 'a Uint8Array', value);
  return value;
}

/**
 * `value` when it is a bigint (its range is the caller's to check, e.g. with `expectU64`). A number, even a
 * safe integer, is refused: every byte quantity and address the API takes is a bigint.
 */
export function expectBigint(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint') {
    const hintValue = typeof value === 'number' && Number.isSafeInteger(value) ? `${value}n` : 'a bigint';
    throw new InvalidArgumentError(`must be a bigint (got ${typeof value}): pass ${hintValue}`, { field: name });
  }
  return value;
}

/** `value` when it is a string. */
export function expectString(value: unknown, name: string): string {
  if (typeof value !== 'string') refuse(name, 'a string', value);
  return value;
}

/** `value` when it is a finite number. */
export function expectNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) refuse(name, 'a finite number', value);
  return value;
}

/** `value` when it is a safe integer, at least `min` (0 unless told). */
export function expectInteger(value: unknown, name: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    refuse(name, min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`, value);
  }
  return value;
}

/** `value` when it is an array. */
export function expectArray(value: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(value)) refuse(name, 'an array', value);
  return value;
}

/** `value` when it is a function. */
export function expectFunction(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') refuse(name, 'a function', value);
  return value as (...args: never[]) => unknown;
}

/**
 * `value` when it is an options/record object: not null, not an array, not a
 * typed array or ArrayBuffer. With `optional`, undefined is accepted too (the
 * function's defaults apply).
 */
export function expectOptions<T>(value: T, name: string, optional = false): T {
  if (value === undefined && optional) return value;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  ) {
    refuse(name, optional ? 'an object or undefined' : 'an object', value);
  }
  return value;
}

/** `value` when it is a string or a Uint8Array (a path, or text given either way). */
export function expectStringOrBytes(value: unknown, name: string): string | Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) refuse(name, 'a string or a Uint8Array', value);
  return value;
}

/** The kinds {@link expectFields} checks: what `typeof`/`instanceof` must say of a field. */
export type FieldKindName =
  'bytes' | 'bigint' | 'string' | 'number' | 'boolean' | 'array' | 'function' | 'object' | 'path';

const FIELD_CHECK: Record<FieldKindName, (value: unknown, name: string) => unknown> = {
  bytes: expectBytes,
  bigint: expectBigint,
  string: expectString,
  number: expectNumber,
  boolean: expectBoolean,
  array: expectArray,
  function: expectFunction,
  object: (value, name) => expectOptions(value, name),
  path: expectStringOrBytes,
};

/** What a field of each kind must be, in a "… is required" message. */
const FIELD_WANTED: Record<FieldKindName, string> = {
  bytes: 'a Uint8Array',
  bigint: 'a bigint',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  function: 'a function',
  object: 'an object',
  path: 'a string or a Uint8Array',
};

/**
 * `value` when it is a Uint8Array of at least `need` bytes: the wrong type is refused as `invalid-argument`
 * naming `name`, a short one as `truncated` saying what it should hold (`what`).
 */
export function expectBytesOf(value: unknown, name: string, need: number, what: string): Uint8Array {
  const bytes = expectBytes(value, name);
  requireLength(bytes, need, what);
  return bytes;
}

/** `value` when it is a boolean. */
export function expectBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') refuse(name, 'a boolean', value);
  return value;
}

/**
 * `value` when it is an object whose required fields are there and of the
 * right kind (`{ target: 'path', nsBase: 'bigint' }`): `{}` or a record
 * missing a field is refused naming the field (as the API names it), not a
 * TypeError later.
 */
export function expectFields<T>(value: T, name: string, fields: Readonly<Record<string, FieldKindName>>): T {
  expectOptions(value, name);
  for (const [field, kind] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[field];
    // A missing field says so ("offset is required"), not "must be a bigint (got undefined)".
    if (v === undefined)
      throw new InvalidArgumentError(`${field} is required (${FIELD_WANTED[kind]})`, { field, named: true });
    FIELD_CHECK[kind](v, field);
  }
  return value;
}

/**
 * `value` when it has the fields of a decoded pfn block (what `decodePfnBlock` returns) that the validator
 * reads: its kind, the raw and effective fields, and the checksum's state.
 */
export function expectDecodedBlock<T>(value: T, name: string): T {
  return expectFields(value, name, {
    kind: 'string',
    fields: 'object',
    effective: 'object',
    computedChecksum: 'bigint',
    checksumValid: 'boolean',
  });
}
