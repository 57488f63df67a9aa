/**
 * The `kernel-check` subcommand: boots the given images under a real Linux
 * (QEMU/TCG; Debian's 5.10, 6.1, 6.12 or 7.2) and prints the kernel's verdict
 * on each, in argument order. Thin layer over kernelCheck; errors are
 * KernelHarnessError (one line) for the main CLI to print as
 * `infoblock: message` with exit status 2.
 */

import type { Command } from 'commander';

import { KernelHarnessError } from '../kernel/errors';
import { formatVerdict, parseImageSpec, toJsonExact } from '../kernel/format';
import type { BootOptions } from '../kernel/harness';
import { kernelCheck } from '../kernel/kernel-check';
import { DEFAULT_KERNEL, KERNEL_VERSIONS, parseKernelVersion } from '../kernel/kernels';
import { processIo, type CliIo } from './io';

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

export function registerKernelCheck(program: Command, io: CliIo = processIo): void {
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
