/**
 * Size and address strings, with ndctl's syntax: an integer in C `strtoull`
 * base-0 form (decimal, 0x hex, leading-0 octal), optionally followed by one
 * binary suffix k/K, m/M, g/G, t/T. Anything else is rejected; so is a value
 * that does not fit in a u64 (ndctl uses ULLONG_MAX as its failure value, so
 * 2^64-1 is rejected too).
 */
import { InvalidArgumentError } from './errors';

const SIZE_RE = /^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgGtT]?)$/;
const SHIFT: Record<string, bigint> = { '': 0n, k: 10n, m: 20n, g: 30n, t: 40n };
export const U64_MAX = (1n << 64n) - 1n;

/** Parse `text` as a byte count; `what` names it in the error. */
export function parseSize(text: string, what = 'size'): bigint {
  const m = SIZE_RE.exec(text);
  if (m === null) throw new InvalidArgumentError(`failed to parse ${what} '${text}'`);
  const digits = m[1] as string;
  const base = digits.length > 1 && digits[0] === '0' && /[xX]/.test(digits[1] as string) ? '' : digits.length > 1 && digits[0] === '0' ? '0o' : '';
  const n = BigInt(base === '0o' ? `0o${digits.slice(1)}` : digits) << (SHIFT[(m[2] as string).toLowerCase()] as bigint);
  if (n >= U64_MAX) throw new InvalidArgumentError(`failed to parse ${what} '${text}': does not fit in 64 bits`);
  return n;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `2097152n` → "2 MiB"; non-round values keep two decimals ("1.50 GiB"). */
export function humanSize(bytes: bigint): string {
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

export function hex(n: bigint | number): string {
  return `0x${n.toString(16)}`;
}
