/**
 * What a scan finding means and how it is shown: a pfn/dax block's apparent
 * dataoff meaning and the default kernel's verdict on the namespace it would
 * head (starting 4096 bytes before it), plus the view the JSON documents
 * show (camelCase, bigint) and one text line per finding.
 */
import { escapeText } from '../format/escape';
import type { DaxVerdict } from '../validate/dax-verdict';
import { headWithBlock } from '../format/head';
import { encodePfnBlock, type Meaning } from '../format/pfn';
import { expectSpan, expectU64 } from '../format/int64';
import { hex, humanSize } from '../format/units';
import { alignmentEvidence, baseFits, basesFittingBlock } from '../validate/geometry';
import { checkHead, type Verdict } from '../validate/check';
import {
  isBttFinding,
  isFsFinding,
  isPartitionFinding,
  isPfnFinding,
  type Finding,
  type FsFinding,
  type PartitionFinding,
  type PfnFinding,
} from './detect';
import { expectArray, expectFields, expectOptions } from '../format/guard';

export interface ScanContext {
  /** Physical address of the target's byte 0 (a block at P heads a namespace at nsBase + P - 4096). */
  nsBase: bigint;
  targetSize: bigint;
  /** A kernel version ('6.12', 'linux-6.1') or profile ('map', 'linux-latest'), as resolveKernel accepts. */
  kernel: string;
  /**
   * nsBase was not given (0 assumed): a block whose start_pad rules its assumed base out is judged at the
   * nearest base it fits instead (below it), so a correct block is not called refused for a base it cannot have.
   */
  nsBaseAssumed?: boolean;
}

export interface PfnAssessment {
  namespaceOffset: bigint;
  /** The physical base the block was judged at (the assumed one, or the nearest its start_pad fits). */
  base: bigint;
  /** The base was taken from the block's start_pad, not given. */
  baseFromStartPad: boolean;
  meaning: Meaning | 'both' | 'neither';
  verdict: Verdict;
}

/** The base a block is judged at: the given one, or (assumed, and ruled out by start_pad) the nearest that fits. */
function judgedBase(given: bigint, startPad: bigint, assumed: boolean): { base: bigint; baseFromStartPad: boolean } {
  const fit = assumed ? basesFittingBlock(startPad) : null;
  if (fit === null || baseFits(startPad, given)) return { base: given, baseFromStartPad: false };
  // The fitting base at or below the assumed one (the first above it when none is below).
  const candidate = given - (given % fit.modulus) + fit.residue;
  const base = candidate > given && candidate >= fit.modulus ? candidate - fit.modulus : candidate;
  return { base, baseFromStartPad: true };
}

/** The meaning the block's alignments suggest and the kernel's verdict on the namespace it heads. */
export function assessPfn(f: PfnFinding, ctx: ScanContext): PfnAssessment {
  expectFields(f, 'f', { kind: 'string', offset: 'bigint', checksumValid: 'boolean', fields: 'object' });
  expectFields(ctx, 'ctx', { nsBase: 'bigint', targetSize: 'bigint', kernel: 'string' });
  expectSpan(expectU64(ctx.nsBase, 'nsBase'), expectU64(ctx.targetSize, 'targetSize'), 'target');
  const namespaceOffset = f.offset - 4096n;
  const { base, baseFromStartPad } = judgedBase(
    ctx.nsBase + namespaceOffset,
    f.fields.startPad,
    ctx.nsBaseAssumed === true,
  );
  // The stored bytes, checksum included, so a bad checksum stays bad.
  const block = encodePfnBlock(f.fields, { checksum: 'keep' });
  const verdict = checkHead(headWithBlock(block), {
    kernel: ctx.kernel,
    nsBase: base,
    nsSize: ctx.targetSize - namespaceOffset,
    hazards: false,
  });
  return { namespaceOffset, base, baseFromStartPad, meaning: alignmentEvidence(f.fields, base).suggests, verdict };
}

/** The kernel's verdict as a finding or plan shows it (camelCase, bigint: the CLI maps it to JSON). */
export interface VerdictView {
  kernel: string;
  outcome: Verdict['outcome'];
  errno: number | null;
  message: string | null;
  dataStart: bigint | null;
  dataSize: bigint | null;
  /** The DAX verdict of a claimed fsdax/devdax namespace (absent otherwise). */
  dax?: DaxVerdict;
}

