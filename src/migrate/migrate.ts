/**
 * The migrator (pure): rewrite one info-block between the two meanings of
 * dataoff without moving the data.
 *
 * - legacy → map: dataoff += start_pad, version 2.4;
 * - map → legacy: dataoff -= start_pad, version 1.4 (this is how an ndctl
 *   `write-infoblock -O` block, 1.4 but map meaning, is repaired).
 *
 * Every other byte of the 4 KiB block is kept (patchPfnBlock), the checksum
 * is recomputed. The data start and size are the invariant: the report carries
 * both and the function asserts they did not move.
 */
import { copyBytes } from '../format/bytes';
import { InfoblockError, InvalidArgumentError, type Hint } from '../format/errors';
import { BLOCK_SIZE } from '../format/fletcher64';
import { headWithBlock } from '../format/head';
import { decodePfnBlock, patchPfnBlock, PFN_MODE, type Meaning, type PfnFields } from '../format/pfn';
import { expectSpan, expectU64, hex, U64_MAX } from '../format/int64';
import { checkHead, type Verdict } from '../validate/check';
import type { Arch } from '../validate/arch';
import type { ProfileId } from '../validate/profiles';
import { DEFAULT_PROFILE, resolveKernels } from '../validate/versions';
import { daxHazards, daxHazardText } from '../validate/dax-guard';
import { alignmentEvidence, type Evidence } from '../validate/geometry';
import { expectBytes, expectFields, expectOptions, expectString } from '../format/guard';

export { alignmentEvidence, type Evidence } from '../validate/geometry';

export interface MigrateOptions {
  /**
   * The meaning the block's dataoff has now; default: its version (1.x legacy, 2.x map), checked against the
   * alignment evidence.
   */
  from?: Meaning;
  to: Meaning;
  /** Physical address of the namespace. */
  nsBase: bigint;
  nsSize: bigint;
  /**
   * The kernel(s) that must not misplace the data of the result: a version or profile name, a comma-separated
   * list of them, or `all` (the kernels booted by the harness). Default linux-6.1.
   */
  guardKernel?: string;
  arch?: Arch;
  /** Namespace uuid for the verdicts; default: the block's own parent_uuid. */
  parentUuid?: string;
}

/**
 * What the pure migrator computed, in the migrate document's words (schemas/migrate.schema.json):
 * `planned` (a new block that writing would put in place) or `unchanged` (nothing to do; `reason` says why).
 * It never says `migrated`: only migrateTarget, after writing, does.
 */
export type MigrationStatus = 'planned' | 'unchanged';

/**
 * Why a migration changes nothing: `nothing-to-migrate` (start_pad is 0, both meanings coincide) or `already`
 * (the block is already in the wanted meaning, or a backup records it as an earlier migrate's result).
 */
export type MigrationReason = 'nothing-to-migrate' | 'already';

/** The fields a migration can change, plus what the kernels see. */
export interface BlockSummary {
  version: string;
  dataoff: bigint;
  startPad: bigint;
  endTrunc: bigint;
  align: bigint;
  mode: number;
  npfns: bigint;
  checksum: bigint;
}

export interface MigrationReport {
  status: MigrationStatus;
  /** Why nothing changes (status `unchanged`); null when planned. */
  reason: MigrationReason | null;
  from: Meaning;
  to: Meaning;
  /** How `from` was settled. */
  fromSource: 'option' | 'version';
  evidence: Evidence;
  before: BlockSummary;
  after: BlockSummary;
  /** Bytes from the namespace base, before and after (always equal). */
  dataStartBefore: bigint;
  dataStartAfter: bigint;
  dataSize: bigint;
  /** Verdict of the target's kernel (map for `to: 'map'`, linux-6.1 for `to: 'legacy'`) on the result. */
  target: Verdict;
  /** Verdict of the guard kernel on the result (with several, the first that would misplace the data). */
  guard: Verdict;
  /** Verdicts of every guard kernel, in the order given. */
  guards: Verdict[];
  /** Set when the guard kernel would claim the result with the data elsewhere: refused unless forced. */
  hazard: string | null;
  /**
   * Set when a guard kernel would misplace data or crash under DAX on the result, or every guard kernel
   * refuses it: refused unless `allowHazard`.
   */
  daxHazard: string | null;
  notes: string[];
  /** The 4 KiB block before and after (equal when nothing changes). */
  original: Uint8Array;
  block: Uint8Array;
}

