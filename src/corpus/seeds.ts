/**
 * Valid seeds: blocks the write recipes produce (legacy, map and ndctl
 * meanings) over namespace sizes, bases (aligned, and 1 MiB off a 2 MiB
 * boundary), modes, memmap locations and alignments. The pool is a fixed,
 * ordered list (no randomness), so a seed index names the same block for
 * every corpus seed; combinations a recipe declines are left out.
 */
import { InfoblockError } from '../format/errors';
import { encodePfnBlock, type PfnFields } from '../format/pfn';
import { recipeFields, type MapLocation, type NsMode, type WriteMeaning } from '../format/recipe';
import { expectArray } from '../format/guard';

const K = 1024n;
const M = K * K;
const G = M * K;

/** Sizes chosen to put end_trunc at 0 and not (33 MiB, 130 MiB), and to fit 1 GiB aligns (2 GiB + 4 MiB). */
export const SEED_SIZES: readonly bigint[] = [16n * M, 33n * M, 64n * M, 130n * M, 512n * M, 2n * G + 4n * M];
/** 4 GiB (aligned to 1 GiB), 4 GiB + 2 MiB (aligned to 2 MiB only), 4 GiB + 1 MiB (1 MiB off 2 MiB). */
export const SEED_BASES: readonly bigint[] = [4n * G, 4n * G + 2n * M, 4n * G + M];
export const SEED_ALIGNS: readonly bigint[] = [4n * K, 64n * K, 2n * M, 16n * M, G];
/** devdax seeds only use the alignments x86-64 supports, so that they are valid. */
const DAX_ALIGNS: readonly bigint[] = [4n * K, 2n * M, G];
const MODES: readonly NsMode[] = ['fsdax', 'devdax'];
const MAPS: readonly MapLocation[] = ['dev', 'mem'];
const MEANINGS: readonly WriteMeaning[] = ['legacy', 'map', 'ndctl'];

export interface SeedParams {
  size: bigint;
  base: bigint;
  mode: NsMode;
  map: MapLocation;
  align: bigint;
  meaning: WriteMeaning;
}

export interface Seed {
  index: number;
  params: SeedParams;
  fields: PfnFields;
  /** The encoded block with a correct checksum (never handed out: mutations copy it). */
  block: Uint8Array;
}

/** A fixed uuid per seed (inputs replace it with a random one). */
function seedUuid(i: number): string {
  const h = i.toString(16).padStart(12, '0');
  return `5eed5eed-0000-4000-8000-${h}`;
}

/** One past the last physical address: a namespace must end at or below it. */
const ADDRESS_END = 1n << 64n;

/**
 * The seed bases a namespace of `size` bytes can start at without running
 * past 2^64; for sizes too big for every SEED_BASE, the highest 1 GiB-aligned
 * base that still fits (0 for the largest sizes).
 */
export function seedBases(size: bigint): readonly bigint[] {
  const fit = SEED_BASES.filter((base) => base + size <= ADDRESS_END);
  if (fit.length > 0 || size > ADDRESS_END) return fit;
  return [((ADDRESS_END - size) / G) * G];
}

/** Every valid seed for namespaces of `sizes` bytes, in a fixed order. */
export function seedPool(sizes: readonly bigint[] = SEED_SIZES): Seed[] {
  if (sizes !== undefined) expectArray(sizes, 'sizes');
  const pool: Seed[] = [];
  for (const size of sizes) {
    for (const base of seedBases(size)) {
      for (const mode of MODES) {
        for (const map of MAPS) {
          for (const align of mode === 'devdax' ? DAX_ALIGNS : SEED_ALIGNS) {
            for (const meaning of MEANINGS) {
              const params: SeedParams = { size, base, mode, map, align, meaning };
              let fields: PfnFields;
              try {
                fields = recipeFields({ size, offset: base, mode, map, align, meaning, uuid: seedUuid(pool.length) });
              } catch (e) {
                if (e instanceof InfoblockError) continue; // the recipe declines: no room, or fields overflow
                throw e;
              }
              // ndctl's C arithmetic can store values no kernel would accept as a seed (dataoff past the end).
              if (fields.dataoff >= size) continue;
              pool.push({ index: pool.length, params, fields, block: encodePfnBlock(fields) });
            }
          }
        }
      }
    }
  }
  return pool;
}
