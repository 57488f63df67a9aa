/**
 * What a scan finding means and how it is shown: a pfn/dax block's apparent
 * dataoff meaning and the default kernel's verdict on the namespace it would
 * head (starting 4096 bytes before it), plus the view the JSON documents
 * show (camelCase, bigint) and one text line per finding.
 */
import { escapeText } from '../format/escape';
import { headWithBlock } from '../format/head';
import { encodePfnBlock, type Meaning } from '../format/pfn';
import { expectSpan, expectU64 } from '../format/int64';
import { hex, humanSize } from '../format/units';
import { alignmentEvidence } from '../validate/geometry';
import { checkHead, type Verdict } from '../validate/check';
import { isBttFinding, isFsFinding, isPfnFinding, type Finding, type FsFinding, type PfnFinding } from './detect';

export interface ScanContext {
  /** Physical address of the target's byte 0 (a block at P heads a namespace at nsBase + P - 4096). */
  nsBase: bigint;
  targetSize: bigint;
  /** A kernel version ('6.12', 'linux-6.1') or profile ('map', 'linux-latest'), as resolveKernel accepts. */
  kernel: string;
}

export interface PfnAssessment {
  namespaceOffset: bigint;
  meaning: Meaning | 'both' | 'neither';
  verdict: Verdict;
}

/** The meaning the block's alignments suggest and the kernel's verdict on the namespace it heads. */
export function assessPfn(f: PfnFinding, ctx: ScanContext): PfnAssessment {
  expectSpan(expectU64(ctx.nsBase, 'nsBase'), expectU64(ctx.targetSize, 'targetSize'), 'target');
  const namespaceOffset = f.offset - 4096n;
  const base = ctx.nsBase + namespaceOffset;
  // The stored bytes, checksum included, so a bad checksum stays bad.
  const block = encodePfnBlock(f.fields, { checksum: 'keep' });
  const verdict = checkHead(headWithBlock(block), {
    kernel: ctx.kernel,
    nsBase: base,
    nsSize: ctx.targetSize - namespaceOffset,
    hazards: false,
  });
  return { namespaceOffset, meaning: alignmentEvidence(f.fields, base).suggests, verdict };
}

/** The kernel's verdict as a finding or plan shows it (camelCase, bigint: the CLI maps it to JSON). */
export interface VerdictView {
  kernel: string;
  outcome: Verdict['outcome'];
  errno: number | null;
  message: string | null;
  dataStart: bigint | null;
  dataSize: bigint | null;
}

export function verdictView(v: Verdict): VerdictView {
  return {
    kernel: v.profile,
    outcome: v.outcome,
    errno: v.errno,
    message: v.message,
    dataStart: v.dataStart,
    dataSize: v.dataSize,
  };
}

/**
 * One finding as the `--json` documents of scan and recover show it: camelCase
 * keys, bigint positions and sizes (mapped to snake_case and "0x…" strings by
 * the CLI), the pfn/dax block's meaning and verdict included.
 */
export function findingView(f: Finding, ctx: ScanContext): Record<string, unknown> {
  if (isPfnFinding(f)) {
    const a = assessPfn(f, ctx);
    const x = f.fields;
    return {
      offset: f.offset,
      kind: f.kind,
      checksumValid: f.checksumValid,
      namespaceOffset: a.namespaceOffset,
      nsBase: ctx.nsBase + a.namespaceOffset,
      uuid: x.uuid,
      parentUuid: x.parentUuid,
      version: `${x.versionMajor}.${x.versionMinor}`,
      dataoff: x.dataoff,
      npfns: x.npfns,
      mode: x.mode,
      startPad: BigInt(x.startPad),
      endTrunc: BigInt(x.endTrunc),
      align: BigInt(x.align),
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
  return {
    offset: f.offset,
    kind: f.kind,
    variant: f.variant,
    superblock: f.superblock,
    size: f.size,
    blockSize: f.blockSize,
    uuid: f.uuid,
    copy: f.copy,
  };
}

/**
 * Text lines for a list of findings: superblock copies whose primary was
 * found fold into the primary's line as a count (JSON keeps every copy).
 */
export function findingLines(findings: readonly Finding[], ctx: ScanContext): string[] {
  const key = (f: FsFinding): string => `${f.kind}@${f.offset}`;
  const copies = new Map<string, number>();
  for (const f of findings) if (isFsFinding(f) && !f.copy) copies.set(key(f), 0);
  const lines: string[] = [];
  for (const f of findings) {
    if (isFsFinding(f) && f.copy && copies.has(key(f))) copies.set(key(f), (copies.get(key(f)) ?? 0) + 1);
  }
  for (const f of findings) {
    if (!isFsFinding(f)) lines.push(findingLine(f, ctx));
    else if (!f.copy || !copies.has(key(f))) {
      const n = f.copy ? 0 : (copies.get(key(f)) ?? 0);
      lines.push(`${findingLine(f, ctx)}${n === 0 ? '' : ` (+${n} superblock ${n === 1 ? 'copy' : 'copies'})`}`);
    }
  }
  return lines;
}

export function findingLine(f: Finding, ctx: ScanContext): string {
  const at = hex(f.offset).padStart(14);
  if (isPfnFinding(f)) {
    const a = assessPfn(f, ctx);
    const x = f.fields;
    const v = a.verdict;
    const verdict =
      v.outcome === 'claimed'
        ? `claimed, data at ${hex(v.dataStart ?? 0n)} (${humanSize(v.dataSize ?? 0n)})`
        : `${v.outcome}${v.message === null ? '' : ` (${escapeText(v.message)})`}`;
    return (
      `${at}  ${f.kind} info-block v${x.versionMajor}.${x.versionMinor}, checksum ` +
      `${f.checksumValid ? 'ok' : 'BAD'}, dataoff ${hex(x.dataoff)}, start_pad ${hex(x.startPad)}, mode ` +
      `${x.mode}, align ${hex(x.align)}; as a namespace at ${hex(a.namespaceOffset)} (its base at physical ` +
      `${hex(ctx.nsBase + a.namespaceOffset)}): looks ${a.meaning}-meaning, ${v.profile} ${verdict}`
    );
  }
  if (isBttFinding(f)) {
    return (
      `${at}  ${f.kind === 'btt' ? 'BTT info-block' : `BTT backup info-block (arena at ${hex(f.arena)})`}, ` +
      `checksum ${f.checksumValid ? 'ok' : 'BAD'}, ${f.externalNlba} x ${f.externalLbasize} B sectors`
    );
  }
  const copy = f.copy ? `, copy at ${hex(f.superblock)}` : '';
  return (
    `${at}  ${f.variant} filesystem, ${humanSize(f.size)} (${f.size / f.blockSize} x ` +
    `${f.blockSize} B blocks), uuid ${f.uuid}${copy}`
  );
}
