/**
 * `infoblock scan`: stream a whole image or block device and list every
 * info-block and filesystem superblock found, at its exact byte offset.
 * Exit status: 0 something found, 1 nothing found, 2 usage or I/O error.
 */
import type * as CliProgress from 'cli-progress';
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
import { expectSpan } from '../format/int64';
import { jsonText } from '../format/json';
import { parseNsBase } from './options';
import { readExact, targetSize } from '../io/files';
import { HEAD_SIZE } from '../format/head';
import { contextOf } from './hints';
import { tornFields, tornFirst, tornNotice } from './torn';

interface ScanOpts {
  json?: boolean;
  offset?: string;
  from?: string;
  to?: string;
  nsBase?: string;
  kernel: string;
  chunk?: string;
  readAll?: boolean;
}

/** A progress bar on stderr, only when it is a terminal and the CLI writes to the real process streams. */
export function progressFor(
  io: CliIo,
  label: string,
): { update: (done: bigint, total: bigint) => void; stop: () => void } {
  if (io.stderr !== processIo.stderr || process.stderr.isTTY !== true)
    return { update: () => undefined, stop: () => undefined };
  // Loaded only for a terminal: a scan piped or redirected does not pay its start-up (~10-25 ms).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Presets, SingleBar } = require('cli-progress') as typeof CliProgress;
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
function scanBody(
  target: string,
  offset: bigint,
  r: ScanResult,
  ctx: ScanContext,
  torn: { backup: string } | null,
): object {
  return {
    file: target,
    offset,
    ...tornFields(torn),
    size: r.size,
    from: r.from,
    to: r.to,
    end: r.end,
    shrunkTo: r.shrunkTo,
    bytesRead: r.bytesRead,
    holesSkipped: r.holesSkipped,
    allocationMap: r.allocationMap,
    nsBase: ctx.nsBase,
    kernel: ctx.kernel,
    findings: r.findings.map((f) => findingView(f, ctx)),
  };
}

/**
 * What was really covered: the range, where the scan ended if the file
 * shrank under it, and (when holes were skipped) the bytes read and how the
 * holes were found.
 */
export function coverageText(r: ScanResult): string {
  let t = `scanned ${hex(r.from)}..${hex(r.end)} (${humanSize(r.end - r.from)})`;
  if (r.shrunkTo !== null)
    t +=
      ` of ${hex(r.from)}..${hex(r.to)} (${humanSize(r.to - r.from)}): the file shrank to ${humanSize(r.shrunkTo)} ` +
      `while it was read`;
  if (r.holesSkipped > 0n)
    t +=
      `; read ${humanSize(r.bytesRead)}, ${humanSize(r.holesSkipped)} of holes skipped (allocation map: ` +
      `${r.allocationMap ?? 'none'})`;
  return t;
}

/**
 * The torn-block notice for the namespace at `offset` (see cli/torn.ts): its head read again after the scan,
 * null when the target is too short to hold one.
 */
function scanTorn(target: string, offset: bigint, o: ScanOpts): { line: string; backup: string } | null {
  if (targetSize(target) < offset + BigInt(HEAD_SIZE)) return null;
  const head = readExact(target, offset, HEAD_SIZE);
  return tornNotice(target, offset, head, contextOf(target, { offset: o.offset }));
}

/** The scan seen from the namespace at `offset`: its range, size and every finding's positions relative to it. */
function inNamespace(offset: bigint, r: ScanResult): ScanResult {
  if (offset === 0n) return r;
  return {
    ...r,
    size: r.size - offset,
    from: r.from - offset,
    to: r.to - offset,
    end: r.end - offset,
    shrunkTo: r.shrunkTo === null ? null : r.shrunkTo - offset,
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
    .option('--read-all', "read every byte, holes included (default: skip a sparse file's holes by its allocation map)")
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
      const nsBase = o.nsBase === undefined ? 0n : parseNsBase(o.nsBase);
      expectSpan(nsBase, targetSize(target), 'target'); // refused before any output, not after the scan
      const bar = progressFor(io, 'scan');
      const offset = o.offset === undefined ? 0n : parseSize(o.offset, 'offset');
      let r: ScanResult;
      try {
        r = inNamespace(
          offset,
          scanTarget({
            target,
            from: offset + (o.from === undefined ? 0n : parseSize(o.from, 'scan start')),
            ...(o.to === undefined ? {} : { to: offset + parseSize(o.to, 'scan end') }),
            ...(chunk === undefined ? {} : { chunkSize: chunk }),
            ...(o.readAll === true ? { allocationMap: false } : {}),
            onProgress: bar.update,
          }),
        );
      } finally {
        bar.stop();
      }
      const ctx: ScanContext = {
        nsBase,
        targetSize: r.size,
        kernel,
        nsBaseAssumed: o.nsBase === undefined,
      };
      const torn = scanTorn(target, offset, o);
      if (o.json === true) io.stdout(`${jsonText('scan', scanBody(target, offset, r, ctx, torn))}\n`);
      else {
        io.stdout(
          `${tornFirst(torn, `${pathText(target)}: ${coverageText(r)}, ${r.findings.length} structure(s) found`)}\n`,
        );
        for (const line of findingLines(r.findings, ctx)) io.stdout(`${line}\n`);
      }
      if (r.findings.length === 0) throw new ExitCode(1);
    });
}
