/**
 * Recovery planning (pure): from the namespace head and a scan's findings,
 * the info-block(s) that make a kernel expose the data exactly where the
 * evidence says it lies. Each distinct data start is one candidate: a
 * filesystem's first byte, a partition table's (the namespace holds a
 * partitioned disk), or the start a damaged block's surviving fields
 * give. Settings that do not move the data (map, align) follow the old
 * block where it survives, else ndctl's defaults where they fit. Every
 * candidate is checked with the validator under the chosen kernel.
 */
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { expectSpan, expectU64 } from '../format/int64';
import { HEAD_SIZE, INFOBLOCK_OFFSET, findBlocks } from '../format/head';
import {
  DAX_SIGNATURE,
  PFN_MODE,
  PFN_SIGNATURE,
  decodePfnBlock,
  encodePfnBlock,
  type Meaning,
  type PfnFields,
} from '../format/pfn';
import type { MapLocation, NsMode } from '../format/recipe';
import { hex, humanSize } from '../format/units';
import { NIL_UUID, randomUuid } from '../format/uuid';
import { alignmentEvidence } from '../validate/geometry';
import { checkBlock, checkHead, type CheckOptions, type Verdict } from '../validate/check';
import { isFsFinding, isPartitionFinding, type Finding, type FsFinding, type PartitionFinding } from '../scan/detect';
import { partitionText } from '../scan/report';
import { expectArray, expectBigint, expectBytes, expectFields } from '../format/guard';

const SZ_4K = 4096n;
const SZ_8K = 8192n;
const SZ_2M = 2n << 20n;
const STRUCT_PAGE = 64n;
export const MIN_NAMESPACE = 16n << 20n;
/**
 * Candidates a plan keeps whole (block, verdict, reasons): the best by
 * score. Any number of data starts is weighed, but an image holding 100,000
 * superblocks must not hold 100,000 verdicts; the rest are counted.
 */
export const MAX_CANDIDATES = 32;

export interface RecoverOptions {
  nsBase: bigint;
  nsSize: bigint;
  /** A kernel version ('6.12', 'linux-6.1') or profile ('map', 'linux-latest'), as resolveKernel accepts. */
  kernel: string;
  /** Force the personality; default: the damaged block's signature, else fsdax. */
  mode?: NsMode;
  /** uuid of the new block; default: the damaged block's, else a fresh one. */
  uuid?: string;
  parentUuid?: string;
  /**
   * legacy (default): dataoff from base + start_pad, version 1.4, what every
   * kernel reads. map: dataoff from the raw base, version 2.4, this
   * toolkit's convention for kernels with the padding fix (the `map` profile).
   */
  meaning?: Meaning;
}

export interface Candidate {
  dataStart: bigint;
  mode: NsMode;
  map: MapLocation;
  align: bigint;
  fields: PfnFields;
  block: Uint8Array;
  verdict: Verdict;
  /** What points at this data start (a filesystem, surviving fields). */
  sources: string[];
  reasons: string[];
  /** The filesystem whose first byte is the data start, if one is. */
  fs: FsFinding | null;
  /** The partition table (MBR, GPT) at the data start, if one is. */
  table: PartitionFinding | null;
}

export interface Rejected {
  source: string;
  reason: string;
}

export interface RecoveryPlan {
  status: 'intact' | 'proposed' | 'ambiguous' | 'nothing';
  current: Verdict;
  /** The damaged block's fields when its signature survived. */
  survivor: { fields: PfnFields; checksumValid: boolean } | null;
  evidence: Finding[];
  candidates: Candidate[];
  /**
   * Places not listed: candidates weighed but weaker than the MAX_CANDIDATES kept, and places not
   * weighed at all because their evidence could not beat the weakest kept one.
   */
  omitted: number;
  rejected: Rejected[];
  /** Why the plan is intact: the structure at the current data start, or the valid block itself. */
  intactBy: string | null;
}

const alignUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;
const alignDown = (x: bigint, a: bigint): bigint => (x / a) * a;
const describeFs = (f: FsFinding): string => `${f.variant} filesystem at ${hex(f.offset)} (${humanSize(f.size)})`;

