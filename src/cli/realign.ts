/**
 * `infoblock realign`: move each padded labelled namespace of a DIMM image
 * to its aligned base (label and a new info-block, no data byte moved),
 * crash-safe, with a backup that `restore` undoes. Exit status: 0 realigned,
 * planned (dry run) or nothing to do; 1 refused; 2 usage or I/O error.
 */
import { escapeText } from '../format/escape';
import type { Command } from 'commander';
import { jsonText } from '../format/json';
import { hex } from '../format/units';
import { isUuid } from '../format/uuid';
import { pathText } from '../io/path';
import { realignTarget, type RealignTargetResult } from '../migrate/realign';
import type { RealignNamespace } from '../migrate/realign-plan';
import { KERNEL_FORMS, resolveKernels } from '../validate/versions';
import { commandLine, contextOf } from './hints';
import { UsageError, type CliIo } from './io';
import { refusing } from './hints';
import { parsePosition } from './options';

interface RealignOpts {
  labelSize?: string;
  slot: string;
  namespace: string[];
  nsBase?: string;
  guardKernel: string;
  backup?: string;
  dryRun?: boolean;
  json?: boolean;
}

const kernelsLine = (n: RealignNamespace): string =>
  n.verdicts
    .map((v) => `${v.profile} ${v.outcome}${v.outcome === 'claimed' ? ` at ${hex(v.dataStart ?? 0n)}` : ''}`)
    .join(', ');

function namespaceLines(n: RealignNamespace): string[] {
  const name = n.name === '' ? '' : ` '${escapeText(n.name)}'`;
  const head = `  ${n.uuid}${name} (${n.kind === 'pfn' ? 'fsdax' : 'devdax'}) dpa ${hex(n.dpa)} size ${hex(n.size)}`;
  if (n.status === 'aligned') return [`${head}: start_pad 0, nothing to realign (DAX and block I/O already agree)`];
  return [
    `${head}: start_pad ${hex(n.startPad)}, end_trunc ${hex(n.endTrunc)}`,
    `    becomes dpa ${hex(n.newDpa)} size ${hex(n.newSize)} (label slot ${n.slot} -> ${n.newSlot ?? '-'}), ` +
      `block with start_pad 0 at dpa ${hex(n.newDpa + 4096n)}`,
    `    data stays at dpa ${hex(n.dataDpa)} (${hex(n.dataSize)} bytes): dataoff ${hex(n.dataoff)} from the new base`,
    `    then: ${kernelsLine(n)}`,
  ];
}

function renderRealign(file: string, r: RealignTargetResult): string {
  const p = r.plan;
  const lines = [`${escapeText(file)}: labels v${p.version}, index ${p.currentIndex} current (seq ${p.seq})`];
  for (const n of p.namespaces) lines.push(...namespaceLines(n));
  if (r.status === 'nothing-to-do') {
    lines.push('nothing to realign: no namespace has start_pad; nothing written');
    return `${lines.join('\n')}\n`;
  }
  lines.push('writes, in this order:');
  for (const w of p.writes) {
    const what =
      w.what === 'index'
        ? `index ${p.newIndex} with seq ${p.newSeq}, making the new labels current (the switch)`
        : w.what === 'block'
          ? `info-block of ${w.uuid ?? ''}`
          : `label of ${w.uuid ?? ''} into a free slot`;
    lines.push(`  ${hex(w.position)} ${w.bytes.byteLength} bytes: ${what}`);
  }
  const backup = pathText(r.backupPath ?? '');
  if (r.status === 'planned') lines.push('dry run: nothing written');
  else {
    lines.push(
      `realigned ${p.namespaces.filter((n) => n.status === 'realign').length} namespace(s), read back and ` +
        `verified; backup ${backup}${r.backupReused ? ' (kept from an interrupted run)' : ''}`,
    );
    // The command line gets the exact path (shell-quoted), the sentence above the escaped one.
    if (r.undo !== null) lines.push(`undo: ${commandLine(r.undo.operation, r.undo.params, { target: file })}`);
  }
  return `${lines.join('\n')}\n`;
}

