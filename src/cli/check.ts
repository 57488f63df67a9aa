/**
 * `infoblock check`: a kernel's verdict on a namespace (several kernels side
 * by side with --kernels, every namespace of a labelled DIMM with
 * --label-size). `infoblock explain` (src/cli/explain.ts) draws the same
 * namespace; the options both take are src/cli/namespace.ts.
 */
import { escapeText } from '../format/escape';
import type { Command } from 'commander';
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import { hex } from '../format/units';
import { checkHead, type Verdict } from '../validate/check';
import { baseConflictLines, renderKernels, renderVerdict } from './render';
import { labelledDaxAdvice, labellessDaxAdvice } from './advice';
import { checkKernels } from '../validate/check-kernels';
import { daxIsHazard } from '../validate/dax-verdict';
import { resolveKernel, resolveKernels } from '../validate/versions';
import type { Arch } from '../validate/arch';
import { ExitCode } from './exit-code';
import { readExact, targetSize } from '../io/files';
import { NIL_UUID } from '../format/uuid';
import type { CliIo } from './io';
import { contextOf, failureText } from './hints';
import { tornFields, tornFirst, tornNotice } from './torn';
import { migrate } from '../migrate/migrate';
import { errorDocumentText } from './json';
import { jsonText, type SchemaName } from '../format/json';
import { parseNsBase, parsePosition } from './options';
import { checkLabelledDimm, type LabelledCheck, type LabelledNamespaceVerdict } from '../validate/labels';
import { dimmLayout } from '../format/labels-spec';
import { readLabelArea } from './labels';
import { kataLines } from './pack';
import {
  addNamespaceOptions,
  assumedBaseConflict,
  baseFacts,
  loadNamespace,
  namespaceParams,
  type NamespaceOpts,
} from './namespace';

/** Every option of `check`. */
type CheckCliOpts = NamespaceOpts & LabelledOpts & { json?: boolean; kernels?: string; dax: boolean };

/** Claimed, and (unless the user states the namespace is never mounted with DAX) safe under DAX. */
const safe = (v: Verdict, o: CheckCliOpts): boolean => v.outcome === 'claimed' && (!o.dax || !daxIsHazard(v.dax));

/** One FILE judged: its text block, its JSON document, and whether it counts as claimed (exit 0). */
interface FileResult {
  text: string;
  name: SchemaName;
  body: object;
  claimed: boolean;
}

/**
 * The placement options a suggested command repeats, as the user gave them (shell-quoted later by
 * commandLine); the base `check` assumed when none was given, since migrate needs one.
 */
function carryOf(o: NamespaceOpts, nsBase: bigint): Record<string, string> {
  return {
    ...(o.offset === undefined ? {} : { offset: o.offset }),
    nsBase: o.nsBase ?? hex(nsBase),
    ...(o.nsSize === undefined ? {} : { nsSize: o.nsSize }),
    ...(o.arch === 'x86_64' ? {} : { arch: o.arch }),
  };
}

/** What the printed repair needs beyond its own flags to succeed when pasted, and why (see {@link repairNeeds}). */
interface RepairNeeds {
  carry: Record<string, string | true>;
  notes: string[];
}

/**
 * The repair `check` prints must work when pasted: migrate plans the repaired block the way the pasted command
 * will (its default guard kernel, the block's own parent uuid) and refuses one a guard kernel misplaces
 * (`--force`) or misplaces or crashes on under DAX (`--allow-hazard`): a repair keeps start_pad, which Linux 5.17+
 * maps start_pad bytes low under DAX. The flag it needs goes on the repair line, with a note saying what remains.
 */
