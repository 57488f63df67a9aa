/**
 * Rebasing a label-less namespace: the info-block rewritten for another
 * physical base (a VM's NVDIMM `addr=`), with start_pad 0 and every data
 * byte where it is in the file. The namespace's bytes do not move; only the
 * address the platform gives them does. With start_pad 0 a DAX fault and
 * read(2) reach the same byte, on every kernel.
 *
 * The data start D = start_pad + dataoff (bytes from the namespace's first
 * byte) stays; the new base must be 2 MiB aligned (memremap_compat_align:
 * with start_pad 0 the namespace itself must start on it), its end is
 * truncated to the same granule, and the data start NEW + D must be
 * aligned to the block's align: when it is not, the largest align that
 * holds is chosen and the cost said (below 2 MiB, no 2 MiB DAX mappings).
 */
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { BLOCK_SIZE } from '../format/fletcher64';
import { headWithBlock, INFOBLOCK_OFFSET } from '../format/head';
import { expectU64, SZ_2M, SZ_4K, SZ_8K } from '../format/int64';
import { decodePfnBlock, patchPfnBlock, type PfnFields } from '../format/pfn';
import { hex } from '../format/units';
import { checkHead, type Verdict } from '../validate/check';
import { kernelAlign } from '../validate/geometry';
import type { Arch } from '../validate/arch';
import { resolveKernels } from '../validate/versions';
import { replaceInfoBlock, restoreHint, type RestoreRun } from '../replace/replace';
import type { Faults } from '../io/faults';
import type { FilePath } from '../io/path';
import { expectBytes, expectFields } from '../format/guard';

/** Options of {@link planRebase}. */
export interface RebaseOptions {
  /** The physical address the namespace has now (the block's start_pad was computed for it). */
  nsBase: bigint;
  /** The physical address it will have. */
  toBase: bigint;
  nsSize: bigint;
  /** Kernels that must claim the result with the data in place (default: all booted kernels). */
  guardKernel?: string;
  arch?: Arch;
  /** The namespace uuid the verdicts expect as parent (default: the block's own parent_uuid). */
  parentUuid?: string;
}

export interface RebasePlan {
  /**
   * In the rebase document's words (schemas/rebase.schema.json): `planned` (a new block to write) or `already`
   * (the block is already the one for that base). Only rebaseTarget, after writing, says `rebased`.
   */
  status: 'planned' | 'already';
  kind: 'pfn' | 'dax';
  nsBase: bigint;
  toBase: bigint;
  nsSize: bigint;
  startPad: bigint;
  endTrunc: bigint;
  newEndTrunc: bigint;
  /** Bytes from the namespace's first byte to the data: the same before and after. */
  dataStart: bigint;
  dataSize: bigint;
  /** The align in force before (rule 6) and the one written. */
  align: bigint;
  newAlign: bigint;
  /** What the smaller align costs, in words (null when it is kept). */
  alignCost: string | null;
  /** Whether a 2 MiB-aligned base keeps 2 MiB data alignment for this data start (then any such base does). */
  keeps2M: boolean;
  /** 2 MiB-aligned bases nearest `toBase` that keep 2 MiB data alignment (empty when none can). */
  bases2M: bigint[];
  verdicts: Verdict[];
  oldBlock: Uint8Array;
  block: Uint8Array;
}

const refuse = (msg: string, hint?: { pass: Record<string, string> }): InfoblockError =>
  new InfoblockError('precondition', msg, hint === undefined ? {} : { hint });

/** The largest power of two dividing x (`x > 0`), at most `cap`. */
function largestAlign(x: bigint, cap: bigint): bigint {
  let a = 1n;
  while (a < cap && x % (a * 2n) === 0n) a *= 2n;
  return a;
}

