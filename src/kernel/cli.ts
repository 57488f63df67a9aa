/**
 * The `kernel-check` subcommand: boots the given images under a real Linux
 * (QEMU/TCG) and prints the kernel's verdict on each, in argument order.
 * Thin layer over kernelCheck; errors are KernelHarnessError (one line) for
 * the main CLI to print as `infoblock: message` with exit status 2.
 */

import type { Command } from 'commander';

import { KernelHarnessError } from './errors';
import type { BootOptions } from './harness';
import { kernelCheck, type KernelCheckSpec } from './kernel-check';
import { DEFAULT_KERNEL, KERNEL_VERSIONS, parseKernelVersion } from './kernels';
import type { KernelVerdict } from './verdict';

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
  if (at <= 0 || at === text.length - 1) throw new KernelHarnessError('bad-base', `bad image spec '${text}': expected IMG@ADDR, e.g. ns.img@0x100000000`);
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
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${toJsonExact(v, indent, depth + 1)}`).join(',\n')}\n${close}}`;
}

const ERRNO_NAMES: Record<number, string> = { 6: 'ENXIO', 12: 'ENOMEM', 16: 'EBUSY', 22: 'EINVAL', 95: 'EOPNOTSUPP' };
const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** One readable line per verdict. */
export function formatVerdict(spec: KernelCheckSpec, v: KernelVerdict): string {
  const head = `${spec.path}@${hex(spec.base)}: ${v.outcome}`;
  const parts: string[] = [];
  if (v.kind !== null) parts.push(v.kind);
  if (v.mode !== null) parts.push(`mode=${v.mode}`);
  if (v.errno !== null) parts.push(`errno=${v.errno}${ERRNO_NAMES[v.errno] !== undefined ? ` (${ERRNO_NAMES[v.errno]})` : ''}`);
  if (v.data_start !== null) parts.push(`data_start=${hex(v.data_start)}`);
  if (v.data_size !== null) parts.push(`data_size=${hex(v.data_size)}`);
  const msg = v.message !== null ? `: ${v.message}` : '';
  return `${head}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}${msg}`;
}

interface KernelCheckCliOptions {
  json?: boolean;
  kernelImage?: string;
  modules?: string;
  keepLogs?: string;
  inPlace?: boolean;
  timeout?: string;
  relocate?: boolean;
  kernel?: string;
}

/** Where kernel-check prints (the main CLI passes its own io). */
export interface KernelCheckIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

const processIo: KernelCheckIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };

export function registerKernelCheck(program: Command, io: KernelCheckIo = processIo): void {
  program
    .command('kernel-check')
    .description('boot the images under a real Linux kernel (QEMU, TCG) and print its verdict on each')
    .argument('<IMG@ADDR...>', 'image file and the physical address of its namespace (0x hex, decimal, or K/M/G suffix)')
    .option('--json', 'print a JSON array of verdicts')
    .option('--kernel <VERSION>', `Debian kernel to boot: ${KERNEL_VERSIONS.join(', ')} (default ${DEFAULT_KERNEL}; fetched and cached on first use)`)
    .option('--kernel-image <PATH>', 'boot this kernel image instead of the Debian package (needs --modules)')
    .option('--modules <DIR>', 'directory holding the nvdimm modules for --kernel-image')
    .option('--keep-logs <DIR>', 'keep serial logs and QEMU command lines in DIR')
    .option('--in-place', 'boot the images themselves instead of sparse copies (the kernel writes into them)')
    .option('--timeout <SECONDS>', 'kill a boot that takes longer than this (default 180)')
    .option('--no-relocate', 'place every namespace at exactly ADDR (default: an address congruent to it, so images share boots)')
    .action(async (specsText: string[], o: KernelCheckCliOptions) => {
      const specs = specsText.map(parseImageSpec);
      const opts: BootOptions = { onProgress: (line) => io.stderr(`kernel-check: ${line}\n`) };
      if (o.kernel !== undefined) {
        if (o.kernelImage !== undefined) throw new KernelHarnessError('kernel-unknown', '--kernel and --kernel-image exclude each other');
        opts.kernel = parseKernelVersion(o.kernel);
      }
      if (o.kernelImage !== undefined) opts.kernelImage = o.kernelImage;
      if (o.modules !== undefined) opts.modulesDir = o.modules;
      if (o.keepLogs !== undefined) opts.keepLogsDir = o.keepLogs;
      if (o.inPlace === true) opts.inPlace = true;
      if (o.relocate === false) opts.relocate = false;
      if (o.timeout !== undefined) {
        const s = Number(o.timeout);
        if (!Number.isFinite(s) || s <= 0) throw new KernelHarnessError('bad-base', `bad --timeout '${o.timeout}': expected a positive number of seconds`);
        opts.timeoutMs = Math.round(s * 1000);
      }
      const verdicts = await kernelCheck(specs, opts);
      if (o.json === true) {
        io.stdout(`${toJsonExact(verdicts.map((v, i) => ({ file: specs[i]?.path, base: specs[i]?.base, ...v })))}\n`);
      } else {
        verdicts.forEach((v, i) => {
          const spec = specs[i];
          if (spec !== undefined) io.stdout(`${formatVerdict(spec, v)}\n`);
        });
      }
    });
}