const RESERVE = 8192n;

const precondition = (msg: string, field?: string, hint?: Hint): InfoblockError =>
  new InfoblockError('precondition', msg, { ...(field === undefined ? {} : { field }), ...(hint && { hint }) });

export function summarize(f: PfnFields): BlockSummary {
  expectOptions(f, 'f');
  return {
    version: `${f.versionMajor}.${f.versionMinor}`,
    dataoff: f.dataoff,
    startPad: f.startPad,
    endTrunc: f.endTrunc,
    align: f.align,
    mode: f.mode,
    npfns: f.npfns,
    checksum: f.checksum,
  };
}

/** Data start (bytes from the namespace base) of a block read in `meaning`. */
export function dataStartOf(f: PfnFields, meaning: Meaning): bigint {
  expectOptions(f, 'f');
  expectString(meaning, 'meaning');
  return meaning === 'map' ? f.dataoff : f.startPad + f.dataoff;
}

function verdictOn(block: Uint8Array, kernel: string, o: MigrateOptions, parentUuid: string): Verdict {
  return checkHead(headWithBlock(block), {
    kernel,
    arch: o.arch ?? 'x86_64',
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    parentUuid,
    hazards: false,
  });
}

/** Step 1: a whole, valid, minor-4 pfn/dax block (copied: the caller's bytes are never touched). */
function validBlock(block: Uint8Array, o: MigrateOptions): { original: Uint8Array; f: PfnFields } {
  if (block.byteLength < BLOCK_SIZE) {
    throw new InfoblockError('truncated', `an info-block needs ${BLOCK_SIZE} bytes, got ${block.byteLength}`);
  }
  const original = copyBytes(block.subarray(0, BLOCK_SIZE)); // Buffer#slice would alias the caller's bytes
  const d = decodePfnBlock(original);
  const f = d.fields;
  if (d.kind !== 'pfn' && d.kind !== 'dax') {
    throw precondition('no NVDIMM_PFN_INFO / NVDIMM_DAX_INFO signature at 4096: nothing to migrate here', 'signature');
  }
  if (!d.checksumValid) {
    throw new InfoblockError(
      'precondition',
      `checksum mismatch (stored ${hex(f.checksum)}, computed ${hex(d.computedChecksum)}): ` +
        'the block is damaged or torn; restore it from a backup',
      { offset: 4088, field: 'checksum' },
    );
  }
  if (f.versionMajor !== 1 && f.versionMajor !== 2 && o.from === undefined) {
    throw precondition(
      `version ${f.versionMajor}.${f.versionMinor}: unknown major version; say which meaning dataoff has now ` +
        `(legacy or map)`,
      'version_major',
      { pass: { from: '<MEANING>' } },
    );
  }
  // Minor 4 carries every field (start_pad, end_trunc, align, page_size,
  // page_struct_size). Raising an older minor to 4 would make readers honour
  // fields the producer never set, so such blocks are left alone.
  if (f.versionMinor !== 4) {
    throw precondition(
      `version ${f.versionMajor}.${f.versionMinor}: only minor version 4 blocks are migrated (the result ` +
        `keeps minor 4)`,
      'version_minor',
    );
  }
  if (o.nsSize < RESERVE) throw precondition(`namespace size ${o.nsSize} is smaller than the 8 KiB head`);
  return { original, f };
}

/** Step 2: the meaning dataoff has now (the version, or `from`), checked against the alignment evidence. */
function meaningNow(f: PfnFields, o: MigrateOptions, notes: string[]): { from: Meaning; evidence: Evidence } {
  const versionMeaning: Meaning = f.versionMajor === 2 ? 'map' : 'legacy';
  const from = o.from ?? versionMeaning;
  const evidence = alignmentEvidence(f, o.nsBase);
  const contradicts = (m: Meaning): boolean => evidence.suggests === (m === 'legacy' ? 'map' : 'legacy');
  const version = `${f.versionMajor}.${f.versionMinor}`;
  if (o.from === undefined && f.startPad !== 0n && contradicts(from)) {
    const other = from === 'legacy' ? 'map' : 'legacy';
    throw new InfoblockError(
      'ambiguous',
      `version ${version} says the ${from} meaning, but only the ${other} meaning puts the data start on a ` +
        `${hex(evidence.granule)} boundary at ns base ${hex(o.nsBase)} (an ndctl -O block looks like this): ` +
        `say which meaning dataoff has now (${other}, as the alignment suggests, or ${from}, as the version says)`,
      { hint: { pass: { from: other } } },
    );
  }
  if (o.from !== undefined) {
    if (o.from !== versionMeaning)
      notes.push(`the given meaning ${o.from} overrides the version ${version} (${versionMeaning} meaning)`);
    if (f.startPad !== 0n && contradicts(o.from)) {
      notes.push(
        `alignment evidence suggests the ${evidence.suggests} meaning, not the given ${o.from} (informational)`,
      );
    }
  }
  return { from, evidence };
}

