/**
 * `infoblock migrate`: rewrite the info-block between the legacy and map
 * meanings of dataoff, crash-safe, with a backup (`infoblock restore`,
 * src/cli/restore.ts, puts it back). Exit status: 0 done / nothing to do,
 * 1 refused (hazard, ambiguous, precondition, locked, backup mismatch),
 * 2 usage and I/O errors.
 */
import { escapeText } from '../format/escape';
import type { Command } from 'commander';
import { hex, humanSize } from '../format/units';
import { isUuid } from '../format/uuid';
import type { Verdict } from '../validate/check';
import { ARCH_NAMES, type Arch } from '../validate/arch';
import { DEFAULT_PROFILE, KERNEL_FORMS, resolveKernels } from '../validate/versions';
import { migrateTarget, type MigrateTargetResult } from '../migrate/apply';
import { pathText } from '../io/path';
import type { Meaning } from '../format/pfn';
import { hazardError, type BlockSummary } from '../migrate/migrate';
import { verdictView } from '../scan/report';
import { ExitCode } from './exit-code';
import { commandLine, contextOf, failureText, REFUSALS, refusing, type CommandContext } from './hints';
import { jsonText } from '../format/json';
import { UsageError, type CliIo } from './io';
import { choiceArg, impliedNamespaceSize, parseNsBase, parsePosition } from './options';

interface MigrateOpts {
  offset?: string;
  nsBase?: string;
  nsSize?: string;
  from?: Meaning;
  to: Meaning;
  dryRun?: boolean;
  backup?: string;
  guardKernel?: string;
  arch: Arch;
  parentUuid?: string;
  force?: boolean;
  allowHazard?: boolean;
  json?: boolean;
}

const meaningArg = choiceArg('meaning', ['legacy', 'map'] as const);

function verdictLine(label: string, v: Verdict): string {
  if (v.outcome === 'claimed')
    return `${label}: claimed, data at ${hex(v.dataStart ?? 0n)} (${humanSize(v.dataSize ?? 0n)})`;
  return `${label}: ${v.outcome}${v.message === null ? '' : `: ${escapeText(v.message)}`}`;
}

function renderMigration(ctx: CommandContext, offset: bigint, r: MigrateTargetResult): string {
  const target = ctx.target ?? '';
  const rep = r.report;
  const lines: string[] = [];
  lines.push(
    `${pathText(target)} (head at ${hex(offset)}, ns base ${hex(rep.target.nsBase)}, ns ` +
      `size ${humanSize(rep.target.nsSize)}): ${rep.from} ` +
      `-> ${rep.to}${rep.fromSource === 'version' ? ' (from: the version)' : ''}`,
  );
  const rows: [string, (s: BlockSummary) => string][] = [
    ['version', (s) => s.version],
    ['dataoff', (s) => hex(s.dataoff)],
    ['start_pad', (s) => hex(s.startPad)],
    ['end_trunc', (s) => hex(s.endTrunc)],
    ['align', (s) => hex(s.align)],
    ['npfns', (s) => s.npfns.toString()],
    ['checksum', (s) => hex(s.checksum)],
  ];
  lines.push(`  ${'field'.padEnd(11)}${'before'.padEnd(22)}after`);
  for (const [name, f] of rows) {
    const b = f(rep.before);
    const a = f(rep.after);
    lines.push(`  ${name.padEnd(11)}${b.padEnd(22)}${a}${a === b ? '' : '  *'}`);
  }
  lines.push(
    `  data start ${hex(rep.dataStartBefore)} -> ${hex(rep.dataStartAfter)} ` +
      `(${rep.dataStartBefore === rep.dataStartAfter ? 'unchanged' : 'MOVED'}), data ` +
      `size ${humanSize(rep.dataSize)}`,
  );
  lines.push(`  ${verdictLine(`${rep.target.profile} (target)`, rep.target)}`);
  for (const g of rep.guards) lines.push(`  ${verdictLine(`${g.profile} (guard)`, g)}`);
  const hazard = rep.hazard ?? rep.daxHazard;
  if (hazard !== null) lines.push(`  hazard: ${hazard}`);
  for (const n of rep.notes) lines.push(`  note: ${n}`);
  if (r.reason === 'nothing-to-migrate') lines.push('nothing to migrate');
  else if (r.reason === 'already') lines.push(`nothing to migrate: already in the ${rep.to} meaning`);
  else if (r.status === 'refused') lines.push('refused: nothing written');
  else if (r.status === 'planned') lines.push('dry run: nothing written');
  else {
    lines.push(`backup: ${r.backupPath === null ? '?' : pathText(r.backupPath)}${r.backupReused ? ' (reused)' : ''}`);
    lines.push(`wrote 4096 bytes at ${hex(offset + 4096n)}, read back and verified`);
    if (r.undo !== null) lines.push(`undo: ${commandLine(r.undo.operation, r.undo.params, ctx)}`);
  }
  return `${lines.join('\n')}\n`;
}