/** The DAX verdict beside a claim, in a few words: ', DAX consistent', ', DAX MISPLACED by 0x100000', ... */
export function daxNote(d: DaxVerdict | undefined): string {
  if (d === undefined) return '';
  if (d.outcome === 'misplaced') return `, DAX MISPLACED by ${hex(d.shift)} (mmap below read(2))`;
  if (d.outcome === 'crashes') return `, DAX CRASHES the kernel on a first mmap fault`;
  return `, DAX ${d.outcome}`;
}

export function verdictView(v: Verdict): VerdictView {
  expectOptions(v, 'v');
  return {
    kernel: v.profile,
    outcome: v.outcome,
    errno: v.errno,
    message: v.message,
    dataStart: v.dataStart,
    dataSize: v.dataSize,
    ...(v.dax === undefined ? {} : { dax: v.dax }),
  };
}

/**
 * One finding as the `--json` documents of scan and recover show it: camelCase
 * keys, bigint positions and sizes (mapped to snake_case and "0x…" strings by
 * the CLI), the pfn/dax block's meaning and verdict included.
 */
export function findingView(f: Finding, ctx: ScanContext): Record<string, unknown> {
  expectOptions(f, 'f');
  expectFields(ctx, 'ctx', { nsBase: 'bigint', targetSize: 'bigint', kernel: 'string' });
  if (isPfnFinding(f)) {
    const a = assessPfn(f, ctx);
    const x = f.fields;
    return {
      offset: f.offset,
      kind: f.kind,
      checksumValid: f.checksumValid,
      namespaceOffset: a.namespaceOffset,
      nsBase: a.base,
      uuid: x.uuid,
      parentUuid: x.parentUuid,
      version: `${x.versionMajor}.${x.versionMinor}`,
      dataoff: x.dataoff,
      npfns: x.npfns,
      mode: x.mode,
      startPad: x.startPad,
      endTrunc: x.endTrunc,
      align: x.align,
      checksum: x.checksum,
      meaning: a.meaning,
      verdict: verdictView(a.verdict),
    };
  }
  if (isBttFinding(f)) {
    return {
      offset: f.offset,
      kind: f.kind,
      checksumValid: f.checksumValid,
      arena: f.arena,
      info2off: f.info2off,
      externalLbasize: f.externalLbasize,
      externalNlba: f.externalNlba,
    };
  }
  if (isPartitionFinding(f)) {
    return {
      offset: f.offset,
      kind: f.kind,
      size: f.size,
      partitions: f.partitions.map((x) => ({ number: x.number, start: x.start, size: x.size, type: x.type })),
    };
  }
  return {
    offset: f.offset,
    kind: f.kind,
    variant: f.variant,
    superblock: f.superblock,
    size: f.size,
    blockSize: f.blockSize,
    uuid: f.uuid,
    copy: f.copy,
    group: f.group,
  };
}