/** Step 3: the new block (dataoff re-measured, version stamped), or the original when there is nothing to do. */
function patchMeaning(
  original: Uint8Array,
  f: PfnFields,
  from: Meaning,
  to: Meaning,
  notes: string[],
): { status: MigrationStatus; reason: MigrationReason | null; next: Uint8Array } {
  const pad = f.startPad;
  if (pad === 0n) {
    notes.push('start_pad is 0: both meanings of dataoff coincide, nothing to migrate');
    return { status: 'unchanged', reason: 'nothing-to-migrate', next: original };
  }
  if (from === to && f.versionMajor === (to === 'map' ? 2 : 1)) {
    notes.push(`the block is already in the ${to} meaning (version ${f.versionMajor}.${f.versionMinor})`);
    return { status: 'unchanged', reason: 'already', next: original };
  }
  let dataoff: bigint;
  if (from === to)
    dataoff = f.dataoff; // only the version changes (e.g. a 1.4 block declared map: stamp 2.4)
  else if (to === 'map') dataoff = f.dataoff + pad;
  else dataoff = f.dataoff - pad;
  if (dataoff < 0n) {
    throw precondition(
      `dataoff ${hex(f.dataoff)} is smaller than start_pad ${hex(pad)}: it cannot be in the map meaning`,
      'dataoff',
    );
  }
  if (dataoff > U64_MAX) {
    throw precondition(`dataoff ${hex(f.dataoff)} + start_pad ${hex(pad)} overflows the u64 field`, 'dataoff');
  }
  const next = patchPfnBlock(original, { dataoff, versionMajor: to === 'map' ? 2 : 1, versionMinor: 4 });
  return { status: 'planned', reason: null, next };
}

/** Step 4, the invariant: the data start did not move and the result still describes a usable namespace. */
function dataAreaAfter(f: PfnFields, startBefore: bigint, startAfter: bigint, nsSize: bigint): bigint {
  if (startAfter !== startBefore) throw new Error(`internal: data start moved from ${startBefore} to ${startAfter}`);
  const pad = f.startPad;
  const offsetFromMapBase = startAfter - pad;
  const room = nsSize - pad - f.endTrunc;
  if (offsetFromMapBase >= room) {
    throw precondition(
      `no data area: data start ${hex(startAfter)} is past the usable end ${hex(pad + room)} ` +
        `of the ${nsSize}-byte namespace`,
      'dataoff',
    );
  }
  if (offsetFromMapBase < RESERVE) {
    throw precondition(`data start ${hex(startAfter)} leaves less than the 8 KiB reserve after start_pad`, 'dataoff');
  }
  if (f.mode === PFN_MODE.pmem) {
    const memmap = (f.pageStructSize > 64n ? f.pageStructSize : 64n) * f.npfns;
    if (offsetFromMapBase < RESERVE + memmap) {
      throw precondition(
        `mode PMEM: dataoff leaves ${hex(offsetFromMapBase)} bytes after start_pad, less than the reserve + memmap ` +
          `(${hex(RESERVE + memmap)}) for ${f.npfns} pages`,
        'dataoff',
      );
    }
  }
  return room - offsetFromMapBase;
}

