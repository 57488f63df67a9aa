/**
 * Where everything goes in a packed image, decided before a byte is
 * written: the namespace's size and guest address, the info-block (legacy
 * meaning, start_pad 0, end_trunc 0), the filesystem's place at the data
 * start, the label area of a labelled DIMM, and the Kata-style variant.
 * Pure.
 *
 * start_pad is what breaks DAX (Linux 5.17+ maps mmap pages start_pad bytes
 * below where read(2) finds them), so a pack never has one: the namespace
 * base must be a multiple of the alignment in force (at least 2 MiB) and
 * the namespace size a multiple of it too (no end_trunc either).
 */
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { SZ_1G, SZ_2M, SZ_8K, hex } from '../format/int64';
import { KATA_HEADER_SIZE, KATA_PARTITION_START, KATA_ROUND } from '../format/kata';
import { encodeLabelArea } from '../format/labels-area';
import { interleaveSetCookie, qemuDimm } from '../format/labels';
import { MAX_LABEL_SIZE, MIN_LABEL_SIZE } from '../format/labels-spec';
import { type PfnFields } from '../format/pfn';
import { checkAlign, recipeFields, type NsMode } from '../format/recipe';
import { NIL_UUID, isUuid } from '../format/uuid';
import { expectBigint, expectOptions, expectString } from '../format/guard';

/** Where the memmap (64 bytes of struct page per 4 KiB) lives: guest RAM, or the namespace itself. */
export type MapPlace = 'ram' | 'pmem';
/** `plain`: the filesystem at the data start; `kata`: Kata's dual MBR layout (see src/format/kata.ts). */
export type PackLayoutKind = 'plain' | 'kata';

/** What a pack is asked for (sizes and addresses as bigint). */
export interface PackParams {
  /** fsdax (a block device, /dev/pmem0) or devdax (a character device, /dev/dax0.0). Default fsdax. */
  mode?: NsMode;
  /** Default ram (the namespace holds only the data; the guest spends 1/64 of it in RAM). */
  map?: MapPlace;
  /**
   * The info-block's align (a power of two of at least 4 KiB; default 2 MiB); base and size are multiples of
   * max(align, 2 MiB).
   */
  align?: bigint;
  /** The namespace's guest physical address (default {@link DEFAULT_NS_BASE}). */
  nsBase?: bigint;
  /** The namespace's size (default: the smallest that holds the input); a multiple of max(align, 2 MiB). */
  nsSize?: bigint;
  /** Give the DIMM a label area of this many bytes (QEMU `label-size=`): a labelled namespace. */
  labelSize?: bigint;
  /** Labelled: the namespace's uuid (default random); label-less: the info-block's uuid. */
  uuid?: string;
  /** Kata's dual layout: the same file boots as an NVDIMM with DAX and as a plain MBR disk. */
  kata?: boolean;
}

/** Everything decided about a pack. */
export interface PackPlan {
  layout: PackLayoutKind;
  mode: NsMode;
  map: MapPlace;
  align: bigint;
  /** The guest address of the namespace (and of the DIMM: the namespace starts at its first byte). */
  nsBase: bigint;
  nsSize: bigint;
  /** File bytes: the namespace, then the label area when labelled. */
  fileSize: bigint;
  labelSize: bigint | null;
  /** Labelled: the namespace uuid (the block's parent_uuid); label-less: null. */
  namespaceUuid: string | null;
  /** Data start and size (from the namespace base; start_pad is 0, so the legacy and map meanings agree). */
  dataStart: bigint;
  dataSize: bigint;
  /** File offset where the input's bytes go. */
  contentOffset: bigint;
  /** Bytes of the input. */
  contentSize: bigint;
  /** The info-block. */
  fields: PfnFields;
}

/** QEMU's device memory starts at 4 GiB when the guest has at most 2 GiB of RAM below it: the first DIMM's address. */
export const DEFAULT_NS_BASE = 4n * SZ_1G;
/** The lowest guest address pack accepts (QEMU's device-memory window starts there). */
export const MIN_NS_BASE = DEFAULT_NS_BASE;

const alignUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;

/** The alignment a namespace of this align must keep its base and size to: max(align, 2 MiB). */
export function alignmentInForce(align: bigint): bigint {
  expectBigint(align, 'align');
  return align > SZ_2M ? align : SZ_2M;
}