/** "1, 3, 5, 7, 9, 25" with runs of three or more as "1-3": numbers in ascending order. */
export function groupList(groups: readonly number[]): string {
  const sorted = [...new Set(groups)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const [lo, hi] = [sorted[i] as number, sorted[j] as number];
    if (j - i >= 2) parts.push(`${lo}-${hi}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(', ');
}

/** "7 backup superblocks at groups 1, 3, 5, 7, 9, 25, 27" (ext4), "at AGs 1-3" (xfs), "at mirror 1" (btrfs). */
export function copiesText(kind: FsFinding['kind'], groups: readonly number[]): string {
  const n = groups.length;
  const what = kind === 'xfs' ? 'secondary superblock' : kind === 'btrfs' ? 'superblock mirror' : 'backup superblock';
  const where = kind === 'xfs' ? 'AG' : kind === 'btrfs' ? 'mirror' : 'group';
  return `${n} ${what}${n === 1 ? '' : 's'} at ${where}${n === 1 ? '' : 's'} ${groupList(groups)}`;
}

/**
 * Text lines for a list of findings: one line per filesystem. Its superblock copies fold into the line of
 * its primary (or, when the primary was not found, of its first copy) as "N backup superblocks at groups
 * …"; JSON keeps every copy.
 */
export function findingLines(findings: readonly Finding[], ctx: ScanContext): string[] {
  expectArray(findings, 'findings');
  expectFields(ctx, 'ctx', { nsBase: 'bigint', targetSize: 'bigint', kernel: 'string' });
  const key = (f: FsFinding): string => `${f.kind}@${f.offset}@${f.uuid}`;
  const lead = new Map<string, FsFinding>();
  const copies = new Map<string, number[]>();
  for (const f of findings) if (isFsFinding(f) && !f.copy && !lead.has(key(f))) lead.set(key(f), f);
  for (const f of findings) if (isFsFinding(f) && !lead.has(key(f))) lead.set(key(f), f);
  for (const f of findings) {
    if (isFsFinding(f) && lead.get(key(f)) !== f) copies.set(key(f), [...(copies.get(key(f)) ?? []), f.group]);
  }
  const lines: string[] = [];
  for (const f of findings) {
    if (!isFsFinding(f)) lines.push(findingLine(f, ctx));
    else if (lead.get(key(f)) === f) {
      const more = copies.get(key(f)) ?? [];
      lines.push(`${findingLine(f, ctx)}${more.length === 0 ? '' : ` (+${copiesText(f.kind, more)})`}`);
    }
  }
  return lines;
}

export function findingLine(f: Finding, ctx: ScanContext): string {
  expectOptions(f, 'f');
  expectFields(ctx, 'ctx', { nsBase: 'bigint', targetSize: 'bigint', kernel: 'string' });
  const at = hex(f.offset).padStart(14);
  if (isPfnFinding(f)) {
    const a = assessPfn(f, ctx);
    const x = f.fields;
    const v = a.verdict;
    const verdict =
      v.outcome === 'claimed'
        ? `claimed, data at ${hex(v.dataStart ?? 0n)} (${humanSize(v.dataSize ?? 0n)})${daxNote(v.dax)}`
        : `${v.outcome}${v.message === null ? '' : ` (${escapeText(v.message)})`}`;
    return (
      `${at}  ${f.kind} info-block v${x.versionMajor}.${x.versionMinor}, checksum ` +
      `${f.checksumValid ? 'ok' : 'BAD'}, dataoff ${hex(x.dataoff)}, start_pad ${hex(x.startPad)}, mode ` +
      `${x.mode}, align ${hex(x.align)}; as a namespace at ${hex(a.namespaceOffset)} (its base at physical ` +
      `${hex(a.base)}${a.baseFromStartPad ? ', assumed from its start_pad: no base was given' : ''}): ` +
      `looks ${a.meaning}-meaning, ${v.profile} ${verdict}`
    );
  }
  if (isBttFinding(f)) {
    return (
      `${at}  ${f.kind === 'btt' ? 'BTT info-block' : `BTT backup info-block (arena at ${hex(f.arena)})`}, ` +
      `checksum ${f.checksumValid ? 'ok' : 'BAD'}, ${f.externalNlba} x ${f.externalLbasize} B sectors`
    );
  }
  if (isPartitionFinding(f)) return `${at}  ${partitionText(f)}`;
  const where = f.kind === 'xfs' ? 'AG' : f.kind === 'btrfs' ? 'mirror' : 'group';
  const copy = f.copy ? `, copy at ${hex(f.superblock)} (${where} ${f.group})` : '';
  return (
    `${at}  ${f.variant} filesystem, ${humanSize(f.size)} (${f.size / f.blockSize} x ` +
    `${f.blockSize} B blocks), uuid ${f.uuid}${copy}`
  );
}

/** "MBR partition table, 2 partitions: 1 type 0x83 at 0x300000 (16 MiB), 2 ..." (positions absolute). */
export function partitionText(f: PartitionFinding): string {
  const n = f.partitions.length;
  const list = f.partitions
    .map((x) => `${x.number} type ${x.type} at ${hex(x.start)} (${humanSize(x.size)})`)
    .join(', ');
  return (
    `${f.kind === 'mbr' ? 'MBR' : 'GPT'} partition table spanning ${humanSize(f.size)}, ${n} ` +
    `partition${n === 1 ? '' : 's'}${n === 0 ? '' : `: ${list}`}`
  );
}