function validBlock(block: Uint8Array): { f: PfnFields; kind: 'pfn' | 'dax'; raw: Uint8Array } {
  if (!(block instanceof Uint8Array) || block.byteLength < BLOCK_SIZE)
    throw new InfoblockError('truncated', `an info-block needs ${BLOCK_SIZE} bytes`);
  const raw = Uint8Array.from(block.subarray(0, BLOCK_SIZE));
  const d = decodePfnBlock(raw);
  if ((d.kind !== 'pfn' && d.kind !== 'dax') || !d.checksumValid)
    throw refuse('no valid fsdax or devdax info-block at 4096: nothing to rebase');
  if (d.fields.versionMajor >= 2)
    throw refuse(
      `the block is in the map meaning (version ${d.fields.versionMajor}.${d.fields.versionMinor}): migrate it ` +
        `back to the legacy meaning first`,
    );
  return { f: d.fields, kind: d.kind, raw };
}

function checkBase(toBase: bigint): void {
  if (toBase % SZ_2M === 0n) return;
  const below = toBase - (toBase % SZ_2M);
  throw refuse(
    `base ${hex(toBase)} is not 2 MiB aligned: a block for it needs start_pad, which DAX misplaces on Linux 5.17 ` +
      `and later; choose ${hex(below)} or ${hex(below + SZ_2M)}`,
    { pass: { toBase: hex(below + SZ_2M) } },
  );
}

function verdictsOf(block: Uint8Array, o: RebaseOptions, parentUuid: string): Verdict[] {
  return resolveKernels(o.guardKernel ?? 'all').map((k) =>
    checkHead(headWithBlock(block), {
      kernel: k.id,
      arch: o.arch ?? 'x86_64',
      nsBase: o.toBase,
      nsSize: o.nsSize,
      parentUuid,
      hazards: false,
    }),
  );
}

/** The 2 MiB-aligned bases around `toBase` whose data start NEW + D is 2 MiB aligned (D a multiple of 2 MiB). */
function keepers(toBase: bigint, dataStart: bigint): bigint[] {
  if (dataStart % SZ_2M !== 0n) return [];
  return toBase >= SZ_2M ? [toBase - SZ_2M, toBase, toBase + SZ_2M] : [toBase, toBase + SZ_2M];
}

/**
 * Plan the block of a label-less namespace for base `toBase` (see the file header). Throws InfoblockError
 * 'precondition' when it cannot be done: no valid legacy block, a base that is not 2 MiB aligned, no data
 * left after the end is truncated, a devdax align the kernel does not support, or a result some guard kernel
 * would not claim with the data in place. Never mutates `block`.
 */
