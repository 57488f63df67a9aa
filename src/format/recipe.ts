/**
 * Write recipes: the fields of a fresh info-block for a namespace of `size`
 * bytes at physical address `offset`, in one of three meanings of dataoff:
 *
 * - `ndctl`: byte-for-byte what `ndctl write-infoblock` 76 writes, including
 *   its C arithmetic (u64 wrap-around, u32 truncation of start_pad, end_trunc
 *   and align). dataoff is measured from the raw base even when start_pad is
 *   not zero, which Linux refuses ("bad offset").
 * - `legacy`: what every existing kernel reads: dataoff relative to
 *   base + start_pad, version 1.4. Equal to `ndctl` whenever start_pad is 0.
 * - `map`: the "Fix section-alignment padding" series' meaning: dataoff
 *   relative to the raw base (= legacy dataoff + start_pad), version 2.4.
 *   The data lands exactly where the legacy block puts it.
 */
import { InfoblockError, InvalidArgumentError } from './errors';
import { DAX_SIGNATURE, PFN_MODE, PFN_SIGNATURE, type Meaning, type PfnFields } from './pfn';
import { NIL_UUID, isUuid } from './uuid';
import { U64_MAX, u64 } from './int64';
import { expectBigint, expectFields } from './guard';

/**
 * How a write computes dataoff: in a {@link Meaning} (`legacy`: from base + start_pad, `map`: from the raw
 * base) or `ndctl` (ndctl 76 arithmetic, byte for byte).
 */
export type WriteMeaning = Meaning | 'ndctl';
/** The personality: fsdax (`NVDIMM_PFN_INFO`) or devdax (`NVDIMM_DAX_INFO`). */
export type NsMode = 'fsdax' | 'devdax';
/** Where the memmap lives: `dev` (on the namespace) or `mem` (in RAM). */
export type MapLocation = 'dev' | 'mem';

/** What {@link recipeFields} needs, in `ndctl write-infoblock` terms (sizes and addresses as bigint). */
export interface WriteParams {
  size: bigint;
  mode?: NsMode;
  map?: MapLocation;
  align?: bigint;
  uuid: string;
  parentUuid?: string;
  offset?: bigint;
  meaning?: WriteMeaning;
}

const M64 = U64_MAX;
const M32 = 0xffffffffn;
const SZ_4K = 4096n;
const SZ_8K = 8192n;
const SUBSECTION = 2n << 20n;
const STRUCT_PAGE = 64n;

/** The default alignment, 2 MiB. */
export const DEFAULT_ALIGN = SUBSECTION;

const alignUp = (x: bigint, a: bigint): bigint => u64(x + a - 1n) & ~(a - 1n) & M64;
const alignDown = (x: bigint, a: bigint): bigint => x & ~(a - 1n) & M64;

function isPowerOfTwo(x: bigint): boolean {
  return x > 0n && (x & (x - 1n)) === 0n;
}

/** ndctl's own precondition on -a: a power of two, at least 4096. */
export function checkAlign(align: bigint): void {
  expectBigint(align, 'align');
  if (align < SZ_4K || !isPowerOfTwo(align)) {
    throw new InvalidArgumentError(`align must be a power-of-2 greater than 4096 (got ${align})`);
  }
}

/** Compute the fields of the block `params` describe. */
const CHOICES: Record<string, readonly unknown[]> = {
  mode: ['fsdax', 'devdax', undefined],
  map: ['dev', 'mem', undefined],
  meaning: ['legacy', 'map', 'ndctl', undefined],
};

