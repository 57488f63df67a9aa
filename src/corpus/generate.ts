/**
 * The deterministic corpus generator. Input i of seed S is a pure function
 * of (S, i, options): it draws from its own PRNG stream, takes the target
 * class of its round-robin slot (every failing rule of the profile, the
 * npfns message, 'claimed', and free 'any' slots), picks a valid seed and a
 * mutation family aimed at that class, and applies it. With `steer` (the
 * CLI's default) the verdict is computed and a mutation that misses its
 * target is redrawn a few times, which keeps the classes balanced.
 */
import { expectU64 } from '../format/int64';
import { blockChecksum, verifyChecksum } from '../format/fletcher64';
import { CHECKSUM_OFFSET } from '../format/sb-common';
import { headWithBlock } from '../format/head';
import { pfnCodec, type PfnFields } from '../format/pfn';
import { InvalidArgumentError } from '../format/errors';
import { checkHead, type Verdict } from '../validate/check';
import { profileForKernel, type KernelProfile } from '../validate/profiles';
import { DEFAULT_PROFILE } from '../validate/versions';
import { FAMILIES, SAME_AS_UUID, type Family, type Mutation, type MutationCtx, type Target } from './mutations';
import { Prng } from './prng';
import { seedPool, SEED_SIZES, type Seed } from './seeds';

export interface CorpusOptions {
  seed: bigint;
  /** Kernel profile whose rules the corpus aims at (default linux-6.1). */
  /** The kernel to aim at and judge with: any version or profile name the validator takes (default linux-6.1). */
  kernel?: string;
  /** One namespace size for every input (default: the seed sizes, 16 MiB .. 2 GiB + 4 MiB). */
  nsSize?: bigint;
  /** Compute verdicts and redraw mutations that miss their target (default true). */
  steer?: boolean;
}

export interface CorpusInput {
  index: number;
  seedIndex: number;
  /** The class this input was aimed at. */
  target: Target;
  mutation: string;
  nsBase: bigint;
  nsSize: bigint;
  /** The 4 KiB info-block. */
  block: Uint8Array;
  checksumValid: boolean;
  /** The verdict under the profile (present when steered). */
  verdict?: Verdict;
}

/** Tries per input before a steered mutation that misses its target is kept anyway. */
const STEER_TRIES = 12;
const ANY_SLOTS = 3;
/** Random (seed, family) draws before the exhaustive, ordered fallback. */
const DRAW_TRIES = 64;
const S2_TEXT = 'number of pfns truncated';

/** The classes a profile's corpus aims at, in slot order. */
export function corpusTargets(kernel: string = DEFAULT_PROFILE): Target[] {
  const rules = profileForKernel(kernel)
    .rules.filter((r) => r.onFail !== 'info')
    .map((r) => r.id);
  return ['claimed', ...rules, 'S2', ...Array<Target>(ANY_SLOTS).fill('any')];
}

/** The class a verdict falls in: its failing rule, else 'S2' when npfns was truncated, else its outcome. */
export function verdictClass(v: Verdict): string {
  if (v.failedRule !== null) return v.failedRule;
  if (v.outcome === 'claimed' && v.messages.some((m) => m.startsWith(S2_TEXT))) return 'S2';
  return v.outcome;
}

export class CorpusGenerator {
  readonly seed: bigint;
  readonly kernel: string;
  private readonly profile: KernelProfile;
  readonly pool: readonly Seed[];
  readonly targets: readonly Target[];
  private readonly steer: boolean;
  private readonly seedLo: number;
  private readonly seedHi: number;
  private readonly families: ReadonlyMap<Target, readonly Family[]>;

  constructor(o: CorpusOptions) {
    this.seed = expectU64(o.seed, 'seed');
    if (o.nsSize !== undefined) expectU64(o.nsSize, 'nsSize');
    this.seedLo = Number(o.seed & 0xffffffffn);
    this.seedHi = Number((o.seed >> 32n) & 0xffffffffn);
    this.kernel = o.kernel ?? DEFAULT_PROFILE;
    this.profile = profileForKernel(this.kernel);
    this.steer = o.steer ?? true;
    this.pool = seedPool(o.nsSize === undefined ? SEED_SIZES : [o.nsSize]);
    if (this.pool.length === 0)
      throw new InvalidArgumentError(`no write recipe fits a namespace of ${o.nsSize ?? 0n} bytes (try at least 16M)`);
    this.targets = corpusTargets(this.kernel);
    const byTarget = new Map<Target, Family[]>();
    for (const t of this.targets)
      byTarget.set(t, t === 'any' ? [...FAMILIES] : FAMILIES.filter((f) => f.aims.includes(t)));
    this.families = byTarget;
  }

