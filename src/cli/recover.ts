/**
 * `infoblock recover`: scan a namespace for its data (a filesystem's first
 * byte, or a damaged block's surviving fields) and propose the info-block
 * that makes the kernel expose it there; `--write` writes it crash-safe.
 * Exit status: 0 proposed/written or nothing to do, 1 nothing found or
 * ambiguous (candidates listed) or refused, 2 usage or I/O error.
 */
import { escapeText } from '../format/escape';
import type { Command } from 'commander';
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import { readExact, targetSize } from '../io/files';
import { pathText, showPath } from '../io/path';
import { sameBytes, type Meaning } from '../format/pfn';
import { hex, humanSize, parseSize } from '../format/units';
import { isUuid } from '../format/uuid';
import { planRecovery, scanLimit, type Candidate, type RecoveryPlan } from '../recover/plan-recovery';
import { checkWritablePath } from '../io/trust';
import { writeRecoveredBlock, type RecoverWriteResult } from '../recover/write-recovered';
import { daxNote, findingLines, findingView, verdictView, type ScanContext } from '../scan/report';
import type { DaxVerdict } from '../validate/dax-verdict';
import { scanTarget } from '../scan/scan';
import { relativeTo, type Finding } from '../scan/detect';
import { explainLayout } from '../validate/explain';
import { layoutAscii } from './render';
import { DEFAULT_PROFILE, KERNEL_FORMS, resolveKernel } from '../validate/versions';
import { ExitCode } from './exit-code';
import { guardOrRefuse } from './advice';
import type { CliIo } from './io';
import { writeJsonStreamed } from './json';
import { refusing } from './hints';
import { commandLine, contextOf } from './hints';
import { choiceArg, parseNsBase, parsePosition } from './options';
import { progressFor } from './scan';
import type { CommandContext } from './hints';

interface RecoverOpts {
  offset?: string;
  nsBase: string;
  nsSize?: string;
  mode?: 'fsdax' | 'devdax';
  kernel: string;
  uuid?: string;
  parentUuid?: string;
  write?: boolean;
  force?: boolean;
  allowHazard?: boolean;
  json?: boolean;
  pick?: string;
  backup?: string;
  meaning: Meaning;
}

const REFUSALS = ['precondition', 'backup', 'locked'] as const;

function verdictText(c: {
  outcome: string;
  dataStart: bigint | null;
  dataSize: bigint | null;
  message: string | null;
  dax?: DaxVerdict;
}): string {
  if (c.outcome === 'claimed') {
    return `claimed, data at ${hex(c.dataStart ?? 0n)} (${humanSize(c.dataSize ?? 0n)})${daxNote(c.dax)}`;
  }
  return `${c.outcome}${c.message === null ? '' : ` (${escapeText(c.message)})`}`;
}

function candidateText(c: Candidate, n: number, target: string, head: Uint8Array, nsSize: bigint): string[] {
  const lines = [
    `#${n}: ${c.mode}, map=${c.map}, align ${hex(c.align)}, data at ${hex(c.dataStart)} ` +
      `(${humanSize(c.verdict.dataSize ?? 0n)}), uuid ${c.fields.uuid}`,
  ];
  for (const r of c.reasons) lines.push(`    - ${r}`);
  lines.push(`    ${c.verdict.profile}: ${verdictText(c.verdict)}`);
  const h = Uint8Array.from(head);
  h.set(c.block, 4096);
  const layout = explainLayout(h, c.verdict, { nsBase: c.verdict.nsBase, nsSize });
  lines.push(
    ...layoutAscii(target, layout, c.verdict)
      .split('\n')
      .map((l) => `  ${l}`),
  );
  return lines;
}

function candidateView(c: Candidate, n: number): object {
  const f = c.fields;
  return {
    n,
    mode: c.mode,
    map: c.map,
    align: c.align,
    dataStart: c.dataStart,
    dataSize: c.verdict.dataSize ?? 0n,
    sources: c.sources,
    reasons: c.reasons,
    fields: {
      signature: c.mode === 'devdax' ? 'NVDIMM_DAX_INFO' : 'NVDIMM_PFN_INFO',
      uuid: f.uuid,
      parentUuid: f.parentUuid,
      version: `${f.versionMajor}.${f.versionMinor}`,
      dataoff: f.dataoff,
      npfns: f.npfns,
      mode: f.mode,
      startPad: f.startPad,
      endTrunc: f.endTrunc,
      align: f.align,
      checksum: f.checksum,
    },
    verdict: verdictView(c.verdict),
  };
}

