/**
 * The kernel's info-block rules as data (STYLE.md #7), numbered as in the
 * reference sheet (nd_pfn_validate order, then the setup stage). Each entry
 * says what failing it does (raw: "not an info-block", the namespace stays a
 * plain disk; refused: the probe fails with errno, no device at all; info: a
 * message only), the kernel's message, and a predicate over the context.
 *
 * Arithmetic is the kernel's: u64 wrap-around, IS_ALIGNED as a bit mask
 * (so a non-power-of-two align behaves as the kernel's mask test does).
 */
import type { EffectiveFields, PfnFields, SignatureKind } from '../format/pfn';
import type { ArchParams } from './profiles';

export const EOPNOTSUPP = 95;
export const EINVAL = 22;
export const EBUSY = 16;
export const ENXIO = 6;
export const ENOMEM = 12;

export interface RuleCtx {
  arch: ArchParams;
  sectionAlign: bigint;
  meaning: 'legacy' | 'map';
  expect: 'pfn' | 'dax' | 'any';
  kind: SignatureKind;
  fields: PfnFields;
  effective: EffectiveFields;
  checksumValid: boolean;
  nsUuid: string;
  nsName: string;
  base: bigint;
  size: bigint;
  startPad: bigint;
  endTrunc: bigint;
  /** Effective align after rule 6 (set by it). */
  align: bigint;
  /** dataoff as the kernel's "offset" from base + start_pad (map meaning: dataoff - start_pad). */
  offset: bigint;
}

export interface RuleOutcome {
  passed: boolean;
  detail: string;
  /** Overrides the rule's errno for this failure (a rule with two failure modes). */
  errno?: number | null;
  /** The kernel's log text when it prints one (failure, or info). */
  message?: string;
}

export interface Rule {
  id: string;
  name: string;
  onFail: 'raw' | 'refused' | 'info';
  errno: number | null;
  test(c: RuleCtx): RuleOutcome;
}

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => x & M64;
const isAligned = (x: bigint, a: bigint): boolean => (u64(x) & u64(a - 1n)) === 0n;
/** printf %#llx: "0" for zero, 0x-prefixed otherwise. */
const hashx = (n: bigint): string => (n === 0n ? '0' : `0x${n.toString(16)}`);
/** printf %d / %ld of an unsigned value: reinterpret as signed. */
const signed = (n: bigint, bits: 32 | 64): string => BigInt.asIntN(bits, n).toString();
const hx = (n: bigint): string => `0x${n.toString(16)}`;
const ok = (detail: string): RuleOutcome => ({ passed: true, detail });
const fail = (detail: string, message?: string): RuleOutcome => (message === undefined ? { passed: false, detail } : { passed: false, detail, message });

/** 1UL << ilog2(x); ilog2(0) is -1 and x86's shift masks the count to 63. */
function floorPow2(x: bigint): bigint {
  if (x === 0n) return 1n << 63n;
  return 1n << BigInt(x.toString(2).length - 1);
}

const expectedKinds = (e: RuleCtx['expect']): readonly SignatureKind[] => (e === 'any' ? ['pfn', 'dax'] : [e]);

export const R1_SIGNATURE: Rule = {
  id: 'R1',
  name: 'signature',
  onFail: 'raw',
  errno: null,
  test: (c) =>
    expectedKinds(c.expect).includes(c.kind)
      ? ok(`signature ${c.kind === 'pfn' ? 'NVDIMM_PFN_INFO' : 'NVDIMM_DAX_INFO'}`)
      : fail(`signature is ${c.kind === 'unknown' ? 'not an nd_pfn signature' : c.kind} (expected ${expectedKinds(c.expect).join(' or ')}): not an info-block`),
};

export const R2_CHECKSUM: Rule = {
  id: 'R2',
  name: 'checksum',
  onFail: 'raw',
  errno: null,
  test: (c) => (c.checksumValid ? ok('checksum matches') : fail(`checksum ${hx(c.fields.checksum)} does not match the block: not an info-block`)),
};

export const R3_PARENT_UUID: Rule = {
  id: 'R3',
  name: 'parent-uuid',
  onFail: 'raw',
  errno: null,
  test: (c) =>
    c.fields.parentUuid === c.nsUuid.toLowerCase()
      ? ok(`parent_uuid matches the namespace (${c.nsUuid})`)
      : fail(`parent_uuid ${c.fields.parentUuid} differs from the namespace uuid ${c.nsUuid}: not this namespace's info-block`),
};