export function planRebase(block: Uint8Array, o: RebaseOptions): RebasePlan {
  expectBytes(block, 'block');
  expectFields(o, 'o', { nsBase: 'bigint', toBase: 'bigint', nsSize: 'bigint' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('planRebase needs an options object');
  expectU64(o.nsBase, 'nsBase');
  expectU64(o.toBase, 'toBase');
  expectU64(o.nsSize, 'nsSize');
  const { f, kind, raw } = validBlock(block);
  checkBase(o.toBase);
  const startPad = f.versionMinor < 1 ? 0n : f.startPad;
  const endTrunc = f.versionMinor < 1 ? 0n : f.endTrunc;
  const dataStart = startPad + f.dataoff;
  const newEndTrunc = (o.toBase + o.nsSize) % SZ_2M;
  const dataSize = o.nsSize - newEndTrunc - dataStart;
  if (dataStart < SZ_8K || dataSize <= 0n)
    throw refuse(
      `at base ${hex(o.toBase)} the namespace's end truncated to 2 MiB leaves no data after ${hex(dataStart)}`,
    );
  const align = kernelAlign(f.versionMinor < 2 ? 0n : f.align, f.dataoff);
  const newAlign = largestAlign(o.toBase + dataStart, align);
  let alignCost: string | null = null;
  if (newAlign < align) {
    alignCost =
      `the data start ${hex(o.toBase + dataStart)} is aligned to ${hex(newAlign)}, not ${hex(align)}: the block's ` +
      `align becomes ${hex(newAlign)}` +
      (newAlign < SZ_2M ? ', so DAX maps 4 KiB pages only (no 2 MiB mappings)' : '');
    if (kind === 'dax' && ![0x10000n, SZ_2M, 1n << 30n].includes(newAlign))
      throw refuse(
        `devdax needs an align of 64 KiB, 2 MiB or 1 GiB; at base ${hex(o.toBase)} only ${hex(newAlign)} holds`,
      );
  }
  const pageSize = f.versionMinor < 4 || f.pageSize === 0n ? SZ_4K : f.pageSize;
  const next = patchPfnBlock(raw, {
    startPad: 0n,
    endTrunc: newEndTrunc,
    dataoff: dataStart,
    npfns: dataSize / pageSize,
    ...(f.versionMinor >= 2 ? { align: newAlign } : {}),
  });
  const verdicts = verdictsOf(next, o, o.parentUuid ?? f.parentUuid);
  for (const v of verdicts) {
    if (v.outcome === 'claimed' && v.dataStart === dataStart) continue;
    const what = v.outcome === 'claimed' ? `put the data at ${hex(v.dataStart ?? 0n)}` : `leave it ${v.outcome}`;
    const why = v.message === null ? '' : ` (${v.message})`;
    throw refuse(`at base ${hex(o.toBase)} ${v.profile} would ${what}${why}; nothing written`);
  }
  const same = Buffer.from(next).equals(Buffer.from(raw));
  return {
    status: same ? 'already' : 'planned',
    kind,
    nsBase: o.nsBase,
    toBase: o.toBase,
    nsSize: o.nsSize,
    startPad,
    endTrunc,
    newEndTrunc,
    dataStart,
    dataSize,
    align,
    newAlign,
    alignCost,
    keeps2M: dataStart % SZ_2M === 0n,
    bases2M: keepers(o.toBase, dataStart),
    verdicts,
    oldBlock: raw,
    block: next,
  };
}

/** Options of {@link rebaseTarget}: a rebase of the block on an image file or block device. */
export interface RebaseTargetOptions extends RebaseOptions {
  target: FilePath;
  /** Where the namespace starts inside the target (default 0). */
  offset?: bigint;
  backup?: FilePath;
  dryRun?: boolean;
  warn?: (line: string) => void;
  faults?: Faults;
  env?: Readonly<Record<string, string | undefined>>;
}

/** What rebaseTarget did, in the rebase document's words: `rebased` (written), `planned` (a dry run), `already`. */
export type RebaseStatus = 'rebased' | 'planned' | 'already';

export interface RebaseTargetResult {
  status: RebaseStatus;
  plan: RebasePlan;
  written: boolean;
  backupPath: FilePath | null;
  backupReused: boolean;
  undo: RestoreRun | null;
}

/**
 * Rebase the block of `target` crash-safely through replaceInfoBlock (backup first, one 4 KiB write,
 * verified; `restore` undoes it). Throws what {@link planRebase} and replaceInfoBlock throw.
 */
export function rebaseTarget(o: RebaseTargetOptions): RebaseTargetResult {
  expectFields(o, 'o', { target: 'path', nsBase: 'bigint', toBase: 'bigint', nsSize: 'bigint' });
  let plan: RebasePlan | undefined;
  const r = replaceInfoBlock({
    target: o.target,
    offset: o.offset ?? 0n,
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    label: { from: `base ${hex(o.nsBase)}`, to: `base ${hex(o.toBase)}` },
    plan: (head) => {
      plan = planRebase(head.subarray(INFOBLOCK_OFFSET), o);
      return plan.status === 'planned' ? plan.block : null;
    },
    ...(o.backup === undefined ? {} : { backup: o.backup }),
    ...(o.dryRun === undefined ? {} : { dryRun: o.dryRun }),
    ...(o.warn === undefined ? {} : { warn: o.warn }),
    ...(o.faults === undefined ? {} : { faults: o.faults }),
    ...(o.env === undefined ? {} : { env: o.env }),
  });
  if (plan === undefined) throw new Error('internal: the rebase plan did not run');
  const some = r.newBlock !== null;
  return {
    status: plan.status === 'already' ? 'already' : r.written ? 'rebased' : 'planned',
    plan,
    written: r.written,
    backupPath: some ? r.backupPath : null,
    backupReused: r.backupReused,
    undo: some ? restoreHint(r.backupPath).run : null,
  };
}
