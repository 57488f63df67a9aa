/**
 * Namespace geometry: what every layer (validator rules, explain, migrate,
 * hazard analysis) recomputes from a block and its namespace. Pure
 * functions of their inputs, u64 arithmetic where the kernel uses it:
 * the fields a reader sees after version gating, where the data starts and
 * how long it is in each meaning, the kernel's effective align (rule 6), the
 * memmap the kernel keeps on the device, and the evidence that a block was
 * written by `ndctl write-infoblock -O` (dataoff measured from the raw base).
 */
import { SZ_2M, u64 } from '../format/int64';
import { effectiveFields, LATEST_MINOR, type EffectiveFields, type Meaning, type PfnFields } from '../format/pfn';
import { expectBigint, expectFields, expectOptions, expectString } from '../format/guard';

/** The u64 mask (the project's U64_MAX), re-exported under the name the rules use. */
export { U64_MAX as U64_MASK, u64 } from '../format/int64';
/** IS_ALIGNED as the kernel writes it: a bit mask, so a non-power-of-two align behaves as the mask does. */
export const isAligned = (x: bigint, a: bigint): boolean => (u64(x) & u64(a - 1n)) === 0n;
/** Bytes of one struct page in the kernels we model (a debug build can make it larger). */
export const STRUCT_PAGE_SIZE = 64n;

/** What the reading kernel knows about the block format. */
export interface Reader {
  pageSize: bigint;
  /** Reads page_size and page_struct_size (minor 4 fields; Linux 5.4 and later). */
  knowsMinor4: boolean;
}

/** Fields after the kernel's version_minor gating (it never looks at the major). */
export function gateFields(f: PfnFields, r: Reader): EffectiveFields {
  expectOptions(f, 'f');
  expectFields(r, 'r', { pageSize: 'bigint', knowsMinor4: 'boolean' });
  return effectiveFields(f, r.pageSize, r.knowsMinor4 ? LATEST_MINOR : 3);
}

/** `1UL << ilog2(x)`; `ilog2(0)` is -1 and x86's shift masks the count to 63. */
export function floorPow2(x: bigint): bigint {
  if (x <= 0n) return 1n << 63n;
  return 1n << BigInt(x.toString(2).length - 1);
}

/** Rule 6: the align in force is the field, or `1 << ilog2(offset)` when the field is 0. */
export function kernelAlign(alignField: bigint, offset: bigint): bigint {
  expectBigint(alignField, 'alignField');
  expectBigint(offset, 'offset');
  return alignField !== 0n ? alignField : floorPow2(offset);
}

export interface Geometry {
  meaning: Meaning;
  effective: EffectiveFields;
  base: bigint;
  size: bigint;
  startPad: bigint;
  endTrunc: bigint;
  /** The align field after gating (0 possible). */
  alignField: bigint;
  /** The align in force after rule 6. */
  align: bigint;
  /** dataoff as the kernel's offset from base + start_pad (map meaning: dataoff - start_pad; may be negative). */
  offset: bigint;
  /** The mapped base: base + start_pad. */
  mapBase: bigint;
  /** Data start from the namespace base, in this meaning. */
  dataStart: bigint;
  /** Physical data start. */
  dataPhys: bigint;
  /** size - start_pad - end_trunc: the range the kernel maps (signed; may be zero or negative). */
  mapped: bigint;
  /** mapped - offset: the data length (signed; negative when the fields overlap). */
  dataSize: bigint;
}

export interface GeometryInput {
  fields: PfnFields;
  effective: EffectiveFields;
  base: bigint;
  size: bigint;
  meaning: Meaning;
}

export function geometryOf(i: GeometryInput): Geometry {
  expectFields(i, 'i', { fields: 'object', effective: 'object', base: 'bigint', size: 'bigint', meaning: 'string' });
  const startPad = i.effective.startPad;
  const endTrunc = i.effective.endTrunc;
  const offset = i.meaning === 'map' ? i.fields.dataoff - startPad : i.fields.dataoff;
  const alignField = i.effective.align;
  const mapped = i.size - startPad - endTrunc;
  return {
    meaning: i.meaning,
    effective: i.effective,
    base: i.base,
    size: i.size,
    startPad,
    endTrunc,
    alignField,
    align: kernelAlign(alignField, offset),
    offset,
    mapBase: i.base + startPad,
    dataStart: startPad + offset,
    dataPhys: i.base + startPad + offset,
    mapped,
    dataSize: mapped - offset,
  };
}

/** The data start in either meaning, from the namespace base: legacy start_pad + dataoff, map dataoff. */
export function dataStartFor(meaning: Meaning, dataoff: bigint, startPad: bigint): bigint {
  expectString(meaning, 'meaning');
  expectBigint(dataoff, 'dataoff');
  expectBigint(startPad, 'startPad');
  return meaning === 'map' ? dataoff : startPad + dataoff;
}

/**
 * Evidence that a legacy-looking block came from `ndctl write-infoblock -O`:
 * with start_pad set, ndctl aligns base + dataoff (the raw base) to
 * max(align field, compat align), while a legacy reader looks at
 * base + start_pad + dataoff, which then is not aligned.
 */