export const R4_GATING: Rule = {
  id: 'R4',
  name: 'version-gating',
  onFail: 'info',
  errno: null,
  test: (c) => {
    const f = c.fields;
    const e = c.effective;
    const changed: string[] = [];
    if (f.startPad !== e.startPad) changed.push(`start_pad ${hx(BigInt(f.startPad))}->0`);
    if (f.endTrunc !== e.endTrunc) changed.push(`end_trunc ${hx(BigInt(f.endTrunc))}->0`);
    if (f.align !== e.align) changed.push(`align ${hx(BigInt(f.align))}->0`);
    if (f.pageSize !== e.pageSize) changed.push(`page_size ${f.pageSize}->${e.pageSize}`);
    if (f.pageStructSize !== e.pageStructSize) changed.push(`page_struct_size ${f.pageStructSize}->${e.pageStructSize}`);
    return ok(`version ${f.versionMajor}.${f.versionMinor}: ${changed.length === 0 ? 'every field honoured' : `ignored as too new: ${changed.join(', ')}`}`);
  },
};

export const R5_MODE: Rule = {
  id: 'R5',
  name: 'mode',
  onFail: 'raw',
  errno: null,
  test: (c) => (c.fields.mode === 1 || c.fields.mode === 2 ? ok(`mode ${c.fields.mode === 1 ? 'RAM' : 'PMEM'}`) : fail(`mode ${c.fields.mode} is neither RAM (1) nor PMEM (2): rejected, the namespace stays raw`)),
};

export const R6_DEFAULT_ALIGN: Rule = {
  id: 'R6',
  name: 'default-align',
  onFail: 'info',
  errno: null,
  test: (c) => {
    const raw = BigInt(c.effective.align);
    c.align = raw !== 0n ? raw : floorPow2(c.offset);
    return ok(raw !== 0n ? `align ${hx(c.align)}` : `align 0: taken as 1 << ilog2(dataoff) = ${hx(c.align)}`);
  },
};

export const R7_PAGE_SIZE: Rule = {
  id: 'R7',
  name: 'page-size',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const ps = BigInt(c.effective.pageSize);
    if (c.fields.mode === 2 && ps > c.arch.pageSize) {
      return fail(`page_size ${ps} > PAGE_SIZE ${c.arch.pageSize} in mode PMEM`, `init failed, page size mismatch ${signed(ps, 32)}`);
    }
    return ok(`page_size ${ps} (PAGE_SIZE ${c.arch.pageSize})`);
  },
};

export const R8_STRUCT_PAGE: Rule = {
  id: 'R8',
  name: 'struct-page-size',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const s = c.effective.pageStructSize;
    if (c.fields.mode === 2 && s < 64) return fail(`page_struct_size ${s} < sizeof(struct page) 64 in mode PMEM`, `init failed, struct page size mismatch ${s}`);
    return ok(`page_struct_size ${s}`);
  },
};

export const R9_DAX_ALIGN: Rule = {
  id: 'R9',
  name: 'dax-alignment',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    if (c.kind !== 'dax') return ok('not devdax: any align');
    if (c.arch.daxAlignments.includes(c.align)) return ok(`devdax align ${hx(c.align)} is supported`);
    return fail(
      `devdax align ${hx(c.align)} is not one of ${c.arch.daxAlignments.map(hx).join(', ')}`,
      `init failed, alignment mismatch: ${signed(c.arch.defaultAlign, 64)}:${signed(c.align, 64)}`,
    );
  },
};

const r10 = (errno: number): Rule => ({
  id: 'R10',
  name: 'align-capacity',
  onFail: 'refused',
  errno,
  test: (c) =>
    c.align > c.size
      ? fail(`align ${hx(c.align)} > namespace size ${hx(c.size)}`, `alignment: ${c.align.toString(16)} exceeds capacity ${c.size.toString(16)}`)
      : ok(`align ${hx(c.align)} <= size ${hx(c.size)}`),
});

const r11 = (errno: number): Rule => ({
  id: 'R11',
  name: 'dataoff-capacity',
  onFail: 'refused',
  errno,
  test: (c) =>
    c.fields.dataoff >= c.size
      ? fail(`dataoff ${hx(c.fields.dataoff)} >= namespace size ${hx(c.size)}`, `pfn array size exceeds capacity of ${c.nsName}`)
      : ok(`dataoff ${hx(c.fields.dataoff)} < size ${hx(c.size)}`),
});

const badOffset = (c: RuleCtx): string => `bad offset: ${hashx(c.offset)} dax disabled align: ${hashx(c.align)}`;

export const R12_BAD_OFFSET: Rule = {
  id: 'R12',
  name: 'bad-offset',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const start = u64(c.base + c.startPad + c.offset);
    if (!isAligned(start, c.align)) return fail(`data start ${hx(start)} (base + start_pad + offset) is not aligned to ${hx(c.align)}`, badOffset(c));
    if (!isAligned(c.offset, c.arch.pageSize)) return fail(`offset ${hx(c.offset)} is not a multiple of PAGE_SIZE ${c.arch.pageSize}`, badOffset(c));
    return ok(`data start ${hx(start)} aligned to ${hx(c.align)}, offset page-aligned`);
  },
};