function repairNeeds(
  v: Pick<Verdict, 'hazards'>,
  block: Uint8Array,
  place: { nsBase: bigint; nsSize: bigint; arch: Arch },
  carry: Record<string, string>,
): RepairNeeds {
  const fix = v.hazards.find((h) => h.fix !== undefined)?.fix;
  if (fix === undefined) return { carry, notes: [] };
  let report: ReturnType<typeof migrate>;
  try {
    report = migrate(block, { ...fix.params, ...place });
  } catch {
    return { carry, notes: [] }; // the pasted command says why itself
  }
  if (report.status !== 'planned') return { carry, notes: [] };
  const extra: Record<string, true> = {};
  const notes: string[] = [];
  if (report.hazard !== null) {
    extra['force'] = true;
    notes.push(`  after the repair: ${escapeText(report.hazard)}; --force writes it anyway`);
  }
  if (report.daxHazard !== null) {
    extra['allowHazard'] = true;
    notes.push(
      `  after the repair the block keeps start_pad ${hex(report.after.startPad)}: ${escapeText(report.daxHazard)}; ` +
        '--allow-hazard writes it anyway: mount it without DAX, or give it start_pad 0 (realign a labelled ' +
        'namespace, rebase a label-less one)',
    );
  }
  return { carry: { ...carry, ...extra }, notes };
}

/** The verdict's text with the repair line carrying what it needs ({@link repairNeeds}) and the notes after it. */
function renderWithRepair(
  file: string,
  v: Verdict,
  baseGiven: boolean,
  block: Uint8Array,
  arch: Arch,
  carry: Record<string, string>,
): string {
  const needs = repairNeeds(v, block, { nsBase: v.nsBase, nsSize: v.nsSize, arch }, carry);
  const lines = renderVerdict(file, v, baseGiven, { target: file, carry: needs.carry }).split('\n');
  const at = lines.findIndex((l) => l.startsWith('  repair: '));
  if (at >= 0) lines.splice(at + 1, 0, ...needs.notes);
  return lines.join('\n');
}

/** One FILE under the options: a verdict, a side-by-side report (--kernels), or a labelled DIMM (--label-size). */
function checkFile(file: string, o: CheckCliOpts): FileResult {
  if (o.labelSize !== undefined) {
    const r = checkLabelledFile(file, o);
    const claimed = r.namespaces.length > 0 && r.namespaces.every((n) => safe(n.verdict, o));
    return { text: renderLabelled(file, r, o.arch), name: 'check-labels', body: labelledBody(file, r), claimed };
  }
  const ns = loadNamespace(file, o);
  const { head, opts, offset, baseGiven } = ns;
  const torn = tornNotice(file, offset, head, contextOf(file, o));
  const fit = assumedBaseConflict(ns);
  const base = baseFacts(ns, fit);
  if (o.kernels !== undefined) {
    const r = checkKernels(
      head,
      fit === null ? opts : { ...opts, hazards: false },
      resolveKernels(o.kernels, 'kernels'),
    );
    const body = { file, offset, nsBase: opts.nsBase, ...base, nsSize: opts.nsSize, ...tornFields(torn), ...r };
    const daxSafe = !o.dax || Object.values(r.verdicts).every((v) => !daxIsHazard(v.dax));
    // The block's repair carries what it needs when pasted, with the same notes as without --kernels.
    const first = Object.values(r.verdicts)[0];
    const needs =
      first === undefined
        ? { carry: carryOf(o, opts.nsBase ?? 0n), notes: [] }
        : repairNeeds(
            { hazards: r.blockHazards },
            head.subarray(HEAD_SIZE - 4096),
            { nsBase: first.nsBase, nsSize: first.nsSize, arch: o.arch },
            carryOf(o, opts.nsBase ?? 0n),
          );
    const ctx = { target: file, carry: needs.carry };
    const kata = kataLines(file, offset, Object.values(r.verdicts));
    const table = renderKernels(file, r, ctx, fit === null ? [] : baseConflictLines(fit)).split('\n');
    const at = table.findIndex((l) => l.startsWith('  repair: '));
    if (at >= 0) table.splice(at + 1, 0, ...needs.notes);
    const text = tornFirst(torn, [table.join('\n'), ...kata].join('\n'));
    return { text, name: 'check-kernels', body, claimed: r.agree && daxSafe && torn === null };
  }
  // At a base the block cannot have, its hazards (and the failing rule) say nothing: ask for the base.
  const v = checkHead(head, fit === null ? opts : { ...opts, hazards: false });
  let text: string;
  if (fit !== null) {
    const where = renderVerdict(file, v, false)
      .split('\n')
      .filter((l) => /^ {2}(namespace|kernel): /.test(l));
    text = [
      `${escapeText(file)}: NEEDS --ns-base: the block does not fit the assumed namespace base 0`,
      ...baseConflictLines(fit),
    ]
      .concat(where)
      .join('\n');
  } else {
    text = renderWithRepair(file, v, baseGiven, head.subarray(HEAD_SIZE - 4096), o.arch, carryOf(o, v.nsBase));
    if (opts.parentUuid === undefined || opts.parentUuid === NIL_UUID)
      text = [text, ...labellessDaxAdvice(file, v)].join('\n');
    text = [text, ...kataLines(file, offset, [v])].join('\n');
  }
  text = tornFirst(torn, text);
  // The namespace first.
  const body = Object.assign({ file, offset, nsBase: v.nsBase, ...base, nsSize: v.nsSize, ...tornFields(torn) }, v);
  return { text, name: 'check', body, claimed: safe(v, o) && torn === null };
}