/** What can anchor a data start: a filesystem or a partition table at its first byte. */
type Anchor = FsFinding | PartitionFinding;
const describeAnchor = (a: Anchor): string =>
  isFsFinding(a)
    ? describeFs(a)
    : `${a.kind === 'mbr' ? 'MBR' : 'GPT'} partition table at ${hex(a.offset)} (${humanSize(a.size)})`;
const claims = (a: Anchor): string => (isFsFinding(a) ? 'its superblock claims' : 'its partitions span');

/**
 * Filesystems and partition tables that can anchor a data start: primaries
 * (or a copy whose primary is gone), not nested in another one. One sweep in
 * offset order with the furthest end so far of the structures that fit the
 * namespace: O(n log n) in the number of structures found.
 */
function anchorsOf(findings: readonly Finding[], o: RecoverOptions, rejected: Rejected[]): Anchor[] {
  const byStart = new Map<bigint, Anchor>();
  const tables: PartitionFinding[] = [];
  for (const f of findings) {
    if (isPartitionFinding(f)) tables.push(f);
    if (!isFsFinding(f)) continue;
    const seen = byStart.get(f.offset);
    if (seen === undefined || (isFsFinding(seen) && seen.copy && !f.copy)) byStart.set(f.offset, f);
  }
  // A table only where no filesystem starts (its superblock says more); a GPT over its protective MBR.
  for (const t of tables) {
    const seen = byStart.get(t.offset);
    if (seen === undefined || (seen.kind === 'mbr' && t.kind === 'gpt')) byStart.set(t.offset, t);
  }
  const all = [...byStart.values()].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const out: Anchor[] = [];
  let reach = -1n; // the furthest end of an earlier structure that fits the namespace
  for (const f of all) {
    const nested = f.offset < reach;
    // Only a structure that fits the namespace can vouch for containing another.
    if (f.offset + f.size <= o.nsSize && f.offset + f.size > reach) reach = f.offset + f.size;
    if (nested) continue; // an image file inside a filesystem, a partition's filesystem: not the namespace's data start
    if (f.offset < SZ_8K)
      rejected.push({
        source: describeAnchor(f),
        reason: 'it overlaps the 8 KiB head: the namespace was used raw, an info-block would hide it',
      });
    else if (f.offset + f.size > o.nsSize) {
      rejected.push({
        source: describeAnchor(f),
        reason:
          `${claims(f)} ${f.size} bytes, past the namespace end ${hex(o.nsSize)} by ` +
          `${f.offset + f.size - o.nsSize} bytes`,
      });
    } else out.push(f);
  }
  return out;
}

/** Data starts the damaged block's surviving fields point at, in the meaning its alignments suggest. */
function survivorStarts(f: PfnFields, o: RecoverOptions): { start: bigint; why: string }[] {
  const pad = f.startPad;
  const ev = alignmentEvidence(f, o.nsBase);
  const legacy = {
    start: pad + f.dataoff,
    why: `the damaged block's fields (dataoff ${hex(f.dataoff)} + start_pad ${hex(pad)}, legacy meaning)`,
  };
  const map = {
    start: f.dataoff,
    why: `the damaged block's fields (dataoff ${hex(f.dataoff)} measured from the raw base, as ndctl -O writes it)`,
  };
  if (pad === 0n || ev.suggests === 'legacy' || ev.suggests === 'both') return [legacy];
  if (ev.suggests === 'map' || f.versionMajor === 2) return [map];
  return [legacy];
}

interface Settings {
  mode: NsMode;
  startPad: bigint;
  endTrunc: bigint;
  map: MapLocation;
  align: bigint;
  reasons: string[];
}

/** The largest power of two in [4 KiB, cap] dividing x (`x > 0`), or 0 when even 4 KiB does not. */
function largestAlign(x: bigint, cap: bigint): bigint {
  let a = cap;
  while (a >= SZ_4K && x % a !== 0n) a >>= 1n;
  return a >= SZ_4K ? a : 0n;
}

/**
 * map and align for a data start: the survivor's where they still fit, else
 * ndctl's defaults (dev, 2 MiB) where they fit.
 */