function parseOpts(
  target: string,
  o: RecoverOpts,
): { offset: bigint; nsBase: bigint; nsSize: bigint; kernel: string; pick: number | null } {
  const kernel = resolveKernel(o.kernel).id; // one clear line before any I/O
  for (const [u, what] of [
    [o.uuid, '--uuid'],
    [o.parentUuid, '--parent-uuid'],
  ] as const) {
    if (u !== undefined && !isUuid(u)) throw new InvalidArgumentError(`invalid ${what} '${u}'`);
  }
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  if (offset % 4096n !== 0n) throw new InvalidArgumentError(`--offset ${offset} is not a multiple of 4096`);
  const whole = targetSize(target);
  if (offset >= whole)
    throw new InvalidArgumentError(`--offset ${offset} is past the end of ${showPath(target)} (${whole} bytes)`);
  const size = whole - offset; // the room from the namespace's start to the end of TARGET
  const nsSize = o.nsSize === undefined ? size : parseSize(o.nsSize, 'namespace size');
  if (nsSize > size)
    throw new InvalidArgumentError(
      `--ns-size ${nsSize} is larger than ${showPath(target)} from offset ${offset} (${size} bytes)`,
    );
  if (nsSize < 16n << 20n)
    throw new InvalidArgumentError(
      `${showPath(target)}: a namespace of ${nsSize} bytes is smaller than 16 MiB; nothing to recover`,
    );
  let pick: number | null = null;
  if (o.pick !== undefined) {
    if (!/^[1-9]\d{0,5}$/.test(o.pick))
      throw new InvalidArgumentError(`invalid --pick '${o.pick}' (a candidate number from the list, 1 or more)`);
    pick = Number(o.pick);
  }
  const nsBase = parseNsBase(o.nsBase);
  if (nsBase + nsSize > 1n << 64n) {
    throw new InvalidArgumentError(
      `a namespace of ${nsSize} bytes at ${hex(nsBase)} runs past the 64-bit physical address space`,
    );
  }
  return { offset, nsBase, nsSize, kernel, pick };
}

function report(
  io: CliIo,
  target: string,
  head: Uint8Array,
  plan: RecoveryPlan,
  ctx: ScanContext,
  nsSize: bigint,
  scanned: bigint,
): void {
  io.stdout(
    `${pathText(target)}: namespace of ${humanSize(nsSize)} at ${hex(ctx.nsBase)}; ${plan.current.profile} today: ` +
      `${verdictText(plan.current)}\n`,
  );
  io.stdout(`evidence (scanned ${hex(0n)}..${hex(scanned)}):\n`);
  if (plan.evidence.length === 0) io.stdout('  (none)\n');
  for (const line of findingLines(plan.evidence, ctx)) io.stdout(`${line}\n`);
  for (const r of plan.rejected) io.stdout(`not used: ${r.source}: ${r.reason}\n`);
  plan.candidates.forEach((c, i) => io.stdout(`${candidateText(c, i + 1, target, head, nsSize).join('\n')}\n`));
  if (plan.omitted > 0)
    io.stdout(
      `(${plan.omitted} more candidate(s) not listed: the ${plan.candidates.length} with the most evidence are)\n`,
    );
}

function chosen(io: CliIo, plan: RecoveryPlan, pick: number | null): Candidate {
  if (pick !== null) {
    const c = plan.candidates[pick - 1];
    if (c === undefined)
      throw new InvalidArgumentError(`--pick ${pick}: there are ${plan.candidates.length} candidate(s)`);
    return c;
  }
  if (plan.status === 'ambiguous') {
    const starts = plan.candidates.map((c, i) => `#${i + 1} data at ${hex(c.dataStart)}`).join(', ');
    const more = plan.omitted > 0 ? `, and ${plan.omitted} more` : '';
    io.stderr(
      `infoblock: the evidence puts the data in ${plan.candidates.length + plan.omitted} different places ` +
        `(${starts}${more}); nothing written: choose one with --pick N\n`,
    );
    throw new ExitCode(1);
  }
  return plan.candidates[0] as Candidate;
}

