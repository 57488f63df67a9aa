/**
 * `infoblock scan`: stream a whole image or block device and list every
 * info-block and filesystem superblock found, at its exact byte offset.
 * Exit status: 0 something found, 1 nothing found, 2 usage or I/O error.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../format/errors';
import { hex, humanSize, parseSize } from '../format/units';
import { scanTarget, type ScanResult } from '../scan/scan';
import { findingLines, findingView, type ScanContext } from '../scan/report';
import { relativeTo } from '../scan/detect';
import { DEFAULT_PROFILE, KERNEL_FORMS, resolveKernel } from '../validate/versions';
import { ExitCode } from './exit-code';
import { processIo, type CliIo } from './io';
import { pathText } from '../io/path';
import { jsonText } from '../format/json';
import { parseNsBase } from './options';

interface ScanOpts {
  json?: boolean;
  offset?: string;
  from?: string;
  to?: string;
  nsBase?: string;
  kernel: string;
  chunk?: string;
}

/** A progress bar on stderr, only when it is a terminal and the CLI writes to the real process streams. */
export function progressFor(
  io: CliIo,
  label: string,
): { update: (done: bigint, total: bigint) => void; stop: () => void } {
  if (io.stderr !== processIo.stderr || process.stderr.isTTY !== true)
    return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% {value}/{total} MiB`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      const mib = (x: bigint): number => Number(x >> 20n);
      if (!started) {
        bar.start(mib(total), 0);
        started = true;
      }
      bar.update(mib(done));
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** The `scan` JSON document's body: the range read and every finding (superblock copies included). */
function scanBody(target: string, offset: bigint, r: ScanResult, ctx: ScanContext): object {
  return {
    file: target,
    offset,
    size: r.size,
    from: r.from,
    to: r.to,
    bytesRead: r.bytesRead,
    nsBase: ctx.nsBase,
    kernel: ctx.kernel,
    findings: r.findings.map((f) => findingView(f, ctx)),
  };
}

/** The scan seen from the namespace at `offset`: its range, size and every finding's positions relative to it. */
function inNamespace(offset: bigint, r: ScanResult): ScanResult {
  if (offset === 0n) return r;
  return {
    ...r,
    size: r.size - offset,
    from: r.from - offset,
    to: r.to - offset,
    findings: r.findings.map((f) => relativeTo(f, offset)),
  };
}

export function registerScan(program: Command, io: CliIo): void {
  program
    .command('scan')
    .description(
      'Read a whole image or block device and list every pfn/dax/BTT info-block and ext2/3/4, XFS and btrfs ' +
        'superblock, at its exact byte offset.',
    )
    .argument('<TARGET>', 'image file or block device')
    .option('--json', 'print the findings as JSON (schemas/scan.schema.json; u64 values as "0x..." strings)')
    .option(
      '--offset <BYTES>',
      'where the namespace starts inside TARGET (default 0): the scan covers it, positions count from it',
    )
    .option('--from <BYTES>', 'start of the range to scan (default 0)')
    .option('--to <BYTES>', 'end of the range to scan, exclusive (default: the end of TARGET)')
    .option(
      '--ns-base <ADDR>',
      "physical address of TARGET's byte 0, for the kernel's verdict on info-blocks found (default 0)",
    )
    .option('--kernel <KERNEL>', `kernel for those verdicts: ${KERNEL_FORMS}`, DEFAULT_PROFILE)
    .option('--chunk <BYTES>', 'bytes per read (default 4M)')
    .addHelpText(
      'after',
      '\nExit status: 0 something found, 1 nothing found, 2 usage or I/O error.\nExample: infoblock scan ' +
        '/dev/pmem0 --json',
    )
    .action((target: string, o: ScanOpts) => {
      const kernel = resolveKernel(o.kernel).id; // one clear line before any I/O
      const chunk = o.chunk === undefined ? undefined : parseSize(o.chunk, 'chunk size');
      if (chunk !== undefined && (chunk > 1n << 30n || chunk < 8192n || chunk % 4096n !== 0n))
        throw new InvalidArgumentError('--chunk must be a multiple of 4096 between 8K and 1G');
      const bar = progressFor(io, 'scan');
      const offset = o.offset === undefined ? 0n : parseSize(o.offset, 'offset');
      let r: ScanResult;
      try {
        r = inNamespace(
          offset,
          scanTarget(target, {
            from: offset + (o.from === undefined ? 0n : parseSize(o.from, 'scan start')),
            ...(o.to === undefined ? {} : { to: offset + parseSize(o.to, 'scan end') }),
            ...(chunk === undefined ? {} : { chunkSize: chunk }),
            onProgress: bar.update,
          }),
        );
      } finally {
        bar.stop();
      }
      const ctx: ScanContext = {
        nsBase: o.nsBase === undefined ? 0n : parseNsBase(o.nsBase),
        targetSize: r.size,
        kernel,
      };
      if (o.json === true) io.stdout(`${jsonText('scan', scanBody(target, offset, r, ctx))}\n`);
      else {
        io.stdout(
          `${pathText(target)}: scanned ${hex(r.from)}..${hex(r.to)} ` +
            `(${humanSize(r.to - r.from)}), ${r.findings.length} ` +
            `structure(s) found\n`,
        );
        for (const line of findingLines(r.findings, ctx)) io.stdout(`${line}\n`);
      }
      if (r.findings.length === 0) throw new ExitCode(1);
    });
}