function settingsFor(start: bigint, mode: NsMode, old: PfnFields | null, o: RecoverOptions): Settings | string {
  const reasons: string[] = [];
  const phys = o.nsBase + start;
  let align: bigint;
  const oldAlign = old !== null && old.versionMinor >= 2 ? old.align : 0n;
  if (oldAlign !== 0n && phys % oldAlign === 0n) {
    align = oldAlign;
    reasons.push(`align ${hex(align)}: kept from the damaged block`);
  } else if (phys % SZ_2M === 0n) {
    align = SZ_2M;
    reasons.push(`align ${hex(align)}: ndctl's default; the data start ${hex(phys)} (physical) is a multiple of it`);
  } else {
    align = mode === 'devdax' ? (phys % SZ_4K === 0n ? SZ_4K : 0n) : largestAlign(phys, SZ_2M);
    if (align === 0n) return `the data start ${hex(phys)} (physical) is not 4 KiB aligned`;
    reasons.push(
      `align ${hex(align)}: the largest ${mode === 'devdax' ? 'devdax alignment' : 'power of two'} the data ` +
        `start ${hex(phys)} (physical) is a multiple of (2 MiB does not fit)`,
    );
  }
  // start_pad/end_trunc as ndctl computes them (granule max(align, 2 MiB)), or the survivor's.
  const granule = align > SZ_2M ? align : SZ_2M;
  const keepPads = old !== null && old.versionMinor >= 1;
  const startPad = keepPads ? old.startPad : alignUp(o.nsBase, granule) - o.nsBase;
  const endTrunc = keepPads ? old.endTrunc : o.nsBase + o.nsSize - alignDown(o.nsBase + o.nsSize, granule);
  if (start < startPad + SZ_8K)
    return `the data start ${hex(start)} leaves no room for start_pad ${hex(startPad)} and the 8 KiB metadata reserve`;
  const dataoff = start - startPad;
  const npfns = (o.nsSize - startPad - endTrunc - dataoff) / SZ_4K;
  const memmapFits = SZ_8K + STRUCT_PAGE * npfns <= dataoff;
  let map: MapLocation;
  if (old !== null && (old.mode === PFN_MODE.ram || (old.mode === PFN_MODE.pmem && memmapFits))) {
    map = old.mode === PFN_MODE.ram ? 'mem' : 'dev';
    reasons.push(`map=${map}: kept from the damaged block (mode ${old.mode})`);
  } else if (memmapFits) {
    map = 'dev';
    reasons.push(`map=dev: ndctl's default; the memmap (${npfns} pages x 64 B) fits below the data`);
  } else {
    map = 'mem';
    reasons.push(`map=mem: the memmap (${npfns} pages x 64 B) does not fit below the data, so it goes to system RAM`);
  }
  return { mode, startPad, endTrunc, map, align, reasons };
}

function buildFields(start: bigint, s: Settings, old: PfnFields | null, o: RecoverOptions): PfnFields {
  const map = o.meaning === 'map';
  const dataoff = map ? start : start - s.startPad;
  return {
    signature: (s.mode === 'devdax' ? DAX_SIGNATURE : PFN_SIGNATURE).slice(),
    uuid: o.uuid ?? (old !== null && old.uuid !== NIL_UUID ? old.uuid : randomUuid()),
    parentUuid: o.parentUuid ?? old?.parentUuid ?? NIL_UUID,
    flags: 0,
    versionMajor: map ? 2 : 1,
    versionMinor: 4,
    dataoff,
    // The pages of the data area, in either meaning: it runs from the data start to the aligned end.
    npfns: (o.nsSize - s.endTrunc - start) / SZ_4K,
    mode: s.map === 'dev' ? PFN_MODE.pmem : PFN_MODE.ram,
    startPad: s.startPad,
    endTrunc: s.endTrunc,
    align: s.align,
    pageSize: SZ_4K,
    pageStructSize: 64n,
    checksum: 0n,
  };
}

interface Target {
  start: bigint;
  /** Why the data may start there, made only when the target is weighed (126k anchors: 100 MiB of text). */
  sources: (() => string)[];
  anchor: Anchor | null;
}