/** Library boundary: a typed error for values the type system would have refused. */
function validateParams(params: WriteParams): void {
  if (params === null || typeof params !== 'object')
    throw new InvalidArgumentError('recipeFields needs a parameters object');
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const v = (params as unknown as Record<string, unknown>)[key];
    if (!allowed.includes(v)) {
      const names = allowed.filter((a): a is string => typeof a === 'string').join(', ');
      throw new InvalidArgumentError(`invalid ${key} '${String(v)}' (expected ${names})`);
    }
  }
  for (const key of ['size', 'offset', 'align'] as const) {
    const v: unknown = params[key];
    if (v !== undefined && typeof v !== 'bigint')
      throw new InvalidArgumentError(`${key} must be a bigint, got ${typeof v}`);
  }
  if (typeof params.uuid !== 'string')
    throw new InvalidArgumentError(`uuid must be a string, got ${typeof params.uuid}`);
}

export function recipeFields(params: WriteParams): PfnFields {
  expectFields(params, 'params', { size: 'bigint', uuid: 'string' });
  validateParams(params);
  const meaning = params.meaning ?? 'legacy';
  const size = params.size;
  const start = params.offset ?? 0n;
  const pfnAlign = params.align ?? DEFAULT_ALIGN;
  const parentUuid = params.parentUuid ?? NIL_UUID;
  if (!isUuid(params.uuid)) throw new InvalidArgumentError(`failed to parse uuid: '${params.uuid}'`);
  if (!isUuid(parentUuid)) throw new InvalidArgumentError(`failed to parse parent uuid: '${parentUuid}'`);
  checkAlign(pfnAlign);
  const align = pfnAlign > SUBSECTION ? pfnAlign : SUBSECTION;
  const mode = (params.map ?? 'dev') === 'dev' ? PFN_MODE.pmem : PFN_MODE.ram;
  const npfns0 = u64(size - SZ_8K) / SZ_4K;
  const startPad = u64(alignUp(start, align) - start);
  const endTrunc = u64(start + size - alignDown(start + size, align));

  let dataoff: bigint;
  let npfns: bigint;
  if (meaning === 'ndctl') {
    dataoff =
      mode === PFN_MODE.pmem
        ? u64(alignUp(start + SZ_8K + STRUCT_PAGE * npfns0, align) - start)
        : u64(alignUp(start + SZ_8K, align) - start);
    if (dataoff >= size) throw new InfoblockError('unsupported', 'unable to satisfy requested alignment');
    // ndctl stores start_pad/end_trunc in u32 variables before this subtraction.
    npfns = u64(size - dataoff - (endTrunc & M32) - (startPad & M32)) / SZ_4K;
  } else {
    if (size < SZ_8K || start + size > M64)
      throw new InvalidArgumentError(`namespace of ${size} bytes at ${start} does not fit`);
    if (pfnAlign > M32) throw new InvalidArgumentError(`align ${pfnAlign} does not fit the u32 align field`);
    if (startPad > M32 || endTrunc > M32) throw new InvalidArgumentError('start_pad/end_trunc exceed the u32 fields');
    const mapBase = start + startPad; // aligned
    const legacyOff =
      mode === PFN_MODE.pmem
        ? alignUp(mapBase + SZ_8K + STRUCT_PAGE * npfns0, align) - mapBase
        : alignUp(mapBase + SZ_8K, align) - mapBase;
    if (legacyOff + startPad + endTrunc >= size) {
      throw new InfoblockError(
        'unsupported',
        `unable to satisfy requested alignment: no data area left in ${size} bytes`,
      );
    }
    npfns = (size - legacyOff - startPad - endTrunc) / SZ_4K;
    dataoff = meaning === 'map' ? legacyOff + startPad : legacyOff;
  }
  return {
    signature: (params.mode ?? 'fsdax') === 'devdax' ? DAX_SIGNATURE.slice() : PFN_SIGNATURE.slice(),
    uuid: params.uuid.toLowerCase(),
    parentUuid: parentUuid.toLowerCase(),
    flags: 0,
    versionMajor: meaning === 'map' ? 2 : 1,
    versionMinor: 4,
    dataoff,
    npfns,
    mode,
    startPad: startPad & M32,
    endTrunc: endTrunc & M32,
    align: pfnAlign & M32,
    pageSize: SZ_4K,
    pageStructSize: STRUCT_PAGE,
    checksum: 0n,
  };
}