interface PlanView {
  target: string;
  offset: bigint;
  limit: bigint;
  plan: RecoveryPlan;
  ctx: ScanContext;
  pickedN: number | null;
  written: RecoverWriteResult | null;
}

/** What a recover run ended with, as the JSON document says it (schemas/recover.schema.json). */
export type RecoverStatus = 'intact' | 'nothing' | 'ambiguous' | 'proposed' | 'written';

/** The plan as the `recover` JSON document (camelCase, bigint; the CLI's mapping makes it snake_case and "0x…"). */
function planJson(io: CliIo, v: PlanView, cmd: CommandContext, dryRun: boolean): void {
  const { plan, ctx, written } = v;
  const status: RecoverStatus =
    written !== null ? 'written' : v.pickedN !== null && plan.status === 'ambiguous' ? 'proposed' : plan.status;
  const body = {
    file: v.target,
    offset: v.offset,
    nsBase: ctx.nsBase,
    nsSize: ctx.targetSize,
    kernel: ctx.kernel,
    status,
    dryRun,
    scannedTo: v.limit,
    current: verdictView(plan.current),
    intactBy: plan.intactBy,
    evidence: [],
    rejected: plan.rejected,
    candidates: plan.candidates.map((c, i) => candidateView(c, i + 1)),
    candidatesOmitted: plan.omitted,
    picked: v.pickedN,
    written:
      written === null
        ? null
        : {
            position: written.position,
            backup: pathText(written.backupPath),
            backupReused: written.backupReused,
            undo: commandLine(written.undo.operation, written.undo.params, cmd),
          },
  };
  // The evidence streamed: 126k superblocks as one object tree and one string took 300 MiB.
  writeJsonStreamed(
    (t) => io.stdout(t),
    'recover',
    body,
    'evidence',
    plan.evidence,
    (f) => findingView(f, ctx),
  );
}

/** The namespace's bytes up to `limit`, every position relative to its start (as the plan counts them). */
function scanNamespace(io: CliIo, target: string, offset: bigint, limit: bigint): Finding[] {
  const bar = progressFor(io, 'recover: scan');
  try {
    const r = scanTarget({ target, from: offset, to: offset + limit, onProgress: bar.update });
    return r.findings.map((f) => relativeTo(f, offset));
  } finally {
    bar.stop();
  }
}

function nothingLine(target: string, plan: RecoveryPlan): string {
  return plan.rejected.length === 0
    ? `infoblock: no filesystem or surviving info-block fields place the data in ${showPath(target)}; nothing ` +
        `written\n`
    : `infoblock: no block recover can build puts the data where the evidence says (${plan.rejected.length} ` +
        `place(s) listed under "not used"); nothing written\n`;
}