function candidateFor(
  t: Target,
  head: Uint8Array,
  mode: NsMode,
  old: PfnFields | null,
  o: RecoverOptions,
  oldSettings = true,
): Candidate | Rejected {
  const sources = t.sources.map((why) => why());
  const source = sources.join('; ');
  const s = settingsFor(t.start, mode, oldSettings ? old : null, o);
  if (typeof s === 'string') return { source, reason: s };
  const block = encodePfnBlock(buildFields(t.start, s, old, o));
  const decoded = decodePfnBlock(block);
  const fields = decoded.fields; // as written: the checksum included
  // Weighed on the block alone, without the cross-kernel hazards: the candidates kept are judged
  // again on the whole head, hazards included (withHazards), before anyone sees them.
  const verdict = checkBlock(decoded, checkOptions(o));
  if (verdict.outcome !== 'claimed' || verdict.dataStart !== t.start) {
    return {
      source,
      reason:
        `${o.kernel} would not expose the data there with the block recover can build: ` +
        `${verdict.outcome}${verdict.message === null ? '' : ` (${verdict.message})`}`,
    };
  }
  if (t.anchor !== null && (verdict.dataSize ?? 0n) < t.anchor.size) {
    return {
      source,
      reason:
        `the data area would be ${verdict.dataSize ?? 0n} bytes, smaller than the ${t.anchor.size} bytes the ` +
        `${isFsFinding(t.anchor) ? 'filesystem claims' : 'partitions span'}`,
    };
  }
  const modeWhy =
    o.mode !== undefined
      ? 'the mode asked for'
      : old !== null
        ? "the damaged block's signature"
        : 'the default (a filesystem is the fsdax case)';
  const reasons = sources.map((x) => `data start ${hex(t.start)}: ${x}`);
  reasons.push(`${mode}: ${modeWhy}`, ...s.reasons);
  reasons.push(
    o.meaning === 'map'
      ? `dataoff ${hex(fields.dataoff)} = data start (map meaning, version 2.4, as asked)`
      : `dataoff ${hex(fields.dataoff)} = data start - start_pad ${hex(s.startPad)} (legacy meaning, version 1.4: ` +
          `what kernels read)`,
  );
  reasons.push(`npfns ${fields.npfns} = (size - end_trunc - data start) / 4096, the kernel's formula`);
  reasons.push(
    o.uuid !== undefined
      ? 'uuid: the one given'
      : old !== null && old.uuid !== NIL_UUID
        ? 'uuid: kept from the damaged block'
        : 'uuid: fresh (none survived)',
  );
  return {
    dataStart: t.start,
    mode,
    map: s.map,
    align: s.align,
    fields,
    block,
    verdict,
    sources,
    reasons,
    fs: t.anchor !== null && isFsFinding(t.anchor) ? t.anchor : null,
    table: t.anchor !== null && isPartitionFinding(t.anchor) ? t.anchor : null,
  };
}

function checkOptions(o: RecoverOptions): CheckOptions {
  return {
    kernel: o.kernel,
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    ...(o.parentUuid === undefined ? {} : { parentUuid: o.parentUuid }),
  };
}

/** A kept candidate judged again on the whole head, with the hazards other kernels pose (what check shows). */
function onHead(c: Candidate, head: Uint8Array, o: RecoverOptions): Candidate | Rejected {
  const newHead = Uint8Array.from(head);
  newHead.set(c.block, INFOBLOCK_OFFSET);
  const verdict = checkHead(newHead, checkOptions(o));
  if (verdict.outcome !== 'claimed' || verdict.dataStart !== c.dataStart)
    return {
      source: c.sources.join('; '),
      reason: `${o.kernel} would not expose the data there with this head: ${verdict.outcome}`,
    };
  return { ...c, verdict };
}

function survivorOf(head: Uint8Array): RecoveryPlan['survivor'] {
  const d = decodePfnBlock(head.subarray(INFOBLOCK_OFFSET, HEAD_SIZE));
  return d.kind === 'pfn' || d.kind === 'dax' ? { fields: d.fields, checksumValid: d.checksumValid } : null;
}

/** Group the data starts the evidence points at (a structure and the survivor may agree). */
function targetsOf(anchors: readonly Anchor[], survivor: RecoveryPlan['survivor'], o: RecoverOptions): Target[] {
  const targets = new Map<bigint, Target>();
  const add = (start: bigint, why: () => string, anchor: Anchor | null): void => {
    const t = targets.get(start) ?? { start, sources: [], anchor: null };
    t.sources.push(why);
    if (anchor !== null && t.anchor === null) t.anchor = anchor;
    targets.set(start, t);
  };
  for (const a of anchors) {
    const copy = (): string => (isFsFinding(a) && a.copy ? ` (found by its copy at ${hex(a.superblock)})` : '');
    add(a.offset, () => `${describeAnchor(a)} starts there${copy()}`, a);
  }
  // The survivor speaks only where no structure does, or where it agrees with one.
  if (survivor !== null) {
    for (const s of survivorStarts(survivor.fields, o))
      if (anchors.length === 0 || targets.has(s.start)) add(s.start, () => s.why, null);
  }
  return [...targets.values()];
}

