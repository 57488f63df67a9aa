/**
 * `infoblock rebase`: rewrite a label-less namespace's info-block for
 * another physical base with start_pad 0, every data byte where it is.
 * Crash-safe through replaceInfoBlock; `restore` undoes it. Exit status: 0
 * rebased, planned or already; 1 refused; 2 usage or I/O error.
 */
import { escapeText } from '../format/escape';
import type { Command } from 'commander';
import { jsonText } from '../format/json';
import { hex } from '../format/units';
import { pathText } from '../io/path';
import { rebaseTarget, type RebaseTargetResult } from '../migrate/rebase';
import { KERNEL_FORMS, resolveKernels } from '../validate/versions';
import { commandLine, contextOf } from './hints';
import { UsageError, type CliIo } from './io';
import { refusing } from './hints';
import { impliedNamespaceSize, parsePosition } from './options';

interface RebaseOpts {
  nsBase?: string;
  toBase?: string;
  offset?: string;
  nsSize?: string;
  guardKernel: string;
  backup?: string;
  dryRun?: boolean;
  json?: boolean;
}

function renderRebase(file: string, r: RebaseTargetResult, carry: Record<string, string>): string {
  const p = r.plan;
  const lines = [
    `${escapeText(file)}: ${p.kind === 'pfn' ? 'fsdax' : 'devdax'} namespace of ${hex(p.nsSize)} bytes, data at ` +
      `${hex(p.dataStart)} (${hex(p.dataSize)} bytes)`,
    `  base ${hex(p.nsBase)}: start_pad ${hex(p.startPad)}, end_trunc ${hex(p.endTrunc)}, align ${hex(p.align)}`,
    `  base ${hex(p.toBase)}: start_pad 0, end_trunc ${hex(p.newEndTrunc)}, align ${hex(p.newAlign)}, dataoff ` +
      `${hex(p.dataStart)}; the data stays at ${hex(p.dataStart)} in the file`,
  ];
  if (p.alignCost !== null) lines.push(`  cost: ${p.alignCost}`);
  lines.push(
    p.keeps2M
      ? `  2 MiB DAX mappings: kept at any 2 MiB-aligned base (${p.bases2M.map(hex).join(', ')}...)`
      : `  2 MiB DAX mappings: no base keeps them without moving data: the data starts ` +
          `${hex(p.dataStart % (2n << 20n))} past a 2 MiB boundary of the namespace`,
  );
  lines.push(`  then: ${p.verdicts.map((v) => `${v.profile} ${v.outcome}`).join(', ')}`);
  if (r.status === 'already') lines.push('the block is already the one for this base; nothing written');
  else if (r.status === 'planned') lines.push('dry run: nothing written');
  else {
    const backup = pathText(r.backupPath ?? '');
    lines.push(
      `rebased: 4096 bytes at ${hex(BigInt(carry.offset ?? '0') + 4096n)}, read back and verified; backup ${backup}`,
    );
    // The command line gets the exact path (shell-quoted), the sentence above the escaped one.
    if (r.undo !== null) lines.push(`undo: ${commandLine(r.undo.operation, r.undo.params, { target: file })}`);
  }
  return `${lines.join('\n')}\n`;
}

function rebaseBody(file: string, offset: bigint, r: RebaseTargetResult): object {
  const p = r.plan;
  return {
    file,
    offset,
    status: r.status,
    mode: p.kind === 'pfn' ? 'fsdax' : 'devdax',
    nsBase: p.nsBase,
    toBase: p.toBase,
    nsSize: p.nsSize,
    startPad: p.startPad,
    endTrunc: p.endTrunc,
    newEndTrunc: p.newEndTrunc,
    dataStart: p.dataStart,
    dataSize: p.dataSize,
    align: p.align,
    newAlign: p.newAlign,
    alignCost: p.alignCost,
    keeps2m: p.keeps2M,
    bases2m: p.bases2M,
    kernels: p.verdicts.map((v) => ({ profile: v.profile, outcome: v.outcome, dataStart: v.dataStart })),
    backup: r.backupPath === null ? null : pathText(r.backupPath),
    written: r.written,
  };
}

function rebaseAction(io: CliIo, file: string, o: RebaseOpts): void {
  if (o.nsBase === undefined) throw new UsageError("--ns-base ADDR is required (the namespace's physical address now)");
  if (o.toBase === undefined) throw new UsageError('--to-base ADDR is required (the physical address it will have)');
  resolveKernels(o.guardKernel);
  const nsBase = parsePosition(o.nsBase, 'namespace base');
  const toBase = parsePosition(o.toBase, 'new base');
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  const nsSize =
    o.nsSize === undefined ? impliedNamespaceSize(file, offset) : parsePosition(o.nsSize, 'namespace size');
  const dry = o.dryRun === true;
  const carry: Record<string, string> = { offset: offset.toString() };
  const r = refusing(
    io,
    contextOf(file, o),
    () =>
      rebaseTarget({
        target: file,
        offset,
        nsBase,
        toBase,
        nsSize,
        guardKernel: o.guardKernel,
        dryRun: dry,
        warn: (line) => io.stderr(`infoblock: warning: ${line}\n`),
        ...(o.backup === undefined ? {} : { backup: o.backup }),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
        ...(io.env === undefined ? {} : { env: io.env }),
      }),
    undefined,
    o.json === true,
  );
  io.stdout(o.json === true ? `${jsonText('rebase', rebaseBody(file, offset, r))}\n` : renderRebase(file, r, carry));
}

export function registerRebase(program: Command, io: CliIo): void {
  program
    .command('rebase')
    .description(
      "Rewrite a label-less namespace's info-block for another physical base (a VM's NVDIMM addr=) with start_pad " +
        '0, every data byte where it is: DAX and block I/O agree at the new base. Crash-safe, with a backup that ' +
        'restore undoes.',
    )
    .argument('<TARGET>', 'image file or block device')
    .option('--ns-base <ADDR>', 'physical address of the namespace now (the block was written for it; required)')
    .option('--to-base <ADDR>', 'physical address it will have: a multiple of 2 MiB (required)')
    .option('--offset <BYTES>', 'where the namespace starts inside TARGET (default 0)')
    .option('--ns-size <BYTES>', 'namespace size (default: TARGET size minus --offset)')
    .option(
      '--guard-kernel <KERNELS>',
      `kernel(s) that must claim the result with the data in place: ${KERNEL_FORMS}, a list, or all`,
      'all',
    )
    .option('--backup <FILE>', 'backup record path (default TARGET.infoblock-backup, as migrate)')
    .option('--dry-run', 'print the plan, write nothing')
    .option('--json', 'print the plan and result as JSON (schemas/rebase.schema.json)')
    .addHelpText(
      'after',
      '\nExit status: 0 rebased, planned (--dry-run) or already for that base, 1 refused (a base that is not 2 MiB ' +
        'aligned, no valid legacy block, a result a guard kernel would not claim, a backup in the way, locked), ' +
        '2 usage or I/O error.\nExample: infoblock rebase ns.img --ns-base 0x100100000 --to-base 0x100200000 --dry-run',
    )
    .action((file: string, o: RebaseOpts) => rebaseAction(io, file, o));
}