/** Linux 4.x's form of rule 12: IS_ALIGNED(dataoff, align), errno -ENXIO. */
export const R12_BAD_OFFSET_4X: Rule = {
  id: 'R12',
  name: 'bad-offset',
  onFail: 'refused',
  errno: ENXIO,
  test: (c) =>
    isAligned(c.offset, c.align) ? ok(`dataoff ${hx(c.offset)} aligned to ${hx(c.align)}`) : fail(`dataoff ${hx(c.offset)} is not aligned to ${hx(c.align)}`, badOffset(c)),
};

export const R13_START: Rule = {
  id: 'R13',
  name: 'start-aligned',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const s = u64(c.base + c.startPad);
    return isAligned(s, c.sectionAlign) ? ok(`base + start_pad = ${hx(s)} aligned to ${hx(c.sectionAlign)}`) : fail(`base + start_pad = ${hx(s)} is not aligned to ${hx(c.sectionAlign)}`, 'resource start misaligned');
  },
};

export const R14_END: Rule = {
  id: 'R14',
  name: 'end-aligned',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const e = u64(c.base + c.size - c.endTrunc);
    return isAligned(e, c.sectionAlign) ? ok(`base + size - end_trunc = ${hx(e)} aligned to ${hx(c.sectionAlign)}`) : fail(`base + size - end_trunc = ${hx(e)} is not aligned to ${hx(c.sectionAlign)}`, 'resource end misaligned');
  },
};

export const R15_SMALL: Rule = {
  id: 'R15',
  name: 'small-namespace',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) => {
    const room = c.size - c.startPad - c.endTrunc;
    return c.offset >= room ? fail(`offset ${hx(c.offset)} >= size - start_pad - end_trunc = ${hx(room)}: no data area`, 'bad offset with small namespace') : ok(`data area of ${hx(room - c.offset)} bytes`);
  },
};

/** The map reader's minimum-version rule: it refuses majors it does not implement. */
export const M1_MIN_VERSION: Rule = {
  id: 'M1',
  name: 'min-version',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) =>
    c.fields.versionMajor > 2
      ? fail(`version_major ${c.fields.versionMajor} is above 2, the newest this reader implements`, `unsupported info-block version ${c.fields.versionMajor}.${c.fields.versionMinor}`)
      : ok(`version_major ${c.fields.versionMajor}: ${c.meaning} meaning`),
};

/** The map meaning needs dataoff >= start_pad (map_offset = dataoff - start_pad). */
export const M2_MAP_OFFSET: Rule = {
  id: 'M2',
  name: 'map-offset',
  onFail: 'refused',
  errno: EOPNOTSUPP,
  test: (c) =>
    c.offset < 0n
      ? fail(`dataoff ${hx(c.fields.dataoff)} is below start_pad ${hx(c.startPad)}: negative map_offset`, `bad offset: ${hashx(c.fields.dataoff)} below start_pad ${hashx(c.startPad)}`)
      : ok(`map_offset ${hx(c.offset)}`),
};

/**
 * Setup stage (after validation): dataoff must cover the 8 KiB metadata
 * reserve, in both modes (observed on 6.1; the reference sheet says mode RAM
 * only). Mode PMEM with dataoff 0 fails earlier, when the driver requests the
 * namespace's memory region: -EBUSY with "could not reserve region".
 */
export const S1_RESERVE: Rule = {
  id: 'S1',
  name: 'setup-reserve',
  onFail: 'refused',
  errno: EINVAL,
  test: (c) => {
    const reserve = c.arch.pageSize > 8192n ? c.arch.pageSize : 8192n;
    if (c.offset >= reserve) return ok(`offset ${hx(c.offset)} covers the ${reserve}-byte reserve`);
    if (c.fields.mode === 2 && c.offset === 0n) {
      return {
        passed: false,
        errno: EBUSY,
        detail: 'mode PMEM with offset 0: the driver cannot reserve the region (-EBUSY)',
        message: `could not reserve region [mem ${hx(c.base)}-${hx(u64(c.base + c.size - 1n))}]`,
      };
    }
    return fail(`mode ${c.fields.mode === 1 ? 'RAM' : 'PMEM'} with offset ${hx(c.offset)} below the ${reserve}-byte reserve: setup fails with -EINVAL`);
  },
};

/**
 * Setup stage: 6.1 lacks rule 15, so a block whose data area is negative
 * (start_pad + offset + end_trunc > size, though offset < size) gets this
 * far. Observed: devdax fails with -ENOMEM (its dax region); fsdax in mode
 * PMEM fails with -EINVAL, and so does fsdax in mode RAM when the mapped
 * range (size - start_pad - end_trunc) is empty or negative; otherwise mode
 * RAM exposes a disk whose size wrapped around and the kernel oopses reading
 * its partition table.
 */