export function ndctlOffsetEvidence(f: PfnFields, e: EffectiveFields, base: bigint, compatAlign: bigint): boolean {
  expectOptions(f, 'f');
  expectOptions(e, 'e');
  expectBigint(base, 'base');
  expectBigint(compatAlign, 'compatAlign');
  if (e.startPad === 0n) return false;
  return meaningEvidence(f.dataoff, e.startPad, e.align, base, compatAlign).suggests === 'map';
}

/** Which meaning(s) of dataoff put the data start on the kernel's granule at `base`. */
export interface Evidence {
  /** max(align, the compat align): the granule a data start must sit on. */
  granule: bigint;
  /** base + start_pad + dataoff is aligned (legacy meaning fits). */
  legacyAligned: boolean;
  /** base + dataoff is aligned (map meaning fits). */
  mapAligned: boolean;
  /** Which meaning the alignment supports: one of them, both, or neither. */
  suggests: Meaning | 'both' | 'neither';
}

/** The one computation of the alignment evidence for a block's meaning (ndctl -O blocks suggest 'map'). */
export function meaningEvidence(
  dataoff: bigint,
  startPad: bigint,
  alignField: bigint,
  base: bigint,
  compatAlign: bigint = SZ_2M,
): Evidence {
  const granule = alignField > compatAlign ? alignField : compatAlign;
  const legacy = (base + startPad + dataoff) % granule === 0n;
  const map = (base + dataoff) % granule === 0n;
  return {
    granule,
    legacyAligned: legacy,
    mapAligned: map,
    suggests: legacy && map ? 'both' : legacy ? 'legacy' : map ? 'map' : 'neither',
  };
}

/** The evidence for a block's stored fields at `nsBase`, on x86-64's 2 MiB granule (migrate, scan, recover). */
export function alignmentEvidence(f: PfnFields, nsBase: bigint): Evidence {
  expectOptions(f, 'f');
  expectBigint(nsBase, 'nsBase');
  return meaningEvidence(f.dataoff, f.startPad, f.align, nsBase);
}

/**
 * The memmap on the device (mode PMEM): does the altmap between the reserve
 * and the data hold the page structs the kernel allocates from it? On x86-64
 * the kernel fills the memmap of a whole 128 MiB section with one 2 MiB
 * block from the altmap, aligned to 2 MiB in pfn terms; a partial section
 * (subsection hotplug) takes ordinary memory instead. The first block that
 * does not fit fails the probe with -ENOMEM.
 *
 * Closed form, not a walk over the sections (a namespace near 2^64 bytes has
 * 2^37 of them): every whole section takes the next block, the first one
 * rounded up to the block size, the next ones right behind it, so the blocks
 * fit exactly when the last one ends at or before the altmap's end.
 */
export function memmapFits(g: Geometry, reserve: bigint, pageSize: bigint, sectionSize: bigint): boolean {
  expectOptions(g, 'g');
  expectBigint(reserve, 'reserve');
  expectBigint(pageSize, 'pageSize');
  expectBigint(sectionSize, 'sectionSize');
  const start = g.mapBase;
  const end = g.base + g.size - g.endTrunc;
  if (end <= start || g.offset < reserve) return true;
  const perSection = (sectionSize / pageSize) * STRUCT_PAGE_SIZE; // memmap bytes of one section
  const blockPfns = perSection / pageSize;
  if (blockPfns === 0n) return true; // a section's memmap smaller than a page: nothing taken from the altmap
  // Whole sections inside [start, end): from the first boundary at or after start to the last one at or before end.
  const first = (start + sectionSize - 1n) / sectionSize;
  const last = end / sectionSize;
  const sections = last > first ? last - first : 0n;
  if (sections === 0n) return true;
  const next = start / pageSize + reserve / pageSize; // the altmap's next free pfn
  const limit = start / pageSize + g.offset / pageSize; // first pfn past the altmap
  const aligned = ((next + blockPfns - 1n) / blockPfns) * blockPfns;
  return aligned + sections * blockPfns <= limit;
}

/**
 * The namespace bases a block fits, from its start_pad: the kernel pads the namespace base up to the
 * section boundary (`compatAlign`) and stores the padding as start_pad, so a block with start_pad P was
 * written for a base that is P short of a boundary: base = residue + k * modulus. A base that is not one
 * of them is refused whatever the meaning of dataoff (rule R13: base + start_pad must be aligned).
 */
export interface BaseFit {
  modulus: bigint;
  residue: bigint;
  /** One such base above 4 GiB, where firmware and QEMU place the first persistent memory. */
  example: bigint;
}

/** The bases `startPad` fits (null when it is 0 or not below `compatAlign`: any aligned base fits). */
export function basesFittingBlock(startPad: bigint, compatAlign: bigint = SZ_2M): BaseFit | null {
  expectBigint(startPad, 'startPad');
  if (compatAlign !== undefined) expectBigint(compatAlign, 'compatAlign');
  if (startPad === 0n || startPad >= compatAlign) return null;
  const residue = compatAlign - startPad;
  return { modulus: compatAlign, residue, example: (1n << 32n) + residue };
}

/** Whether `base` is one of the bases the block fits (always, when its start_pad is 0). */
export function baseFits(startPad: bigint, base: bigint, compatAlign: bigint = SZ_2M): boolean {
  expectBigint(startPad, 'startPad');
  expectBigint(base, 'base');
  if (compatAlign !== undefined) expectBigint(compatAlign, 'compatAlign');
  const fit = basesFittingBlock(startPad, compatAlign);
  return fit === null || u64(base) % fit.modulus === fit.residue;
}
