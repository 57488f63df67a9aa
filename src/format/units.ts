/**
 * Size and address strings, with ndctl's syntax: an integer in C `strtoull`
 * base-0 form (decimal, 0x hex, leading-0 octal), optionally followed by one
 * binary suffix k/K, m/M, g/G, t/T. Anything else is rejected; so is a value
 * that does not fit in a u64 (ndctl uses ULLONG_MAX as its failure value, so
 * 2^64-1 is rejected too).
 */
import { InvalidArgumentError } from './errors';

const SHIFT: Record<string, bigint> = { k: 10n, m: 20n, g: 30n, t: 40n };
import { U64_MAX } from './int64';
import { expectBigint, expectOptions, expectString } from './guard';

export { U64_MAX, hex } from './int64';

export interface ParseSizeOptions {
  /**
   * Accept a leading +/- as C's strtoull does (a negative number wraps
   * modulo 2^64: "-2" is 2^64-2). Only `write --meaning ndctl` wants this,
   * for byte parity with ndctl; everywhere else a sign is an error.
   */
  signs?: boolean;
}

/**
 * Parse `text` as a byte count; `what` names it in the error. The grammar is
 * ndctl's parse_size64: strtoull base 0, then at most one suffix; the result
 * 2^64-1 is ndctl's failure value and is rejected; a suffix multiplication
 * that wraps below the unscaled value is rejected, one that wraps above it is
 * (as in ndctl) taken modulo 2^64.
 */
export function parseSize(text: string, what = 'size', opts: ParseSizeOptions = {}): bigint {
  expectString(text, 'text');
  if (what !== undefined) expectString(what, 'what');
  expectOptions(opts, 'opts', true);
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`failed to parse ${what} '${text}'${why === '' ? '' : `: ${why}`}`);
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*|)(.*)$/s.exec(text);
  if (m === null) throw bad('');
  const [, sign = '', digits = '', rest = ''] = m;
  if (sign !== '' && opts.signs !== true) throw bad('a size has no sign');
  if (digits === '' && (sign !== '' || /^[ \t\n\v\f\r]/.test(text))) throw bad('no digits');
  let v =
    digits === ''
      ? 0n
      : /^0[xX]/.test(digits)
        ? BigInt(digits)
        : digits.length > 1 && digits.startsWith('0')
          ? BigInt(`0o${digits.slice(1)}`)
          : BigInt(digits);
  if (v > U64_MAX) throw bad('does not fit in 64 bits');
  if (sign === '-') v = (U64_MAX + 1n - v) & U64_MAX;
  // It fits, but ndctl's parser returns it for a failure: say so rather than "does not fit".
  if (v === U64_MAX) throw bad("2^64 - 1 is the failure value of ndctl's size parser, never a size or address");
  if (rest === '') return v;
  const shift = SHIFT[rest.toLowerCase()];
  if (shift === undefined || rest.length !== 1) throw bad(`unknown suffix '${rest}' (use K, M, G or T)`);
  const scaled = (v << shift) & U64_MAX;
  if (scaled < v) throw bad('does not fit in 64 bits');
  return scaled;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `2097152n` → "2 MiB"; non-round values keep two decimals ("1.50 GiB"). */
export function humanSize(bytes: bigint): string {
  expectBigint(bytes, 'bytes');
  let unit = 0;
  let whole = bytes;
  while (whole >= 1024n && unit < UNITS.length - 1 && whole % 1024n === 0n) {
    whole /= 1024n;
    unit++;
  }
  if (whole < 1024n || unit === UNITS.length - 1) return `${whole} ${UNITS[unit]}`;
  let u = unit;
  let v = Number(whole);
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${UNITS[u]}`;
}