function action(io: CliIo, target: string, o: RecoverOpts): void {
  // Whose file this is decides before anything read from it does (src/io/trust.ts).
  if (o.write === true) checkWritablePath(target, { what: 'the target' });
  const { offset, nsBase, nsSize, kernel, pick } = parseOpts(target, o);
  const head = readExact(target, offset, HEAD_SIZE);
  const limit = scanLimit(nsSize);
  const findings = scanNamespace(io, target, offset, limit);
  const plan = planRecovery(head, findings, {
    nsBase,
    nsSize,
    kernel,
    meaning: o.meaning,
    ...(o.mode === undefined ? {} : { mode: o.mode }),
    ...(o.uuid === undefined ? {} : { uuid: o.uuid.toLowerCase() }),
    ...(o.parentUuid === undefined ? {} : { parentUuid: o.parentUuid.toLowerCase() }),
  });
  const ctx: ScanContext = { nsBase, targetSize: nsSize, kernel };
  const cmd = contextOf(target, o);
  const emit = (written: RecoverWriteResult | null, pickedN: number | null): void => {
    if (o.json === true) planJson(io, { target, offset, limit, plan, ctx, pickedN, written }, cmd, o.write !== true);
    else report(io, target, head, plan, ctx, nsSize, limit);
  };
  if (plan.status === 'intact') {
    emit(null, null);
    if (o.json !== true)
      io.stdout(
        `nothing to recover: ${kernel} already exposes the data where the evidence puts it (${plan.intactBy ?? ''})\n`,
      );
    return;
  }
  if (plan.status === 'nothing') {
    emit(null, null);
    io.stderr(nothingLine(target, plan));
    throw new ExitCode(1);
  }
  if (plan.status === 'ambiguous' && pick === null) emit(null, null);
  const c = chosen(io, plan, pick);
  const n = plan.candidates.indexOf(c) + 1;
  if (o.write !== true) {
    emit(null, n);
    const valid = plan.survivor?.checksumValid === true && o.force !== true;
    if (o.json !== true)
      io.stdout(
        `dry run: nothing written; add --write${valid ? ' --force' : ''} to write candidate #${n} (the old head ` +
          `is backed up first)${valid ? "; the current block's checksum is valid, so --write alone refuses" : ''}\n`,
      );
    return;
  }
  guardOrRefuse(io, c.block, { kernels: kernel, nsBase, nsSize }, `write candidate #${n}`, o.allowHazard === true);
  const w = writeRecoveredBlock({
    target,
    offset,
    nsBase,
    nsSize,
    // The plan was made from `head`: if the target changed since, write nothing.
    plan: (now) => {
      if (!sameBytes(now, head)) {
        throw new InfoblockError(
          'precondition',
          `the head of ${showPath(target)} changed while recover was planning; run it again`,
        );
      }
      return c.block;
    },
    ...(o.backup === undefined ? {} : { backup: o.backup }),
    force: o.force === true,
    warn: (l) => io.stderr(`infoblock: ${l}\n`),
    ...(io.faults === undefined ? {} : { faults: io.faults }),
    ...(io.env === undefined ? {} : { env: io.env }),
  });
  emit(w, n);
  if (o.json !== true)
    io.stdout(
      `wrote candidate #${n} at ${hex(w.position)}; the old head is in ${showPath(w.backupPath)}; ` +
        `undo: ${commandLine(w.undo.operation, w.undo.params, cmd)}\n`,
    );
}

export function registerRecover(program: Command, io: CliIo): void {
  program
    .command('recover')
    .description(
      'Find where the data of a namespace lies (a filesystem superblock, or what survives of a damaged ' +
        'info-block) and rebuild the info-block that makes the kernel expose it there. Dry run unless --write.',
    )
    .argument('<TARGET>', 'image file or block device holding the namespace (from --offset, default its byte 0)')
    .option('--offset <BYTES>', 'where the namespace starts inside TARGET (default 0)')
    .requiredOption('--ns-base <ADDR>', 'physical address of the namespace')
    .option('--ns-size <BYTES>', 'namespace size (default: the size of TARGET minus --offset)')
    .option(
      '--mode <MODE>',
      "fsdax or devdax (default: the damaged block's signature, else fsdax)",
      choiceArg('mode', ['fsdax', 'devdax'] as const),
    )
    .option('--kernel <KERNEL>', `kernel the block must satisfy: ${KERNEL_FORMS}`, DEFAULT_PROFILE)
    .option('--uuid <UUID>', "uuid of the new block (default: the damaged block's, else fresh)")
    .option('--parent-uuid <UUID>', "the namespace uuid (default: the damaged block's, else all-zero)")
    .option(
      '--meaning <M>',
      'dataoff meaning of the new block: legacy (v1.4, what kernels read) or map (v2.4, with --kernel map)',
      choiceArg('meaning', ['legacy', 'map'] as const),
      'legacy',
    )
    .option('--pick <N>', 'when the evidence places the data in several places, take candidate N')
    .option('--write', 'write the block (lock, backup of the old 8 KiB head, one 4 KiB write, verify)')
    .option(
      '--force',
      'with --write, rewrite the block even when its checksum is valid (default: refused, exit 1, nothing written)',
    )
    .option('--backup <FILE>', 'backup file (default TARGET.infoblock-backup)')
    .option(
      '--allow-hazard',
      'write even a block the kernel would misplace data or crash under DAX with (an fsdax namespace with start_pad)',
    )
    .option('--json', 'print the plan as JSON (schemas/recover.schema.json; u64 values as "0x..." strings)')
    .addHelpText(
      'after',
      '\nExit status: 0 proposed, written or nothing to do; 1 nothing found, ambiguous or refused; 2 usage or ' +
        'I/O error.\nExample: infoblock recover ns.img --ns-base 0x100000000 --write',
    )
    .action((target: string, o: RecoverOpts) =>
      refusing(io, contextOf(target, o), () => action(io, target, o), REFUSALS, o.json === true),
    );
}