/** Step 5: what the target kernel and every guard kernel do with the result; the hazard when one misplaces it. */
function kernelsOn(
  next: Uint8Array,
  to: Meaning,
  startAfter: bigint,
  o: MigrateOptions,
  parentUuid: string,
  notes: string[],
): Pick<MigrationReport, 'target' | 'guard' | 'guards' | 'hazard' | 'daxHazard'> {
  const targetKernel: ProfileId = to === 'map' ? 'map' : DEFAULT_PROFILE;
  const target = verdictOn(next, targetKernel, o, parentUuid);
  const guards = resolveKernels(o.guardKernel ?? DEFAULT_PROFILE).map((k) => verdictOn(next, k.id, o, parentUuid));
  const misplacing = guards.find((g) => g.outcome === 'claimed' && g.dataStart !== startAfter);
  let hazard: string | null = null;
  if (misplacing !== undefined) {
    const at = misplacing.dataStart ?? 0n;
    hazard =
      `${misplacing.profile} ignores the major version and would claim the result with the data at ${hex(at)}, ` +
      `${hex(at - startAfter)} bytes away from where it is (${hex(startAfter)})`;
  }
  if (target.outcome !== 'claimed') {
    const why = target.message === null ? '' : ` (${target.message})`;
    notes.push(`${targetKernel} does not claim the result: ${target.outcome}${why}`);
  } else if (target.dataStart !== startAfter) {
    notes.push(`${targetKernel} puts the data at ${hex(target.dataStart ?? 0n)}, not at ${hex(startAfter)}`);
  }
  const dax = daxHazards(next, {
    kernels: o.guardKernel ?? DEFAULT_PROFILE,
    refusals: o.guardKernel !== undefined,
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    parentUuid,
    ...(o.arch === undefined ? {} : { arch: o.arch }),
  });
  const daxHazard = dax.length === 0 ? null : daxHazardText(dax);
  return { target, guard: misplacing ?? (guards[0] as Verdict), guards, hazard, daxHazard };
}

/**
 * Plan the migration of `block` (its first 4096 bytes) and return the report
 * with the new block: preconditions → meaning now → patch → invariant →
 * kernels' verdicts. Throws InfoblockError 'precondition' (not a valid
 * block, the result would not fit) or 'ambiguous' (the version and the
 * alignment evidence disagree: pass `from`). Never mutates `block`.
 */
export function migrate(block: Uint8Array, o: MigrateOptions): MigrationReport {
  expectBytes(block, 'block');
  expectFields(o, 'o', { to: 'string', nsBase: 'bigint', nsSize: 'bigint' });
  checkMigrateOptions(o);
  const { original, f } = validBlock(block, o);
  const notes: string[] = [];
  const { from, evidence } = meaningNow(f, o, notes);
  const { status, reason, next } = patchMeaning(original, f, from, o.to, notes);
  const nf = decodePfnBlock(next).fields;
  const startBefore = dataStartOf(f, from);
  const startAfter = dataStartOf(nf, status === 'planned' ? o.to : from);
  const dataSize = dataAreaAfter(f, startBefore, startAfter, o.nsSize);
  const verdicts = kernelsOn(next, o.to, startAfter, o, o.parentUuid ?? f.parentUuid, notes);
  return {
    status,
    reason,
    from,
    to: o.to,
    fromSource: o.from === undefined ? 'version' : 'option',
    evidence,
    before: summarize(f),
    after: summarize(nf),
    dataStartBefore: startBefore,
    dataStartAfter: startAfter,
    dataSize,
    ...verdicts,
    notes,
    original,
    block: next,
  };
}

/** The refusal of a report's hazard: writing it anyway needs `force` (or, for a DAX hazard, `allowHazard`). */
export function hazardError(hazard: string, needs: 'force' | 'allowHazard' = 'force'): InfoblockError {
  expectString(hazard, 'hazard');
  if (needs !== undefined) expectString(needs, 'needs');
  return new InfoblockError('hazard', `refusing to migrate: ${hazard}; nothing written`, {
    hint: { pass: { [needs]: true } },
  });
}

/** Throw the hazard refusal when the report carries one (the guard, unless forced). */
export function assertNoHazard(r: MigrationReport): void {
  expectOptions(r, 'r');
  if (r.hazard !== null) throw hazardError(r.hazard);
}

const MEANINGS: readonly string[] = ['legacy', 'map'];

/** Library boundary: typed errors for values a caller in TypeScript could still pass (numbers, other words). */
export function checkMigrateOptions(o: MigrateOptions): void {
  expectFields(o, 'o', { to: 'string', nsBase: 'bigint', nsSize: 'bigint' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('migrate needs an options object');
  expectSpan(expectU64(o.nsBase, 'nsBase'), expectU64(o.nsSize, 'nsSize'));
  if (!MEANINGS.includes(o.to))
    throw new InvalidArgumentError(`must be 'legacy' or 'map', got '${String(o.to)}'`, { field: 'to' });
  if (o.from !== undefined && !MEANINGS.includes(o.from))
    throw new InvalidArgumentError(`must be 'legacy' or 'map', got '${String(o.from)}'`, { field: 'from' });
}
