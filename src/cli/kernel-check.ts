/**
 * The `kernel-check` subcommand: boots the given images under a real Linux
 * (QEMU/TCG; Debian's 5.10, 6.1, 6.12 or 7.2) and prints the kernel's verdict
 * on each, in argument order. Thin layer over kernelCheck; errors are
 * KernelHarnessError (one line) for the main CLI to print as
 * `infoblock: message` with exit status 2.
 */

import type { Command } from 'commander';

import { KernelHarnessError } from '../kernel/errors';
import { parseImageSpec } from '../kernel/format';
import { toJsonDigits } from '../format/json';
import { formatKernelVerdict } from './render';
import type { BootOptions } from '../kernel/harness';
import {
  kernelCheckDetailed,
  labelledVerdicts,
  type LabelledNamespaceVerdict,
  type KernelCheckSpec,
} from '../kernel/kernel-check';
import { parseAddress } from '../kernel/format';
import { MAX_LABEL_SIZE, MIN_LABEL_SIZE } from '../format/labels-spec';
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
  labelSize?: string;
}

export function registerKernelCheck(program: Command, io: CliIo = processIo): void {
  program
    .command('kernel-check')
    .description('boot the images under a real Linux kernel (QEMU, TCG) and print its verdict on each')
    .argument(
      '<IMG@ADDR...>',
      'image file and the physical address of its namespace (0x hex, decimal, or K/M/G suffix)',
    )
    .option('--json', 'print a JSON array of verdicts')
    .option(
      '--kernel <VERSION>',
      `Debian kernel to boot: ${KERNEL_VERSIONS.join(', ')} (default ${DEFAULT_KERNEL}; fetched and cached ` +
        `on first use)`,
    )
    .option('--kernel-image <PATH>', 'boot this kernel image instead of the Debian package (needs --modules)')
    .option('--modules <DIR>', 'directory holding the nvdimm modules for --kernel-image')
    .option('--keep-logs <DIR>', 'keep serial logs and QEMU command lines in DIR')
    .option('--in-place', 'boot the images themselves instead of sparse copies (the kernel writes into them)')
    .option('--timeout <SECONDS>', 'kill a boot that takes longer than this (default 180)')
    .option(
      '--label-size <BYTES>',
      'attach every image as a labelled NVDIMM (QEMU label-size=, at least 128K), namespaces from its last BYTES',
    )
    .option(
      '--no-relocate',
      'place every namespace at exactly ADDR (default: an address congruent to it, so images share boots)',
    )
    .action((specsText: string[], o: KernelCheckCliOptions) => kernelCheckAction(io, specsText, o));
}

async function kernelCheckAction(io: CliIo, specsText: string[], o: KernelCheckCliOptions): Promise<void> {
  const specs = specsText.map(parseImageSpec);
  if (o.labelSize !== undefined) {
    const n = parseAddress(o.labelSize);
    if (n < MIN_LABEL_SIZE || n > MAX_LABEL_SIZE) {
      const range = `QEMU takes ${MIN_LABEL_SIZE} to ${MAX_LABEL_SIZE} bytes`;
      throw new KernelHarnessError('bad-image', `bad --label-size '${o.labelSize}': ${range}`);
    }
    for (const s of specs) s.labelSize = n;
  }
  const opts: BootOptions = { onProgress: (line) => io.stderr(`kernel-check: ${line}\n`) };
  if (o.kernel !== undefined) {
    if (o.kernelImage !== undefined)
      throw new KernelHarnessError('kernel-unknown', '--kernel and --kernel-image exclude each other');
    opts.kernel = parseKernelVersion(o.kernel);
  }
  if (o.kernelImage !== undefined) opts.kernelImage = o.kernelImage;
  if (o.modules !== undefined) opts.modulesDir = o.modules;
  if (o.keepLogs !== undefined) opts.keepLogsDir = o.keepLogs;
  if (o.inPlace === true) opts.inPlace = true;
  if (o.relocate === false) opts.relocate = false;
  if (o.timeout !== undefined) {
    const s = Number(o.timeout);
    if (!Number.isFinite(s) || s <= 0)
      throw new KernelHarnessError('bad-base', `bad --timeout '${o.timeout}': expected a positive number of seconds`);
    opts.timeoutMs = Math.round(s * 1000);
  }
  const { verdicts, observations } = await kernelCheckDetailed(specs, opts);
  const labelled = (i: number): LabelledNamespaceVerdict[] | undefined => {
    const ob = observations[i];
    return o.labelSize === undefined || ob === undefined ? undefined : labelledVerdicts(ob);
  };
  if (o.json === true) {
    const rows = verdicts.map((v, i) => ({
      file: specs[i]?.path,
      base: specs[i]?.base,
      ...v,
      namespaces: labelled(i),
    }));
    io.stdout(`${toJsonDigits(rows)}\n`);
  } else {
    verdicts.forEach((v, i) => {
      const spec = specs[i];
      if (spec === undefined) return;
      const ns = labelled(i);
      if (ns === undefined) io.stdout(`${formatKernelVerdict(spec, v)}\n`);
      else io.stdout(`${formatLabelled(spec, ns, observations[i]?.setCookie ?? null)}\n`);
    });
  }
}

const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** A labelled DIMM: a line for the DIMM (its cookie), then one verdict line per namespace the kernel created. */
function formatLabelled(spec: KernelCheckSpec, ns: readonly LabelledNamespaceVerdict[], cookie: bigint | null): string {
  const head =
    `${spec.path}@${hex(spec.base)}: ${ns.length} labelled namespace${ns.length === 1 ? '' : 's'}` +
    `${cookie === null ? '' : ` (set_cookie ${hex(cookie)})`}`;
  const lines = ns.map((n) => {
    const alt = n.alt_name === null ? '' : ` '${n.alt_name}'`;
    const what = `  ${n.name}${alt} uuid=${n.uuid ?? '?'} size=${n.size ?? '?'} mode=${n.mode ?? '?'}`;
    const at = { path: what, base: n.dpa ?? 0n };
    return formatKernelVerdict(at, n.verdict).replace(/@0x([0-9a-f]+): /, ' dpa=0x$1: ');
  });
  return [head, ...lines].join('\n');
}