/** The good base nearest `base`: a multiple of `a`, not below {@link MIN_NS_BASE}. */
export function nearestGoodBase(base: bigint, a: bigint): bigint {
  expectBigint(base, 'base');
  expectBigint(a, 'a');
  const floor = alignUp(MIN_NS_BASE, a);
  const down = base - (base % a);
  const up = down + a;
  const pick = base - down <= up - base ? down : up;
  return pick < floor ? floor : pick;
}

function checkBase(base: bigint, a: bigint): void {
  if (base % a === 0n && base >= MIN_NS_BASE) return;
  const good = nearestGoodBase(base, a);
  const why =
    base < MIN_NS_BASE
      ? `is below QEMU's device memory (${hex(MIN_NS_BASE)})`
      : `is not a multiple of ${hex(a)}: the kernel would need a start_pad of ${hex(a - (base % a))}, ` +
        `which breaks DAX`;
  throw new InvalidArgumentError(`namespace base ${hex(base)} ${why}; the nearest good base is ${hex(good)}`, {
    hint: { pass: { nsBase: hex(good) } },
  });
}

function checkParams(p: PackParams): void {
  if (p.mode !== undefined && p.mode !== 'fsdax' && p.mode !== 'devdax')
    throw new InvalidArgumentError(`invalid mode '${String(p.mode)}' (expected fsdax or devdax)`);
  if (p.map !== undefined && p.map !== 'ram' && p.map !== 'pmem')
    throw new InvalidArgumentError(`invalid memmap place '${String(p.map)}' (expected ram or pmem)`);
  if (p.uuid !== undefined && !isUuid(p.uuid)) throw new InvalidArgumentError(`invalid uuid '${p.uuid}'`);
  if (p.labelSize !== undefined && (p.labelSize < MIN_LABEL_SIZE || p.labelSize > MAX_LABEL_SIZE))
    throw new InvalidArgumentError(
      `label size ${p.labelSize} is outside QEMU's ${MIN_LABEL_SIZE}..${MAX_LABEL_SIZE} bytes`,
    );
  if (p.labelSize !== undefined && p.labelSize % 4096n !== 0n)
    throw new InvalidArgumentError(`label size ${p.labelSize} is not a multiple of 4096`);
  if (p.kata === true) {
    if (p.mode === 'devdax')
      throw new InvalidArgumentError('a Kata-style image is fsdax: a devdax namespace has no partitions');
    if (p.map === 'pmem')
      throw new InvalidArgumentError('a Kata-style image keeps its memmap in RAM: its 2 MiB header has no room for it');
    if (p.labelSize !== undefined) throw new InvalidArgumentError('a Kata-style image is label-less');
    if (p.align !== undefined && p.align !== SZ_2M)
      throw new InvalidArgumentError('a Kata-style image uses a 2 MiB alignment');
  }
}

/** The block for a namespace of `size` bytes, or null when no data area is left. */
function fieldsFor(size: bigint, p: PackParams, base: bigint, blockUuid: string, parent: string): PfnFields | null {
  try {
    return recipeFields({
      size,
      mode: p.mode ?? 'fsdax',
      map: (p.map ?? 'ram') === 'pmem' ? 'dev' : 'mem',
      align: p.align ?? SZ_2M,
      uuid: blockUuid,
      parentUuid: parent,
      offset: base,
      meaning: 'legacy',
    });
  } catch (e) {
    if (e instanceof InfoblockError && e.code === 'unsupported') return null;
    throw e;
  }
}

interface Placement {
  base: bigint;
  step: bigint;
  inData: bigint;
  uuid: string;
  parent: string;
  namespaceUuid: string | null;
}

