/**
 * The one home of the project's 64-bit helpers: the u64 range and mask, the
 * hex form every message and JSON document uses, the C kernel's unsigned
 * wrap-around, and the sizes the kernel's rules talk in (SZ_4K ... SZ_1G,
 * named as in the kernel's headers), and the bigint check of API parameters.
 * Pure: no I/O.
 */

import { InvalidArgumentError } from './errors';
import { expectBigint, expectString } from './guard';

/** 2^64 - 1: the largest u64, and the mask that wraps a bigint like C's unsigned arithmetic. */
export const U64_MAX = (1n << 64n) - 1n;

/** `x` reduced to u64 as C's unsigned arithmetic would (negative values wrap). */
export const u64 = (x: bigint): bigint => x & U64_MAX;

/**
 * `0x`-prefixed lowercase hex, the form of every address and size in messages and JSON (a negative value,
 * e.g. a signed difference, as `-0x…`). The only one: every layer prints hex through it.
 */
export function hex(n: bigint | number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

export const SZ_4K = 4096n;
export const SZ_8K = 8192n;
export const SZ_64K = 65536n;
export const SZ_2M = 2n << 20n;
export const SZ_16M = 16n << 20n;
export const SZ_128M = 128n << 20n;
export const SZ_1G = 1n << 30n;

/**
 * `value` when it is a bigint in [0, 2^64): every byte quantity and address the
 * API takes is a bigint. A number (even a safe integer) is refused with an
 * InvalidArgumentError naming the parameter, rather than failing later with
 * "Cannot mix BigInt and other types".
 */
/**
 * A range that must fit the 64-bit address space: `base + size` at most
 * 2^64 (its last byte at 2^64 - 1 or below). Above that, C's unsigned
 * arithmetic would wrap and the numbers would name addresses that do not
 * exist (a map_base of 0x10000000000000000); refused with an
 * InvalidArgumentError instead.
 */
export function expectSpan(base: bigint, size: bigint, what = 'namespace'): void {
  expectBigint(base, 'base');
  expectBigint(size, 'size');
  if (what !== undefined) expectString(what, 'what');
  const end = base + size;
  if (end > 1n << 64n) {
    throw new InvalidArgumentError(
      `the ${what} at ${hex(base)} of ${hex(size)} bytes would end at ${hex(end)}, past the 64-bit address ` +
        `space (2^64): no such address exists`,
    );
  }
}

export function expectU64(value: unknown, name: string): bigint {
  // A missing option says so, not "must be a bigint (got undefined)".
  if (value === undefined)
    throw new InvalidArgumentError(`${name} is required (a bigint)`, { field: name, named: true });
  const v = expectBigint(value, name);
  if (v < 0n || v > U64_MAX) throw new InvalidArgumentError(`${v} is outside 0..2^64-1`, { field: name });
  return v;
}