/** Keeps the best MAX_CANDIDATES by score (ties: the one weighed first), counting the valid ones. */
class BestCandidates {
  readonly kept: { c: Candidate; score: number }[] = [];
  valid = 0;

  get full(): boolean {
    return this.kept.length === MAX_CANDIDATES;
  }

  /** The score a candidate must beat to be kept. */
  get floor(): number {
    return this.full ? (this.kept[this.kept.length - 1] as { score: number }).score : -Infinity;
  }

  add(c: Candidate): void {
    this.valid++;
    const entry = { c, score: score(c) };
    if (entry.score <= this.floor) return;
    const k = this.kept;
    let i = k.length;
    while (i > 0 && (k[i - 1] as { score: number }).score < entry.score) i--;
    k.splice(i, 0, entry);
    if (k.length > MAX_CANDIDATES) k.pop();
  }
}

/**
 * The most score(c) a target's candidate can reach, known before the block
 * is built and judged: its sources, a primary superblock or a table, and +2
 * when the filesystem's size equals the data area that ndctl's pads or the
 * survivor's would leave (score counts it only when the verdict agrees).
 */
function bound(t: Target, mode: NsMode, old: PfnFields | null, o: RecoverOptions): number {
  let b = t.sources.length;
  if (t.anchor === null) return b;
  if (isPartitionFinding(t.anchor) || !t.anchor.copy) b += 1;
  if (isFsFinding(t.anchor)) {
    const size = t.anchor.size;
    const fits = [old, null].some((x) => {
      const st = settingsFor(t.start, mode, x, o);
      return typeof st !== 'string' && o.nsSize - st.endTrunc - t.start === size;
    });
    if (fits) b += 2;
  }
  return b;
}

/** Why the current block stands: a structure at its data start, or (with none found) its valid checksum. */
function intactBy(current: Verdict, anchors: readonly Anchor[], survivor: RecoveryPlan['survivor']): string | null {
  if (current.outcome !== 'claimed') return null;
  if (anchors.length === 0)
    return survivor?.checksumValid === true ? 'the block is valid and nothing contradicts it' : null;
  const at = anchors.find((a) => a.offset === current.dataStart);
  if (at === undefined) return null;
  return isFsFinding(at) ? `${describeFs(at)} starts at the data start` : `${partitionText(at)}, at the data start`;
}