function jsonMigration(ctx: CommandContext, offset: bigint, r: MigrateTargetResult, dryRun: boolean): string {
  const rep = r.report;
  const body = {
    file: ctx.target ?? '',
    offset,
    nsBase: rep.target.nsBase,
    nsSize: rep.target.nsSize,
    status: r.status,
    reason: r.reason,
    dryRun,
    written: r.written,
    backup: r.backupPath === null ? null : pathText(r.backupPath),
    backupReused: r.backupReused,
    undo: r.written && r.undo !== null ? commandLine(r.undo.operation, r.undo.params, ctx) : null,
    from: rep.from,
    to: rep.to,
    fromSource: rep.fromSource,
    evidence: rep.evidence,
    before: rep.before,
    after: rep.after,
    dataStart: rep.dataStartAfter,
    dataSize: rep.dataSize,
    targetVerdict: verdictView(rep.target),
    guardVerdicts: rep.guards.map(verdictView),
    hazard: rep.hazard ?? rep.daxHazard,
    notes: rep.notes,
  };
  return `${jsonText('migrate', body)}\n`;
}

export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description(
      'Rewrite the info-block between the legacy and map meanings of dataoff without moving the data (one 4 ' +
        'KiB write, after a backup).',
    )
    .argument('<TARGET>', 'image file or block device')
    .option(
      '--offset <BYTES>',
      'where the namespace starts inside TARGET (head at --offset, block at --offset + 4096; default 0)',
    )
    .option('--ns-base <ADDR>', 'physical address of the namespace (required)')
    .option('--ns-size <BYTES>', 'namespace size (default: TARGET size minus --offset)')
    .option(
      '--from <MEANING>',
      'meaning of dataoff now: legacy or map (default: the version, checked against alignment)',
      meaningArg,
    )
    .option('--to <MEANING>', 'meaning to write: map (v2.4) or legacy (v1.4)', meaningArg)
    .option('--dry-run', 'print the report, write nothing')
    .option(
      '--backup <FILE>',
      'backup record path, a regular file (default TARGET.infoblock-backup; for a block device ' +
        '$XDG_STATE_HOME/nd-infoblock/backups/NAME-MAJ:MIN.infoblock-backup, ~/.local/state when unset)',
    )
    .option(
      '--guard-kernel <KERNELS>',
      `kernel(s) that must not misplace the data: ${KERNEL_FORMS}, a comma-separated list, or all (default ` +
        `${DEFAULT_PROFILE}; given, a result every one of them refuses is refused too)`,
    )
    .option(
      '--arch <ARCH>',
      'x86_64, ppc64-hash or ppc64-radix (ppc64 = ppc64-hash)',
      choiceArg('arch', ARCH_NAMES),
      'x86_64',
    )
    .option('--parent-uuid <UUID>', "the namespace uuid for the verdicts (default: the block's parent_uuid)")
    .option('--force', 'write even when the guard kernel would misplace the data')
    .option(
      '--allow-hazard',
      'write even a block a guard kernel would misplace data or crash under DAX with, or every guard kernel refuses',
    )
    .option('--json', 'print the report as JSON (schemas/migrate.schema.json)')
    .addHelpText(
      'after',
      '\nExit status: 0 migrated or nothing to migrate, 1 refused (hazard, ambiguous, precondition, locked, ' +
        'backup), 2 usage or I/O error (nothing written unless the message says so).\nExample: infoblock ' +
        'migrate ns.img --ns-base 0x100100000 --to map --dry-run',
    )
    .action((target: string, o: MigrateOpts) => migrateAction(io, target, o));
}

function migrateAction(io: CliIo, target: string, o: MigrateOpts): void {
  if (o.to === undefined) throw new UsageError('--to map|legacy is required');
  if (o.nsBase === undefined)
    throw new UsageError('--ns-base ADDR is required (the physical address of the namespace)');
  const guardKernel = o.guardKernel;
  // An unknown or malformed kernel is one clear line, before any I/O.
  if (guardKernel !== undefined) resolveKernels(guardKernel);
  if (o.parentUuid !== undefined && !isUuid(o.parentUuid)) throw new UsageError(`invalid uuid '${o.parentUuid}'`);
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  const nsBase = parseNsBase(o.nsBase);
  let nsSize: bigint;
  if (o.nsSize !== undefined) nsSize = parsePosition(o.nsSize, 'namespace size');
  else nsSize = impliedNamespaceSize(target, offset);
  const dryRun = o.dryRun === true;
  const ctx = contextOf(target, o);
  const r = refusing(
    io,
    ctx,
    () =>
      migrateTarget({
        target,
        offset,
        nsBase,
        nsSize,
        to: o.to,
        ...(guardKernel === undefined ? {} : { guardKernel }),
        arch: o.arch,
        dryRun,
        force: o.force === true,
        allowHazard: o.allowHazard === true,
        warn: (line) => io.stderr(`infoblock: warning: ${line}\n`),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
        ...(io.env === undefined ? {} : { env: io.env }),
        ...(o.from === undefined ? {} : { from: o.from }),
        ...(o.backup === undefined ? {} : { backup: o.backup }),
        ...(o.parentUuid === undefined ? {} : { parentUuid: o.parentUuid }),
      }),
    REFUSALS,
    o.json === true,
  );
  io.stdout(o.json === true ? jsonMigration(ctx, offset, r, dryRun) : renderMigration(ctx, offset, r));
  if (r.refused !== null) {
    const e = hazardError(r.refused, r.refusedNeeds ?? 'force');
    io.stderr(`infoblock: ${failureText(e, ctx)}\n`);
    throw new ExitCode(1);
  }
}
