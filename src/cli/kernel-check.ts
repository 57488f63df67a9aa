/**
 * The `kernel-check` subcommand: boots the given images under a real Linux
 * (QEMU/TCG; Debian's 5.10, 6.1, 6.12 or 7.2) and prints the kernel's verdict
 * on each, in argument order; or, with --compare, boots the files a corpus
 * manifest lists and reports where the kernel disagrees with the rows'
 * predictions. Thin layer over kernelCheckDetailed and bootManifest; errors
 * are KernelHarnessError (one line) for the main CLI to print as
 * `infoblock: message` with exit status 2.
 */

import { escapeText } from '../format/escape';
import * as path from 'node:path';
import { Option, type Command } from 'commander';

import { InvalidArgumentError } from '../format/errors';
import { hex } from '../format/int64';
import { KernelHarnessError } from '../kernel/errors';
import { parseAddress, parseImageSpec } from '../kernel/format';
import type { BootOptions } from '../kernel/harness';
import { kernelCheckDetailed } from '../kernel/kernel-check';
import { bootManifest, readManifest, type ManifestComparison } from '../kernel/manifest';
import type { KernelVerdict } from '../kernel/verdict';
import { MAX_LABEL_SIZE, MIN_LABEL_SIZE } from '../format/labels-spec';
import { DEFAULT_KERNEL, KERNEL_VERSIONS, parseKernelVersion } from '../kernel/kernels';
import { ExitCode } from './exit-code';
import { processIo, type CliIo } from './io';
import { jsonText } from '../format/json';
import { daxAction, daxCompareAction, daxMode } from './kernel-check-dax';
import { itemText, kernelCheckBody, kernelCheckStatus, kernelOf, type KernelCheckKernel } from './kernel-check-render';

export {
  formatLabelled,
  itemText,
  kernelCheckBody,
  kernelCheckStatus,
  kernelOf,
  verdictLine,
  type KernelCheckItem,
  type KernelCheckKernel,
} from './kernel-check-render';

interface KernelCheckCliOptions {
  json?: boolean;
  compare?: string;
  kernelImage?: string;
  modulesDir?: string;
  modules?: string;
  keepLogs?: string;
  inPlace?: boolean;
  timeout?: string;
  relocate?: boolean;
  kernel?: string;
  labelSize?: string;
  dax?: string | boolean;
}

export function registerKernelCheck(program: Command, io: CliIo = processIo): void {
  program
    .command('kernel-check')
    .description('boot the images under a real Linux kernel (QEMU, TCG) and print its verdict on each')
    .argument(
      '[IMG@ADDR...]',
      'image file and the physical address of its namespace (0x hex, decimal, or K/M/G suffix)',
    )
    .option('--json', 'print one kernel-check JSON document (schemas/kernel-check.schema.json)')
    .option(
      '--compare <MANIFEST>',
      "boot the files a corpus manifest lists (relative to its directory) and compare with each row's prediction",
    )
    .option(
      '--kernel <VERSION>',
      `Debian kernel to boot: ${KERNEL_VERSIONS.join(', ')} (default ${DEFAULT_KERNEL}; fetched and cached ` +
        `on first use)`,
    )
    .option('--kernel-image <PATH>', 'boot this kernel image instead of the Debian package (needs --modules-dir)')
    .option('--modules-dir <DIR>', 'directory holding the nvdimm modules for --kernel-image')
    .addOption(new Option('--modules <DIR>', 'former name of --modules-dir').hideHelp())
    .option('--keep-logs <DIR>', 'keep serial logs and QEMU command lines in DIR')
    .option('--in-place', 'boot the images themselves instead of sparse copies (the kernel writes into them)')
    .option('--timeout <SECONDS>', 'kill a boot that takes longer than this (default 180)')
    .option(
      '--label-size <BYTES>',
      'attach every image as a labelled NVDIMM (QEMU label-size=, at least 128K), namespaces from its last BYTES',
    )
    .option(
      '--dax [MODE]',
      "also prove what DAX does on the booted kernel: mount each fsdax namespace's ext4/xfs with -o dax and " +
        'compare read(2) with mmap page by page (read), also write through the mapping (write), or first make ' +
        'a scratch ext4 in the data area (scratch); devdax: map the device. Works on sparse copies only',
    )
    .option(
      '--no-relocate',
      'place every namespace at exactly ADDR (default: an address congruent to it, so images share boots)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  infoblock kernel-check ns.img@0x100000000 --kernel 7.2\n' +
        '  infoblock kernel-check --dax=write fs.img@0x100100000 --kernel 6.12\n' +
        '  infoblock corpus --out c --format image --ns-size 64M --count 200 && infoblock kernel-check ' +
        '--compare c/manifest.jsonl',
    )
    .action((specsText: string[], o: KernelCheckCliOptions) => kernelCheckAction(io, specsText, o));
}

/** The boot options the command line asks for. */
function bootOptions(io: CliIo, o: KernelCheckCliOptions): BootOptions {
  const opts: BootOptions = { onProgress: (line) => io.stderr(`kernel-check: ${line}\n`) };
  if (o.kernel !== undefined) {
    if (o.kernelImage !== undefined) throw new InvalidArgumentError('--kernel and --kernel-image exclude each other');
    opts.kernel = parseKernelVersion(o.kernel);
  }
  const modulesDir = o.modulesDir ?? o.modules;
  if (o.kernelImage !== undefined) opts.kernelImage = o.kernelImage;
  if (modulesDir !== undefined) opts.modulesDir = modulesDir;
  if (o.keepLogs !== undefined) opts.keepLogsDir = o.keepLogs;
  if (o.inPlace === true) opts.inPlace = true;
  if (o.relocate === false) opts.relocate = false;
  if (o.timeout !== undefined) {
    const s = Number(o.timeout);
    if (!Number.isFinite(s) || s <= 0)
      throw new KernelHarnessError('bad-base', `bad --timeout '${o.timeout}': expected a positive number of seconds`);
    opts.timeoutMs = Math.round(s * 1000);
  }
  return opts;
}

