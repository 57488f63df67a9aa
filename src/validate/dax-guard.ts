/**
 * The guard every writer of blocks calls before it writes: would a kernel
 * it was asked about (or guards against) misplace data or crash under DAX
 * on this block, or would every one of them refuse it? Pure.
 *
 * The validator's DAX verdict of each claimed namespace (`Verdict.dax`,
 * src/validate/dax-verdict.ts) decides: a DAX fault maps `base + dataoff + X`
 * while block I/O reads `base + start_pad + dataoff + X`; from 5.17 an
 * fsdax namespace with start_pad has its DAX mappings start_pad bytes low,
 * and below the device memmap the first fault oopses. The map profile is
 * the convention of the fix: no hazard there.
 */
import { InfoblockError } from '../format/errors';
import { headWithBlock } from '../format/head';
import { decodePfnBlock } from '../format/pfn';
import { daxIsHazard } from './dax-verdict';
import { hex } from '../format/units';
import { checkHead, type Verdict } from './check';
import type { Arch } from './arch';
import { resolveKernels } from './versions';
import { expectArray, expectBytes, expectFields, expectOptions, expectString } from '../format/guard';

/** What one kernel would do wrong with the block. */
export interface DaxHazard {
  profile: string;
  /** `misplaced`/`crashes`: under DAX; `refused`: every guarded kernel refuses or ignores the block. */
  outcome: 'misplaced' | 'crashes' | 'refused';
  /** Bytes by which a DAX mapping sits below what read(2) reads (misplaced, crashes). */
  shift?: bigint;
  message: string;
}

/** Options of {@link daxHazards}: the namespace the block is for, and the kernels asked about. */
export interface DaxGuardOptions {
  /** A version, profile name, comma-separated list, or `all` (default: all booted kernels). */
  kernels?: string;
  nsBase: bigint;
  nsSize: bigint;
  /** The namespace uuid (default: the block's own parent_uuid, as a block written for its namespace). */
  parentUuid?: string;
  arch?: Arch;
  /**
   * Whether every asked kernel refusing the block is a hazard too (default true). A caller whose kernels are
   * a default it chose, not the user's, passes false: a block meant for another kernel (the map meaning's)
   * is not a hazard because the default one refuses it.
   */
  refusals?: boolean;
}

/** The DAX hazard of one claimed verdict: its DAX verdict (src/validate/dax-verdict.ts) misplaces or crashes. */
export function daxHazardOf(v: Verdict): DaxHazard | null {
  expectOptions(v, 'v');
  if (v.outcome !== 'claimed' || v.profile === 'map' || !daxIsHazard(v.dax) || v.dax === undefined) return null;
  const outcome = v.dax.outcome === 'crashes' ? 'crashes' : 'misplaced';
  return { profile: v.profile, outcome, shift: v.dax.shift, message: v.dax.message };
}

/**
 * The hazards of writing `block` (4 KiB) for the namespace `o` describes: each asked kernel that would
 * misplace data or crash under DAX, and a single `refused` hazard when every asked kernel refuses the
 * block or leaves the namespace raw.
 */
export function daxHazards(block: Uint8Array, o: DaxGuardOptions): DaxHazard[] {
  expectBytes(block, 'block');
  expectFields(o, 'o', { nsBase: 'bigint', nsSize: 'bigint' });
  const d = decodePfnBlock(block.subarray(0, 4096));
  if (d.kind !== 'pfn' && d.kind !== 'dax') return [];
  const kernels = resolveKernels(o.kernels ?? 'all');
  const verdicts = kernels.map((k) =>
    checkHead(headWithBlock(block.subarray(0, 4096)), {
      kernel: k.id,
      arch: o.arch ?? 'x86_64',
      nsBase: o.nsBase,
      nsSize: o.nsSize,
      parentUuid: o.parentUuid ?? d.fields.parentUuid,
      hazards: false,
    }),
  );
  const out: DaxHazard[] = [];
  for (const v of verdicts) {
    const h = daxHazardOf(v);
    if (h !== null) out.push(h);
  }
  if (o.refusals !== false && verdicts.length > 0 && verdicts.every((v) => v.outcome !== 'claimed')) {
    const first = verdicts[0] as Verdict;
    const why = first.message === null ? '' : ` (${first.profile}: ${first.message})`;
    out.push({
      profile: verdicts.map((v) => v.profile).join(','),
      outcome: 'refused',
      message: `every guard kernel (${verdicts.map((v) => v.profile).join(', ')}) refuses it${why}`,
    });
  }
  return out;
}

/** The hazards as one short sentence: the kernels of each outcome together. */
export function daxHazardText(hazards: readonly DaxHazard[]): string {
  expectArray(hazards, 'hazards');
  const parts: string[] = [];
  const of = (o: DaxHazard['outcome']): DaxHazard[] => hazards.filter((h) => h.outcome === o);
  const names = (hs: DaxHazard[]): string => hs.map((h) => h.profile).join(', ');
  const shift = (hs: DaxHazard[]): string => (hs[0]?.shift === undefined ? '' : ` ${hex(hs[0].shift)} bytes`);
  const misplaced = of('misplaced');
  const crashes = of('crashes');
  if (misplaced.length > 0)
    parts.push(
      `under DAX ${names(misplaced)} would map every page${shift(misplaced)} below where read(2) finds it ` +
        `(writes through mmap land on other blocks)`,
    );
  if (crashes.length > 0)
    parts.push(
      `under DAX ${names(crashes)} would map pages${shift(crashes)} low, below the device memmap (the first mmap ` +
        `fault oopses)`,
    );
  for (const h of of('refused')) parts.push(h.message);
  return parts.join('; ');
}

/** Whether any hazard is a DAX one (misplaced or crashes), which an aligned namespace avoids. */
export function isDaxHazard(hazards: readonly DaxHazard[]): boolean {
  expectArray(hazards, 'hazards');
  return hazards.some((h) => h.outcome !== 'refused');
}

/**
 * Throw InfoblockError 'hazard' when {@link daxHazards} finds any: the block would lose or misplace data, or
 * crash the kernel, under an asked kernel, or no asked kernel would use it. `what` names the operation
 * ("write", "migrate"...). Writing it anyway is the caller's explicit choice (`allowHazard`).
 */
export function daxGuard(block: Uint8Array, o: DaxGuardOptions, what = 'write'): void {
  expectBytes(block, 'block');
  expectFields(o, 'o', { nsBase: 'bigint', nsSize: 'bigint' });
  if (what !== undefined) expectString(what, 'what');
  const hazards = daxHazards(block, o);
  if (hazards.length === 0) return;
  throw new InfoblockError('hazard', `refusing to ${what}: ${daxHazardText(hazards)}; nothing written`, {
    hint: { pass: { allowHazard: true } },
  });
}