/** Plan a recovery of the namespace whose 8 KiB head is `head`, from a scan of it. */
export function planRecovery(head: Uint8Array, findings: readonly Finding[], o: RecoverOptions): RecoveryPlan {
  expectBytes(head, 'head');
  expectArray(findings, 'findings');
  expectFields(o, 'o', { nsBase: 'bigint', nsSize: 'bigint', kernel: 'string' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('planRecovery needs an options object');
  expectSpan(expectU64(o.nsBase, 'nsBase'), expectU64(o.nsSize, 'nsSize'));
  if (!(head instanceof Uint8Array) || head.byteLength < HEAD_SIZE)
    throw new InvalidArgumentError(`must be the ${HEAD_SIZE}-byte namespace head`, { field: 'head' });
  if (o.nsSize < MIN_NAMESPACE)
    throw new InfoblockError(
      'invalid-argument',
      `namespace size ${o.nsSize} is smaller than 16 MiB: too small for an fsdax/devdax namespace`,
    );
  const btt = findBlocks(head).find((b) => b.kind === 'btt' && b.checksumValid);
  if (btt !== undefined)
    throw new InfoblockError(
      'precondition',
      `a valid BTT info-block is at namespace offset ${btt.offset}: this is a sector-mode namespace, not a ` +
        `pfn/dax one; recover leaves it alone`,
    );
  const current = checkHead(head, checkOptions(o));
  const survivor = survivorOf(head);
  const rejected: Rejected[] = [];
  const anchors = anchorsOf(findings, o, rejected);
  // Superblock copies whose primary was found add nothing to the picture.
  // Keyed only where a copy was found (126k primaries and no copy: no 126k key strings).
  const key = (f: FsFinding): string => `${f.kind}@${f.offset}`;
  const copied = new Set(findings.filter((f): f is FsFinding => isFsFinding(f) && f.copy).map(key));
  const primaries =
    copied.size === 0
      ? copied
      : new Set(findings.filter((f): f is FsFinding => isFsFinding(f) && !f.copy && copied.has(key(f))).map(key));
  const evidence = findings.filter((f) => f.offset < o.nsSize && !(isFsFinding(f) && f.copy && primaries.has(key(f))));
  const base = { current, survivor, evidence, rejected };
  const intact = intactBy(current, anchors, survivor);
  if (intact !== null) return { status: 'intact', candidates: [], omitted: 0, intactBy: intact, ...base };
  const survivorMode = survivor?.fields.signature[7] === 0x44 ? 'devdax' : 'fsdax'; // NVDIMM_D(AX_INFO)
  const mode = o.mode ?? survivorMode;
  const old = survivor?.fields ?? null;
  const best = new BestCandidates();
  const starts = new Set<bigint>();
  const targets = targetsOf(anchors, survivor, o).map((t, i) => ({ t, i, bound: bound(t, mode, old, o) }));
  // Best first; once MAX_CANDIDATES are kept, a target that cannot beat the weakest is not built nor judged.
  targets.sort((a, b) => b.bound - a.bound || a.i - b.i);
  const refused: { r: Rejected; i: number }[] = [];
  let unweighed = 0;
  for (const { t, i, bound: b } of targets) {
    if (best.full && b <= best.floor) {
      unweighed++;
      continue;
    }
    let c = candidateFor(t, head, mode, old, o);
    if ('reason' in c && old !== null) {
      // The damaged block's start_pad/align/map may be damaged too: ndctl's defaults instead.
      const first = c;
      c = candidateFor(t, head, mode, old, o, false);
      if ('reason' in c) refused.push({ r: first, i });
      else c.reasons.push(`the damaged block's start_pad/end_trunc/align/map were not kept: ${first.reason}`);
    }
    if ('reason' in c) refused.push({ r: c, i });
    else {
      starts.add(c.dataStart);
      best.add(c);
    }
  }
  refused.sort((a, b) => a.i - b.i); // in the order of the evidence, as weighed
  rejected.push(...refused.map((x) => x.r));
  if (survivor !== null && anchors.length > 0) {
    for (const s of survivorStarts(survivor.fields, o)) {
      if (!starts.has(s.start)) {
        rejected.push({ source: s.why, reason: `it puts the data at ${hex(s.start)}, where no filesystem starts` });
      }
    }
  }
  // A filesystem whose superblock says it fills the data area exactly is the stronger anchor.
  const candidates: Candidate[] = [];
  for (const x of best.kept) {
    const c = onHead(x.c, head, o);
    if ('reason' in c) rejected.push(c);
    else candidates.push(c);
  }
  const valid = best.valid - (best.kept.length - candidates.length);
  const status = valid + unweighed === 0 ? 'nothing' : valid === 1 && unweighed === 0 ? 'proposed' : 'ambiguous';
  return { status, candidates, omitted: valid + unweighed - candidates.length, intactBy: null, ...base };
}

function score(c: Candidate): number {
  let s = c.sources.length;
  if (c.fs !== null && c.fs.size === c.verdict.dataSize) s += 2;
  if (c.fs !== null && !c.fs.copy) s += 1;
  if (c.table !== null) s += 1;
  return s;
}

/**
 * How far into the namespace a data start can lie: the 8 KiB reserve, a
 * memmap of 64 bytes per 4 KiB page, the largest align (1 GiB) and a btrfs
 * superblock 64 KiB + 4 KiB past the filesystem start. recover scans no further.
 */
export function scanLimit(nsSize: bigint): bigint {
  expectBigint(nsSize, 'nsSize');
  expectU64(nsSize, 'nsSize');
  const limit = SZ_8K + nsSize / 64n + (1n << 30n) + (128n << 10n);
  return limit < nsSize ? limit : nsSize;
}