export const S1B_NEGATIVE_AREA: Rule = {
  id: 'S1b',
  name: 'setup-negative-area',
  onFail: 'refused',
  errno: EINVAL,
  test: (c) => {
    const room = c.size - c.startPad - c.endTrunc - c.offset;
    if (room >= 0n) return ok(`data area of ${hx(room)} bytes`);
    if (c.kind === 'dax') {
      return { passed: false, errno: ENOMEM, detail: `data area of ${room} bytes: devdax cannot create its dax region (-ENOMEM)` };
    }
    const mapped = c.size - c.startPad - c.endTrunc; // the range memremap'ed for the pages
    if (c.fields.mode === 1 && mapped > 0n) {
      return {
        passed: false,
        errno: null,
        detail: `data area of ${room} bytes: the disk size wraps around and the kernel oopses (BUG: unable to handle page fault, in pmem_do_read)`,
        message: 'kernel crash: BUG: unable to handle page fault (pmem_do_read)',
      };
    }
    return fail(`data area of ${room} bytes (start_pad + offset + end_trunc > size): setup fails with -EINVAL`);
  },
};

/** Setup stage, mode PMEM: npfns is recomputed from the space; a larger stored value is logged. */
export const S2_NPFNS: Rule = {
  id: 'S2',
  name: 'setup-npfns',
  onFail: 'info',
  errno: null,
  test: (c) => {
    if (c.fields.mode !== 2) return ok(`mode RAM: npfns ${c.fields.npfns} used as stored`);
    const room = u64(c.size - c.startPad - c.endTrunc - c.offset);
    const npfns = room / c.arch.pageSize;
    if (c.fields.npfns > npfns) {
      return { passed: true, detail: `stored npfns ${c.fields.npfns} > ${npfns} that fit`, message: `number of pfns truncated from ${signed(c.fields.npfns, 64)} to ${npfns}` };
    }
    return ok(`npfns ${npfns} (stored ${c.fields.npfns})`);
  },
};

/**
 * Setup stage, devdax: the dax region is created with the block's align
 * field as the kernel sees it (after gating), and an align of 0 makes that
 * fail with -ENOMEM (observed on 6.1; rule 6's default only serves the
 * validation rules). fsdax has no such step.
 */
export const S3_DAX_REGION_ALIGN: Rule = {
  id: 'S3',
  name: 'setup-dax-region-align',
  onFail: 'refused',
  errno: ENOMEM,
  test: (c) =>
    c.kind === 'dax' && c.effective.align === 0
      ? fail('devdax with an align of 0 (stored, or gated off below minor 2): the dax region cannot be created (-ENOMEM)')
      : ok(c.kind === 'dax' ? `dax region align ${hx(BigInt(c.effective.align))}` : 'fsdax: no dax region'),
};

const HEAD = [R1_SIGNATURE, R2_CHECKSUM, R3_PARENT_UUID, R4_GATING, R5_MODE, R6_DEFAULT_ALIGN];
const SETUP = [S1_RESERVE, S1B_NEGATIVE_AREA, S2_NPFNS, S3_DAX_REGION_ALIGN];
// With rule 15 a negative data area is refused during validation: S1b cannot be reached.
const SETUP_AFTER_R15 = [S1_RESERVE, S2_NPFNS, S3_DAX_REGION_ALIGN];

export const LINUX_61_RULES: readonly Rule[] = [...HEAD, R7_PAGE_SIZE, R8_STRUCT_PAGE, R9_DAX_ALIGN, r10(EOPNOTSUPP), r11(EOPNOTSUPP), R12_BAD_OFFSET, R13_START, R14_END, ...SETUP];
export const LINUX_LATEST_RULES: readonly Rule[] = [...HEAD, R7_PAGE_SIZE, R8_STRUCT_PAGE, R9_DAX_ALIGN, r10(EOPNOTSUPP), r11(EOPNOTSUPP), R12_BAD_OFFSET, R13_START, R14_END, R15_SMALL, ...SETUP_AFTER_R15];
export const LEGACY_41_RULES: readonly Rule[] = [...HEAD, r10(EINVAL), r11(EBUSY), R12_BAD_OFFSET_4X, ...SETUP];
export const MAP_RULES: readonly Rule[] = [R1_SIGNATURE, R2_CHECKSUM, R3_PARENT_UUID, M1_MIN_VERSION, R4_GATING, R5_MODE, M2_MAP_OFFSET, R6_DEFAULT_ALIGN, R7_PAGE_SIZE, R8_STRUCT_PAGE, R9_DAX_ALIGN, r10(EOPNOTSUPP), r11(EOPNOTSUPP), R12_BAD_OFFSET, R13_START, R14_END, R15_SMALL, ...SETUP_AFTER_R15];