/** Every option checked before any FILE is read: a bad one fails the whole command with one line. */
function checkOptions(o: CheckCliOpts): void {
  if (o.labelSize !== undefined) labelledParams(o);
  else namespaceParams(o);
  if (o.kernels !== undefined) resolveKernels(o.kernels, 'kernels');
}

/**
 * `check A B C`: one verdict block per FILE (a blank line between them), or under --json one document per
 * line (JSON Lines); a FILE that cannot be read is its `infoblock: ...` line on stderr (and an `error`
 * document in its place) and the others go on. Exit 2 if any FILE failed, else 1 if any is not claimed.
 */
function checkFiles(io: CliIo, files: readonly string[], o: CheckCliOpts): void {
  checkOptions(o);
  const json = o.json === true;
  if (files.length === 1) {
    // One FILE: an indented document, and its failure goes through the central error handling.
    const r = checkFile(files[0] as string, o);
    io.stdout(json ? `${jsonText(r.name, r.body)}\n` : `${r.text}\n`);
    if (!r.claimed) throw new ExitCode(1);
    return;
  }
  let failed = false;
  let unclaimed = false;
  let printed = 0;
  for (const file of files) {
    let r: FileResult;
    try {
      r = checkFile(file, o);
    } catch (e) {
      if (!(e instanceof InfoblockError)) throw e;
      failed = true;
      const err = e as InfoblockError<string>;
      const message = failureText(err, { target: file, carry: carryOf(o, 0n) });
      io.stderr(`infoblock: ${message}\n`);
      if (json) io.stdout(errorDocumentText({ code: err.code, message, exitCode: 2, hint: err.hint }, 0));
      continue;
    }
    io.stdout(json ? `${jsonText(r.name, r.body, 0)}\n` : `${printed === 0 ? '' : '\n'}${r.text}\n`);
    printed++;
    if (!r.claimed) unclaimed = true;
  }
  if (failed) throw new ExitCode(2);
  if (unclaimed) throw new ExitCode(1);
}

export function registerCheck(program: Command, io: CliIo): void {
  addNamespaceOptions(
    program
      .command('check')
      .description(
        'Predict what a kernel does with a namespace: claim it (and where the data lands), leave it raw, ' +
          "refuse it, or crash, in the kernel's own words. Several FILEs: one verdict each, the options apply " +
          'to every one.',
      )
      .argument('<FILE...>', 'image files or block devices, each holding a namespace'),
  )
    .option('--json', 'print the verdict as JSON (several FILEs: JSON Lines, one document per FILE)')
    .option(
      '--label-size <BYTES>',
      'FILE is a labelled DIMM image with a label area in its last BYTES: judge every namespace its labels define',
    )
    .option('--slot <N>', "QEMU memory slot of the DIMM (its labels' interleave-set cookie), with --label-size", '0')
    .option(
      '--kernels <LIST>',
      "judge under several kernels side by side and flag every difference: 'all' (5.10, 6.1, 6.12, 7.2) or " +
        'a comma list',
    )
    .option(
      '--no-dax',
      'the namespace is never mounted with DAX: a kernel that would misplace or crash under DAX does not fail ' +
        'the check (the DAX verdict is still shown)',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 every FILE claimed (--kernels: every kernel claims it at the same place) and safe under ' +
        'DAX, 1 any FILE left raw, refused or crashed, or one a kernel would misplace or crash on under DAX ' +
        '(unless --no-dax), 2 usage error or a FILE that cannot be read (the others are still judged).\n' +
        ('Examples: infoblock check ns.img --ns-base 0x100100000 --kernel 6.12\n          infoblock check ' +
          'ns.img --kernels all\n          infoblock check --json a.img b.img c.img'),
    )
    .action((files: string[], o: CheckCliOpts) => checkFiles(io, files, o));
}

