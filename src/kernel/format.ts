/**
 * Text forms of the harness's inputs and outputs: IMG@ADDR specs, addresses
 * with binary suffixes, one readable line per verdict, and JSON with exact
 * bigints. Pure; the `kernel-check` command (src/cli/kernel-check.ts) and
 * library users share them.
 */

import { KernelHarnessError } from './errors';
import type { KernelCheckSpec } from './kernel-check';
import type { KernelVerdict } from './verdict';
import { hex } from '../format/int64';

const SUFFIX: Record<string, bigint> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/** Parse an address: 0x hex, decimal, or a number with a K/M/G/T (binary) suffix. */
export function parseAddress(text: string): bigint {
  const t = text.trim();
  const hexm = /^0x([0-9a-f]+)$/i.exec(t);
  if (hexm?.[1] !== undefined) return BigInt(`0x${hexm[1]}`);
  const m = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(t);
  if (m?.[1] !== undefined) return BigInt(m[1]) * (SUFFIX[(m[2] ?? '').toLowerCase()] ?? 1n);
  throw new KernelHarnessError('bad-base', `bad address '${text}': use 0x hex, decimal, or a K/M/G/T suffix`);
}

/** Parse IMG@ADDR (the last '@' separates them, so paths may contain '@'). */
export function parseImageSpec(text: string): KernelCheckSpec {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1)
    throw new KernelHarnessError('bad-base', `bad image spec '${text}': expected IMG@ADDR, e.g. ns.img@0x100000000`);
  return { path: text.slice(0, at), base: parseAddress(text.slice(at + 1)) };
}

/** JSON with bigints written as plain JSON numbers (exact digits). */
export function toJsonExact(value: unknown, indent = 2, depth = 0): string {
  const pad = ' '.repeat(indent * (depth + 1));
  const close = ' '.repeat(indent * depth);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + toJsonExact(v, indent, depth + 1)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const body = entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${toJsonExact(v, indent, depth + 1)}`);
  return `{\n${body.join(',\n')}\n${close}}`;
}

const ERRNO_NAMES: Record<number, string> = { 6: 'ENXIO', 12: 'ENOMEM', 16: 'EBUSY', 22: 'EINVAL', 95: 'EOPNOTSUPP' };

/** One readable line per verdict. */
export function formatVerdict(spec: KernelCheckSpec, v: KernelVerdict): string {
  const head = `${spec.path}@${hex(spec.base)}: ${v.outcome}`;
  const parts: string[] = [];
  if (v.kind !== null) parts.push(v.kind);
  if (v.mode !== null) parts.push(`mode=${v.mode}`);
  if (v.errno !== null)
    parts.push(`errno=${v.errno}${ERRNO_NAMES[v.errno] !== undefined ? ` (${ERRNO_NAMES[v.errno]})` : ''}`);
  if (v.data_start !== null) parts.push(`data_start=${hex(v.data_start)}`);
  if (v.data_size !== null) parts.push(`data_size=${hex(v.data_size)}`);
  const msg = v.message !== null ? `: ${v.message}` : '';
  return `${head}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}${msg}`;
}