  /** Input `index` of this corpus. */
  input(index: number): CorpusInput {
    const rng = Prng.ofWords(this.seedLo, this.seedHi, index);
    const target = this.targets[index % this.targets.length] as Target;
    const families = this.families.get(target) ?? FAMILIES;
    let last: CorpusInput | undefined;
    for (let attempt = 0; attempt < (this.steer && target !== 'any' ? STEER_TRIES : 1); attempt++) {
      const made = this.draw(rng, families);
      const input: CorpusInput = { index, target, ...made };
      if (!this.steer) return input;
      const verdict = checkHead(headWithBlock(input.block), {
        kernel: this.kernel,
        nsBase: input.nsBase,
        nsSize: input.nsSize,
        hazards: false,
      });
      input.verdict = verdict;
      last = input;
      if (
        target === 'any' ||
        verdictClass(verdict) === target ||
        (target === 'claimed' && verdict.outcome === 'claimed')
      )
        return input;
    }
    return last as CorpusInput;
  }

  *inputs(count: number, start = 0): Generator<CorpusInput> {
    for (let i = start; i < start + count; i++) yield this.input(i);
  }

  /**
   * A seed and a mutation aimed at the slot's families. Random draws first
   * (DRAW_TRIES of them); when none fits (a namespace size where no family
   * of this target has anything to aim at: 4 GiB and up leave some rules
   * unreachable), every (seed, family) pair in a fixed order from a random
   * start, then every family of any target: at most pool x FAMILIES calls,
   * so the generator always ends, and the same options give the same input.
   */
  private draw(rng: Prng, families: readonly Family[]): Omit<CorpusInput, 'index' | 'target'> {
    for (let i = 0; i < DRAW_TRIES; i++) {
      const made = this.tryDraw(rng, rng.pick(this.pool), rng.pick(families));
      if (made !== null) return made;
    }
    for (const list of [families, FAMILIES]) {
      const s0 = rng.below(this.pool.length);
      for (let i = 0; i < this.pool.length; i++) {
        const seed = this.pool[(s0 + i) % this.pool.length] as Seed;
        for (const family of list) {
          const made = this.tryDraw(rng, seed, family);
          if (made !== null) return made;
        }
      }
    }
    // The 'seed' family always makes a mutation, so a non-empty pool never gets here.
    throw new InvalidArgumentError(
      `no mutation fits any seed of a namespace of ${this.pool[0]?.params.size ?? 0n} bytes`,
    );
  }

  private tryDraw(rng: Prng, seed: Seed, family: Family): Omit<CorpusInput, 'index' | 'target'> | null {
    const ctx: MutationCtx = {
      rng,
      seed,
      f: seed.fields,
      base: seed.params.base,
      size: seed.params.size,
      meaning: this.profile.meaningOf(seed.fields.versionMajor),
    };
    const m = family.make(ctx);
    if (m === null) return null; // the family has nothing to aim at on this seed
    const { block, checksumValid } = apply(seed, m, rng);
    return { seedIndex: seed.index, mutation: m.name, nsBase: ctx.base, nsSize: ctx.size, block, checksumValid };
  }
}

/**
 * Apply a mutation to a copy of a seed: a fresh random uuid, the field
 * changes (range-checked by the codec), the byte edit, then one checksum pass
 * (what patchPfnBlock does, without computing the checksum twice), except
 * when the mutation aims at the checksum itself.
 */
function apply(seed: Seed, m: Mutation, rng: Prng): { block: Uint8Array; checksumValid: boolean } {
  const block = seed.block.slice();
  rng.fill(block.subarray(16, 32)); // uuid: any 16 bytes; the kernel never checks it
  const changes: Partial<PfnFields> = m.changes;
  if (changes.parentUuid === SAME_AS_UUID) {
    const { parentUuid: _, ...rest } = changes;
    pfnCodec.writeFields(block, rest);
    block.copyWithin(32, 16, 32);
  } else {
    pfnCodec.writeFields(block, changes);
  }
  if (m.edit !== undefined) m.edit(block);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (m.keepChecksum === true) return { block, checksumValid: verifyChecksum(block) };
  dv.setBigUint64(CHECKSUM_OFFSET, blockChecksum(block), true);
  return { block, checksumValid: true };
}

/** Convenience: the first `count` inputs of a corpus. */
export function generateCorpus(o: CorpusOptions & { count: number }): CorpusInput[] {
  return [...new CorpusGenerator(o).inputs(o.count)];
}