/** `check --label-size`: the labelled DIMM's namespaces, each judged with its label's uuid as parent. */
interface LabelledOpts {
  labelSize?: string;
  slot: string;
}

interface LabelledParams {
  labelSize: bigint;
  slot: number;
  dimmBase: bigint;
}

function labelledParams(o: NamespaceOpts & LabelledOpts): LabelledParams {
  const labelSize = parsePosition(o.labelSize ?? '', 'label size');
  if (o.offset !== undefined || o.nsSize !== undefined || o.parentUuid !== undefined) {
    throw new InvalidArgumentError(
      '--label-size takes the namespaces from the labels: drop --offset, --ns-size and --parent-uuid',
    );
  }
  if (!/^\d{1,3}$/.test(o.slot) || Number(o.slot) > 255) {
    throw new InvalidArgumentError(`invalid slot '${o.slot}' (0 to 255)`);
  }
  resolveKernel(o.kernel);
  const dimmBase = o.nsBase === undefined ? 0n : parseNsBase(o.nsBase);
  return { labelSize, slot: Number(o.slot), dimmBase };
}

interface LabelledFile extends LabelledCheck, LabelledParams {
  capacity: bigint;
}

function checkLabelledFile(file: string, o: NamespaceOpts & LabelledOpts): LabelledFile {
  const p = labelledParams(o);
  const { capacity } = dimmLayout(targetSize(file), p.labelSize);
  const area = readLabelArea(file, p.labelSize);
  const read = (offset: bigint, length: number): Uint8Array => readExact(file, offset, length);
  const opts = { kernel: o.kernel, arch: o.arch, expect: o.expect, dimmBase: p.dimmBase, slot: p.slot };
  return { ...checkLabelledDimm(area, capacity, read, opts), ...p, capacity };
}

/** `check --label-size --json`: the DIMM, its label index and each namespace with its verdict. */
function labelledBody(file: string, r: LabelledFile): object {
  const { labelSize, slot, dimmBase, capacity, labels, fallback, skipped, namespaces } = r;
  return { file, labelSize, slot, dimmBase, capacity, labels, fallback, skipped, namespaces };
}

/** A labelled namespace's place in FILE, for a suggested command: its dpa, physical base and size. */
function namespaceCarry(n: LabelledNamespaceVerdict, arch: string): Record<string, string> {
  return {
    offset: hex(n.dpa),
    nsBase: hex(n.verdict.nsBase),
    nsSize: hex(n.size),
    ...(arch === 'x86_64' ? {} : { arch }),
  };
}

function renderLabelled(file: string, r: LabelledFile, arch: Arch = 'x86_64'): string {
  const head = r.fallback
    ? `${escapeText(file)}: no valid label index (${r.labels.why}): the kernel falls back to one label-less namespace`
    : `${escapeText(file)}: labels v${r.labels.version ?? '?'}, index ${r.labels.current ?? '-'} current; ` +
      `${r.namespaces.length} namespace(s)`;
  const lines = [head];
  for (const s of r.skipped) lines.push(`  label in slot ${s.slot} (${s.uuid}) skipped: ${s.reasons.join('; ')}`);
  for (const n of r.namespaces) {
    const name = n.name === '' ? '' : ` '${escapeText(n.name)}'`;
    lines.push(`  ${n.uuid ?? '(label-less)'}${name} dpa 0x${n.dpa.toString(16)} size ${n.size}:`);
    const block = n.verdict.hazards.some((h) => h.fix !== undefined)
      ? readExact(file, n.dpa + 4096n, 4096)
      : new Uint8Array(4096);
    lines.push(
      renderWithRepair(file, n.verdict, true, block, arch, namespaceCarry(n, arch))
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
    const advice =
      n.uuid === null ? labellessDaxAdvice(file, n.verdict) : labelledDaxAdvice(file, n.verdict, r.labelSize, n.uuid);
    lines.push(...advice.map((l) => `    ${l}`));
  }
  return lines.join('\n');
}
