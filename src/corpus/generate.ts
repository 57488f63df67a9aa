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
import { daxEraOf, daxIsHazard } from '../validate/dax-verdict';
import { profileForKernel, type KernelProfile } from '../validate/profiles';
import { DEFAULT_PROFILE } from '../validate/versions';
import {
  DAX_TARGETS,
  FAMILIES,
  SAME_AS_UUID,
  type Family,
  type Mutation,
  type MutationCtx,
  type Target,
} from './mutations';
import { Prng } from './prng';
import { seedPool, SEED_SIZES, type Seed } from './seeds';
import { expectFields, expectOptions, expectString } from '../format/guard';

export interface CorpusOptions {
  seed: bigint;
  /** Kernel profile whose rules the corpus aims at (default linux-6.1). */
  /** The kernel to aim at and judge with: any version or profile name the validator takes (default linux-6.1). */
  kernel?: string;
  /** One namespace size for every input (default: the seed sizes, 16 MiB .. 2 GiB + 4 MiB). */
  nsSize?: bigint;
  /** Compute verdicts and redraw mutations that miss their target (default true). */
  steer?: boolean;
  /**
   * Only inputs of these classes ({@link ONLY_CLASSES}, a rule id, 'S2' or a DAX target): the generator
   * aims every slot at them and keeps drawing until an input is of one of them.
   */
  only?: readonly string[];
  /**
   * Let an fsdax block that the corpus kernel would misplace or crash under DAX through outside the rows
   * aimed at those hazards (default false: such a draw is replaced by a DAX-safe one).
   */
  allowHazard?: boolean;
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

/**
 * The classes an `only` filter names besides the aimed targets: the kernel's outcome (claimed, raw,
 * refused, crashed), malformed (any block the kernel does not claim), and the DAX verdict of a claimed
 * fsdax or devdax block under the corpus kernel (consistent, dax-refused, misplaced, crashes).
 */
export const ONLY_CLASSES: readonly string[] = [
  'claimed',
  'raw',
  'refused',
  'crashed',
  'malformed',
  'consistent',
  'dax-refused',
  'misplaced',
  'crashes',
];
/** The DAX targets whose rows are aimed at a DAX hazard (start_pad != 0): the manifest labels them. */
export const HAZARD_TARGETS: readonly Target[] = DAX_TARGETS.filter((t) => !t.startsWith('dax-aligned'));
/** Draws per input of a filtered corpus before the class is declared out of reach. */
const ONLY_TRIES = 96;

/** Tries per input before a steered mutation that misses its target is kept anyway. */
const STEER_TRIES = 12;
const ANY_SLOTS = 3;
/** Random (seed, family) draws before the exhaustive, ordered fallback. */
const DRAW_TRIES = 64;
const S2_TEXT = 'number of pfns truncated';

/** The classes a profile's corpus aims at, in slot order. */
export function corpusTargets(kernel: string = DEFAULT_PROFILE): Target[] {
  if (kernel !== undefined) expectString(kernel, 'kernel');
  const rules = profileForKernel(kernel)
    .rules.filter((r) => r.onFail !== 'info')
    .map((r) => r.id);
  return ['claimed', ...rules, 'S2', ...DAX_TARGETS, ...Array<Target>(ANY_SLOTS).fill('any')];
}

/**
 * The DAX class of a claimed fsdax verdict: its start_pad geometry (`aligned`: 0, `pad-below`: not above
 * dataoff, `pad-above`: above it) and memmap location, as `dax-pad-below-ram`; null otherwise.
 */
export function daxClass(v: Verdict): string | null {
  if (v.outcome !== 'claimed' || v.kind !== 'pfn' || v.mapBase === null || v.mapOffset === null) return null;
  const pad = v.mapBase - v.nsBase;
  const geometry = pad === 0n ? 'aligned' : pad <= v.mapOffset ? 'pad-below' : 'pad-above';
  return `dax-${geometry}-${v.mode ?? 'ram'}`;
}

/** The class a verdict falls in: its failing rule, else 'S2' when npfns was truncated, else its outcome. */
export function verdictClass(v: Verdict): string {
  expectOptions(v, 'v');
  if (v.failedRule !== null) return v.failedRule;
  if (v.outcome === 'claimed' && v.messages.some((m) => m.startsWith(S2_TEXT))) return 'S2';
  return v.outcome;
}

/** Whether a verdict is of an `only` class (ONLY_CLASSES, a rule id, 'S2' or a DAX target). */
export function isOfClass(v: Verdict, cls: string): boolean {
  expectOptions(v, 'v');
  expectString(cls, 'cls');
  switch (cls) {
    case 'claimed':
    case 'raw':
    case 'refused':
    case 'crashed':
      return v.outcome === cls;
    case 'malformed':
      return v.outcome !== 'claimed';
    case 'consistent':
    case 'misplaced':
    case 'crashes':
      return v.dax?.outcome === cls;
    case 'dax-refused':
      return v.dax?.outcome === 'refused';
    default:
      return verdictClass(v) === cls || daxClass(v) === cls;
  }
}

/** A DAX hazard the input was not aimed at: what the corpus never writes without allowHazard. */
export function unaimedHazard(target: Target, v: Verdict): boolean {
  expectString(target, 'target');
  expectOptions(v, 'v');
  return daxIsHazard(v.dax) && !HAZARD_TARGETS.includes(target);
}

/** The slots that can make an input of `cls` (the targets of that class's rows). */
function slotsFor(cls: string, all: readonly Target[]): Target[] {
  const claimed = all.filter((t) => t === 'claimed' || t === 'S2' || t.startsWith('dax-'));
  const failing = all.filter((t) => t !== 'any' && !claimed.includes(t));
  switch (cls) {
    case 'claimed':
    case 'consistent':
      return claimed;
    case 'crashed': {
      // Only setup with a negative data area oopses (rule S1b, memmap in RAM).
      const setup = failing.filter((t) => t === 'S1b');
      return setup.length > 0 ? setup : failing;
    }
    case 'raw':
    case 'refused':
    case 'malformed':
      return failing;
    case 'dax-refused':
    case 'misplaced':
    case 'crashes':
      return [...HAZARD_TARGETS];
    default:
      return all.includes(cls) ? [cls] : [];
  }
}

/**
 * Why a class can never come out of a kernel, known from its rules alone (null: it may; the draws decide):
 * DAX outcomes a kernel's DAX gate (rule D2) rules out, or a convention without the start_pad shift.
 */
function unreachable(cls: string, profile: KernelProfile): string | null {
  const dax = ['dax-refused', 'misplaced', 'crashes'];
  if (!dax.includes(cls)) return null;
  if (profile.mapConvention)
    return `${profile.id} maps DAX pages from the mapped base: every claimed block is DAX-consistent`;
  const gate = daxEraOf('D2', profile.version).effect;
  if (gate === 'refuse' && cls !== 'dax-refused')
    return (
      `${profile.id} refuses DAX on every block with a start_pad (DAX rule D2): ` +
      `nothing ${cls === 'crashes' ? 'crashes' : 'is misplaced'} under DAX`
    );
  if (gate === 'first-page' && cls === 'crashes')
    return (
      `${profile.id} enables DAX only when start_pad <= dataoff (DAX rule D2), so no DAX page frame falls ` +
      'below the mapped base: nothing crashes under DAX'
    );
  if (gate === 'enable' && cls === 'dax-refused')
    return `${profile.id} enables DAX on every claimed fsdax block (DAX rule D2): none is refused DAX`;
  return null;
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
  /** The classes of an `only` filter (null: every input). */
  readonly only: readonly string[] | null;
  readonly allowHazard: boolean;
  /** The slot targets of a filtered corpus (every target otherwise). */
  private readonly slots: readonly Target[];

  constructor(o: CorpusOptions) {
    expectFields(o, 'o', { seed: 'bigint' });
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
    this.allowHazard = o.allowHazard ?? false;
    this.only = o.only === undefined ? null : [...new Set(o.only)];
    if (this.only === null) {
      this.slots = this.targets;
    } else {
      if (this.only.length === 0) throw new InvalidArgumentError('only: name at least one class');
      const slots = new Set<Target>();
      for (const cls of this.only) {
        const these = slotsFor(cls, this.targets);
        if (these.length === 0)
          throw new InvalidArgumentError(
            `unknown class '${cls}' for ${this.profile.id} ` +
              `(expected ${ONLY_CLASSES.join(', ')}, a rule id, S2 or a DAX target)`,
          );
        these.forEach((t) => slots.add(t));
      }
      const why = this.only.map((c) => unreachable(c, this.profile));
      if (why.every((w) => w !== null))
        throw new InvalidArgumentError(`no input can be of class ${this.only.join(', ')}: ${why.join('; ')}`);
      // Every slot target in the generator's own order, so that a filter keeps the classes balanced.
      this.slots = this.targets.filter((t) => slots.has(t));
    }
  }

  /** Input `index` of this corpus. */
  input(index: number): CorpusInput {
    if (this.only !== null) return this.filtered(index);
    const rng = Prng.ofWords(this.seedLo, this.seedHi, index);
    const target = this.targets[index % this.targets.length] as Target;
    const families = this.families.get(target) ?? FAMILIES;
    const guard = !this.allowHazard;
    let last: CorpusInput | undefined;
    for (let attempt = 0; attempt < (this.steer && target !== 'any' ? STEER_TRIES : 1); attempt++) {
      const made = this.draw(rng, families);
      const input: CorpusInput = { index, target, ...made };
      if (!this.steer && !guard) return input;
      const verdict = this.verdictOf(input);
      input.verdict = verdict;
      if (guard && unaimedHazard(target, verdict)) continue;
      last = input;
      if (!this.steer) return input;
      if (
        target === 'any' ||
        verdictClass(verdict) === target ||
        (target === 'claimed' && verdict.outcome === 'claimed') ||
        daxClass(verdict) === target
      )
        return input;
    }
    if (last !== undefined) return last;
    for (let attempt = 0; attempt < STEER_TRIES; attempt++) {
      const input: CorpusInput = { index, target, ...this.draw(rng, families) };
      input.verdict = this.verdictOf(input);
      if (!unaimedHazard(target, input.verdict)) return input;
    }
    return this.safeFallback(rng, index, target, families);
  }

  /** The verdict of an input under the corpus kernel (no cross-profile hazards). */
  private verdictOf(input: Omit<CorpusInput, 'verdict'>): Verdict {
    return checkHead(headWithBlock(input.block), {
      kernel: this.kernel,
      nsBase: input.nsBase,
      nsSize: input.nsSize,
      hazards: false,
    });
  }

  /**
   * An input of a filtered corpus: slot `index` of the filter's targets, then the following slots in turn,
   * until a draw is of one of the classes (and no unaimed DAX hazard). A class that no draw of ONLY_TRIES
   * reaches is out of reach for these options: an InvalidArgumentError that names why.
   */
  private filtered(index: number): CorpusInput {
    const only = this.only as readonly string[];
    const rng = Prng.ofWords(this.seedLo, this.seedHi, index);
    for (let attempt = 0; attempt < ONLY_TRIES; attempt++) {
      const target = this.slots[(index + attempt) % this.slots.length] as Target;
      const input: CorpusInput = { index, target, ...this.draw(rng, this.families.get(target) ?? FAMILIES) };
      const v = this.verdictOf(input);
      input.verdict = v;
      if (!this.allowHazard && unaimedHazard(target, v)) continue;
      if (only.some((c) => isOfClass(v, c))) return input;
    }
    const sizes =
      this.pool[0]?.params.size === this.pool.at(-1)?.params.size
        ? `a namespace of ${this.pool[0]?.params.size ?? 0n} bytes`
        : 'the seed sizes';
    const why = only.map((c) => unreachable(c, this.profile)).filter((w) => w !== null);
    throw new InvalidArgumentError(
      `no input of class ${only.join(', ')} came out of ${ONLY_TRIES} draws for ${this.profile.id} with ${sizes}` +
        (why.length > 0 ? ` (${why.join('; ')})` : ': it may need another namespace size or kernel'),
    );
  }

  /**
   * The guard's last resort, after every steered draw was an unaimed DAX hazard: a draw from the seeds
   * whose start_pad is 0 (DAX-consistent on every kernel), this target's families first, then the seed
   * itself. Fixed order from a random start, so the same options give the same input.
   */
  private safeFallback(rng: Prng, index: number, target: Target, families: readonly Family[]): CorpusInput {
    const aligned = this.pool.filter((p) => p.fields.startPad === 0n);
    const s0 = rng.below(Math.max(aligned.length, 1));
    for (const list of [families, FAMILIES.filter((f) => f.id === 'seed')]) {
      for (let i = 0; i < aligned.length; i++) {
        const seed = aligned[(s0 + i) % aligned.length] as Seed;
        for (const family of list) {
          const made = this.tryDraw(rng, seed, family);
          if (made === null) continue;
          const input: CorpusInput = { index, target, ...made };
          input.verdict = this.verdictOf(input);
          if (!unaimedHazard(target, input.verdict)) return input;
        }
      }
    }
    // A start_pad-0 seed is DAX-consistent on every kernel (rule D1); a pool always has one.
    throw new InvalidArgumentError(`no DAX-safe input fits a namespace of ${this.pool[0]?.params.size ?? 0n} bytes`);
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
  expectFields(o, 'o', { seed: 'bigint', count: 'number' });
  return [...new CorpusGenerator(o).inputs(o.count)];
}