function realignBody(
  file: string,
  r: RealignTargetResult,
  o: { labelSize: bigint; slot: number; dimmBase: bigint },
): object {
  const p = r.plan;
  return {
    file,
    labelSize: o.labelSize,
    slot: o.slot,
    dimmBase: o.dimmBase,
    status: r.status,
    version: p.version,
    currentIndex: p.currentIndex,
    seq: p.seq,
    newIndex: p.newIndex,
    newSeq: p.newSeq,
    namespaces: p.namespaces.map((n) => ({
      uuid: n.uuid,
      name: n.name,
      mode: n.kind === 'pfn' ? 'fsdax' : 'devdax',
      status: n.status,
      slot: n.slot,
      newSlot: n.newSlot,
      dpa: n.dpa,
      size: n.size,
      newDpa: n.newDpa,
      newSize: n.newSize,
      startPad: n.startPad,
      endTrunc: n.endTrunc,
      dataoff: n.dataoff,
      dataDpa: n.dataDpa,
      dataSize: n.dataSize,
      kernels: n.verdicts.map((v) => ({ profile: v.profile, outcome: v.outcome, dataStart: v.dataStart })),
    })),
    writes: p.writes.map((w) => ({ what: w.what, position: w.position, bytes: BigInt(w.bytes.byteLength) })),
    backup: r.backupPath === null ? null : pathText(r.backupPath),
    backupReused: r.backupReused,
    written: r.written,
  };
}

function realignAction(io: CliIo, file: string, o: RealignOpts): void {
  if (o.labelSize === undefined) throw new UsageError("--label-size BYTES is required (the DIMM image's label area)");
  const labelSize = parsePosition(o.labelSize, 'label size');
  if (!/^\d{1,3}$/.test(o.slot) || Number(o.slot) > 255) throw new UsageError(`invalid slot '${o.slot}' (0 to 255)`);
  for (const u of o.namespace) if (!isUuid(u)) throw new UsageError(`invalid uuid '${u}'`);
  resolveKernels(o.guardKernel);
  const dimmBase = o.nsBase === undefined ? 0n : parsePosition(o.nsBase, 'DIMM base');
  const dry = o.dryRun === true;
  const r = refusing(
    io,
    contextOf(file, {}),
    () =>
      realignTarget({
        target: file,
        labelSize,
        slot: Number(o.slot),
        dimmBase,
        guardKernel: o.guardKernel,
        dryRun: dry,
        warn: (line) => io.stderr(`infoblock: warning: ${line}\n`),
        ...(o.namespace.length === 0 ? {} : { namespaces: o.namespace }),
        ...(o.backup === undefined ? {} : { backup: o.backup }),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
      }),
    undefined,
    o.json === true,
  );
  const opts = { labelSize, slot: Number(o.slot), dimmBase };
  io.stdout(o.json === true ? `${jsonText('realign', realignBody(file, r, opts))}\n` : renderRealign(file, r));
}

export function registerRealign(program: Command, io: CliIo): void {
  program
    .command('realign')
    .description(
      'Move each labelled namespace whose info-block has start_pad to its aligned base: a new label and a new ' +
        'block (start_pad 0), not a data byte moved, so DAX and block I/O agree again. Crash-safe, with a backup ' +
        'that restore undoes.',
    )
    .argument('<IMAGE>', 'QEMU-style DIMM image whose last --label-size bytes are the label area')
    .option('--label-size <BYTES>', 'size of the label area (QEMU: label-size=)')
    .option('--slot <N>', "QEMU memory slot the DIMM boots in (the labels' interleave-set cookie)", '0')
    .option(
      '--namespace <UUID>',
      'realign only this namespace (repeatable; default every namespace of the labels)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--ns-base <ADDR>', "physical address of the DIMM's first byte (default 0)")
    .option(
      '--guard-kernel <KERNELS>',
      `kernel(s) that must claim each realigned namespace with the data in place: ${KERNEL_FORMS}, a list, or all`,
      'all',
    )
    .option('--backup <FILE>', 'backup record path, a regular file (default IMAGE.realign-backup)')
    .option('--dry-run', 'print the plan, write nothing')
    .option('--json', 'print the plan and result as JSON (schemas/realign.schema.json)')
    .addHelpText(
      'after',
      '\nExit status: 0 realigned, planned (--dry-run) or nothing to realign, 1 refused (no valid labels, ' +
        'overlapping labels, no free label slot, a result some guard kernel would not claim, a backup in the way, ' +
        'locked), 2 usage or I/O error.\nExample: infoblock realign dimm.img --label-size 128K --dry-run',
    )
    .action((file: string, o: RealignOpts) => realignAction(io, file, o));
}
