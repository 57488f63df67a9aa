/**
 * Text forms of the harness's inputs and outputs: `IMG@ADDR` specs, addresses
 * with binary suffixes, one readable line per verdict, and JSON with exact
 * bigints. Pure; the `kernel-check` command (src/cli/kernel-check.ts) and
 * library users share them.
 */

import { KernelHarnessError } from './errors';
import type { KernelCheckSpec } from './kernel-check';
import { expectString } from '../format/guard';

const SUFFIX: Record<string, bigint> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/** Parse an address: 0x hex, decimal, or a number with a K/M/G/T (binary) suffix. */
export function parseAddress(text: string): bigint {
  expectString(text, 'text');
  const t = text.trim();
  const hexm = /^0x([0-9a-f]+)$/i.exec(t);
  if (hexm?.[1] !== undefined) return BigInt(`0x${hexm[1]}`);
  const m = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(t);
  if (m?.[1] !== undefined) return BigInt(m[1]) * (SUFFIX[(m[2] ?? '').toLowerCase()] ?? 1n);
  throw new KernelHarnessError('bad-base', `bad address '${text}': use 0x hex, decimal, or a K/M/G/T suffix`);
}

/** Parse `IMG@ADDR` (the last `@` separates them, so paths may contain `@`). */
export function parseImageSpec(text: string): KernelCheckSpec {
  expectString(text, 'text');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1)
    throw new KernelHarnessError('bad-base', `bad image spec '${text}': expected IMG@ADDR, e.g. ns.img@0x100000000`);
  return { path: text.slice(0, at), base: parseAddress(text.slice(at + 1)) };
}