function labelSizeOf(o: KernelCheckCliOptions): bigint | undefined {
  if (o.labelSize === undefined) return undefined;
  const n = parseAddress(o.labelSize);
  if (n < MIN_LABEL_SIZE || n > MAX_LABEL_SIZE) {
    const range = `QEMU takes ${MIN_LABEL_SIZE} to ${MAX_LABEL_SIZE} bytes`;
    throw new KernelHarnessError('bad-image', `bad --label-size '${o.labelSize}': ${range}`);
  }
  return n;
}

async function kernelCheckAction(io: CliIo, specsText: string[], o: KernelCheckCliOptions): Promise<void> {
  // First: `--dax IMG@ADDR` takes the image as the mode, and that is what to say.
  const dax = o.dax === undefined ? undefined : daxMode(o.dax);
  if (o.compare !== undefined && specsText.length > 0)
    throw new InvalidArgumentError('give IMG@ADDR arguments or --compare MANIFEST, not both');
  if (o.compare === undefined && specsText.length === 0)
    throw new InvalidArgumentError('give at least one IMG@ADDR, or --compare MANIFEST');
  if (o.compare !== undefined && o.labelSize !== undefined)
    throw new InvalidArgumentError('--compare boots label-less namespaces: leave out --label-size');
  const specs = specsText.map(parseImageSpec);
  const labelSize = labelSizeOf(o);
  if (labelSize !== undefined) for (const s of specs) s.labelSize = labelSize;
  const opts = bootOptions(io, o);
  if (dax !== undefined) {
    const mode = dax;
    if (o.inPlace === true) throw new InvalidArgumentError('--dax works on sparse copies: leave out --in-place');
    if (o.compare !== undefined) {
      if (o.json === true) throw new InvalidArgumentError('--compare --dax prints text: leave out --json');
      return daxCompareAction(io, o.compare, opts, mode);
    }
    return daxAction(io, specs, opts, mode, o.json === true, labelSize !== undefined);
  }
  if (o.compare !== undefined) return compareAction(io, o.compare, opts, o.json === true);
  const { verdicts, observations } = await kernelCheckDetailed(specs, opts);
  const items = specs.map((spec, i) => ({ spec, verdict: verdicts[i] as KernelVerdict, observation: observations[i] }));
  const labelled = labelSize !== undefined;
  if (o.json === true)
    io.stdout(`${jsonText('kernel-check', kernelCheckBody(items, kernelOf(opts, observations), labelled))}\n`);
  else for (const it of items) io.stdout(`${itemText(it, labelled)}\n`);
  throw new ExitCode(kernelCheckStatus(items, labelled));
}

/** --compare's report: one line per disagreement, a summary, and the exit status (0 all agree, 1 otherwise). */
export function compareReport(manifest: string, cs: readonly ManifestComparison[]): { lines: string[]; code: 0 | 1 } {
  const lines: string[] = [];
  for (const c of cs) {
    if (c.differences.length === 0) continue;
    const what = c.row.mutation === null ? '' : ` (${c.row.mutation})`;
    lines.push(`${escapeText(c.row.file)}@${hex(c.row.nsBase)}${what}: ${escapeText(c.differences.join('; '))}`);
  }
  const agree = cs.length - lines.length;
  const crashed = cs.filter((c) => c.verdict.outcome === 'crashed').length;
  lines.push(
    `${manifest}: ${agree} of ${cs.length} row${cs.length === 1 ? '' : 's'} agree with the kernel` +
      `${lines.length === 0 ? '' : `, ${lines.length} disagree`}` +
      `${crashed === 0 ? '' : ` (${crashed} crashed the guest kernel)`}`,
  );
  return { lines, code: agree === cs.length ? 0 : 1 };
}

async function compareAction(io: CliIo, manifest: string, opts: BootOptions, json: boolean): Promise<never> {
  const rows = await readManifest(manifest);
  const cs = await bootManifest(rows, path.dirname(manifest), opts);
  const report = compareReport(manifest, cs);
  if (json) io.stdout(`${jsonText('kernel-check', compareDocumentBody(manifest, cs, opts))}\n`);
  else io.stdout(`${report.lines.join('\n')}\n`);
  throw new ExitCode(report.code);
}

/** The body of --compare --json: every row's file and the kernel's verdict, its differences, and the counts. */
export function compareDocumentBody(manifest: string, cs: readonly ManifestComparison[], opts: BootOptions): object {
  const items = cs.map((c) => ({
    spec: { path: c.row.file, base: c.row.nsBase },
    verdict: c.verdict,
    observation: c.observation,
  }));
  const kernel = kernelOf(
    opts,
    cs.map((c) => c.observation),
  );
  return compareBody(manifest, cs, kernelCheckBody(items, kernel));
}

/** A kernel-check body with the comparison: each verdict's differences from its row, and the counts. */
export function compareBody(manifest: string, cs: readonly ManifestComparison[], body: object): object {
  const b = body as { kernel: KernelCheckKernel; verdicts: object[] };
  const verdicts = b.verdicts.map((v, i) => ({ ...v, differences: cs[i]?.differences ?? [] }));
  const agree = cs.filter((c) => c.differences.length === 0).length;
  return { ...b, verdicts, compare: { manifest, rows: cs.length, agree, disagree: cs.length - agree } };
}