/** The plan with a namespace of `size` bytes, or null when the content does not fit in its data area. */
function planWithSize(size: bigint, contentSize: bigint, p: PackParams, at: Placement): PackPlan | null {
  const f = fieldsFor(size, p, at.base, at.uuid, at.parent);
  if (f === null || f.dataoff + at.inData + contentSize > size) return null;
  if (p.kata === true && f.dataoff !== KATA_HEADER_SIZE) return null;
  return {
    layout: p.kata === true ? 'kata' : 'plain',
    mode: p.mode ?? 'fsdax',
    map: p.map ?? 'ram',
    align: p.align ?? SZ_2M,
    nsBase: at.base,
    nsSize: size,
    fileSize: size + (p.labelSize ?? 0n),
    labelSize: p.labelSize ?? null,
    namespaceUuid: at.namespaceUuid,
    dataStart: f.dataoff,
    dataSize: size - f.dataoff,
    contentOffset: f.dataoff + at.inData,
    contentSize,
    fields: f,
  };
}

/** The smallest namespace size (a multiple of `at.step`) whose data area holds the content. */
function smallestPlan(contentSize: bigint, p: PackParams, at: Placement): PackPlan {
  // The data start never exceeds 8 KiB + the memmap (1/64) + one alignment step: start near the answer.
  let size = alignUp(SZ_8K + at.inData + contentSize, at.step);
  for (let i = 0; i < 4096; i++, size += at.step) {
    const plan = planWithSize(size, contentSize, p, at);
    if (plan !== null) return plan;
  }
  throw new InfoblockError('unsupported', `no namespace size holds ${contentSize} bytes`);
}

/**
 * The plan for packing `contentSize` bytes (the filesystem image) with
 * `params`; `blockUuid` is the info-block's uuid when the caller gives none.
 * Throws InvalidArgumentError for a base that would force a start_pad (with
 * the nearest good base as a hint), a namespace size that cannot hold the
 * content (with the smallest that can) and parameters that cannot go
 * together.
 */
export function planPack(contentSize: bigint, params: PackParams, blockUuid: string): PackPlan {
  expectBigint(contentSize, 'contentSize');
  expectOptions(params, 'params');
  expectString(blockUuid, 'blockUuid');
  checkParams(params);
  const align = params.align ?? SZ_2M;
  checkAlign(align);
  const a = alignmentInForce(align);
  const base = params.nsBase ?? alignUp(DEFAULT_NS_BASE, a);
  checkBase(base, a);
  const kata = params.kata === true;
  const labelled = params.labelSize !== undefined;
  const namespaceUuid = labelled ? (params.uuid ?? blockUuid).toLowerCase() : null;
  const at: Placement = {
    base,
    // Kata rounds images to 128 MiB.
    step: kata ? (a > KATA_ROUND ? a : KATA_ROUND) : a,
    // Inside the data area: the filesystem, or (Kata) MBR #2 and the partition 1 MiB in.
    inData: kata ? KATA_PARTITION_START : 0n,
    uuid: labelled ? blockUuid : (params.uuid ?? blockUuid),
    parent: namespaceUuid ?? NIL_UUID,
    namespaceUuid,
  };
  const smallest = smallestPlan(contentSize, params, at);
  const want = params.nsSize;
  if (want === undefined) return smallest;
  if (want % at.step !== 0n) {
    const good = alignUp(want, at.step);
    throw new InvalidArgumentError(
      `namespace size ${hex(want)} is not a multiple of ${hex(at.step)} (it would need an end_trunc); ` +
        `the nearest good size above is ${hex(good)}`,
      { hint: { pass: { nsSize: hex(good > smallest.nsSize ? good : smallest.nsSize) } } },
    );
  }
  const plan = planWithSize(want, contentSize, params, at);
  if (plan === null) {
    throw new InvalidArgumentError(
      `a ${hex(want)}-byte namespace cannot hold the ${contentSize}-byte image at its data start; ` +
        `the smallest that can is ${hex(smallest.nsSize)}`,
      { hint: { pass: { nsSize: hex(smallest.nsSize) } } },
    );
  }
  return plan;
}

/** The label area of a labelled plan: one namespace at DPA 0 over the whole capacity, for QEMU slot 0. */
export function labelAreaOf(plan: PackPlan): Uint8Array | null {
  expectOptions(plan, 'plan');
  if (plan.labelSize === null || plan.namespaceUuid === null) return null;
  return encodeLabelArea([{ uuid: plan.namespaceUuid, size: plan.nsSize, dpa: 0n, name: 'pack' }], {
    areaSize: plan.labelSize,
    version: '1.2',
    cookie: interleaveSetCookie(qemuDimm(0), '1.2'),
    capacity: plan.nsSize,
  });
}
