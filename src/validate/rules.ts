/**
 * The kernel's info-block checks as predicates, numbered as the kernel runs
 * them (validation R1-R15, the map convention's M1-M2, the setup stage S*).
 * Which of them a kernel version runs, with which errno and message, is the
 * rule table's business (history.ts): a predicate reads its era from the
 * context and never decides versions itself, except where one era covers a
 * kind-specific difference (S4).
 *
 * Arithmetic is the kernel's: u64 wrap-around, IS_ALIGNED as a bit mask.
 * The context is read-only: geometry (geometry.ts) is computed once.
 */
import { hex } from '../format/int64';
import type { PfnFields, SignatureKind } from '../format/pfn';
import { isAligned, memmapFits, u64, type Geometry } from './geometry';
import type { ArchParams } from './arch';

export const EOPNOTSUPP = 95;
export const EINVAL = 22;
export const EBUSY = 16;
export const ENXIO = 6;
export const ENOMEM = 12;
export const ENODEV = 19;

/** What a rule does in one range of kernel versions. */
export interface Era {
  /** First series with this behaviour (inclusive). */
  from: string;
  /** Last series with it (inclusive); null: still current. */
  to: string | null;
  /**
   * raw: not an info-block, the namespace stays a plain disk; fail: a
   * validation failure (the probe-fallback rule P1 decides raw or refused);
   * setup: a failure after the personality claimed the namespace (no device);
   * info: a message or a computed value only; absent: the rule does not
   * exist; fact: a format or parameter, not a check.
   */
  effect: 'raw' | 'fail' | 'setup' | 'info' | 'absent' | 'fact';
  errno: number | null;
  /** The kernel's message as a printf template (documentation; the predicate renders it). */
  message: string | null;
  note: string;
  /** P1: errnos that refuse the namespace (every other validation errno leaves it raw). */
  refuses?: readonly number[];
}

export interface RuleCtx {
  readonly version: string;
  readonly arch: ArchParams;
  /** memremap_compat_align(): the granule of rules 13-14. */
  readonly sectionAlign: bigint;
  readonly expect: 'pfn' | 'dax' | 'any';
  readonly kind: SignatureKind;
  readonly fields: PfnFields;
  readonly checksumValid: boolean;
  readonly nsUuid: string;
  readonly nsName: string;
  readonly g: Geometry;
  /** The metadata reserve this kernel keeps before the memmap (G1 + G3). */
  readonly reserve: bigint;
  /** This rule's era in this kernel. */
  readonly era: Era;
  /** F3: this kernel logs a devdax region it cannot insert ("dax_region resource conflict for %pR"). */
  readonly logsRegionConflict: boolean;
}

export interface RuleOutcome {
  passed: boolean;
  detail: string;
  /** Overrides the era's errno for this failure (a rule with two failure modes). */
  errno?: number | null;
  /** The kernel's log text when it prints one (failure, or info). */
  message?: string;
  /** The kernel oopses here instead of failing cleanly: the verdict is `crashed`. */
  crash?: true;
}

export type Predicate = (c: RuleCtx) => RuleOutcome;

/** printf %#llx: "0" for zero, 0x-prefixed otherwise. */
const hashx = (n: bigint): string => (n === 0n ? '0' : `0x${u64(n).toString(16)}`);
/** printf %d / %ld of an unsigned value: reinterpret as signed. */
const signed = (n: bigint, bits: 32 | 64): string => BigInt.asIntN(bits, n).toString();
const ok = (detail: string): RuleOutcome => ({ passed: true, detail });
const fail = (detail: string, message?: string): RuleOutcome =>
  message === undefined ? { passed: false, detail } : { passed: false, detail, message };

/** %pR of a memory range: 0x-prefixed, zero-padded to at least 8 hex digits (printf field width 10). */
export function formatResource(start: bigint, end: bigint): string {
  const h = (x: bigint): string => `0x${u64(x).toString(16).padStart(8, '0')}`;
  return `[mem ${h(start)}-${h(end)}]`;
}

const expectedKinds = (e: RuleCtx['expect']): readonly SignatureKind[] => (e === 'any' ? ['pfn', 'dax'] : [e]);

export const signature: Predicate = (c) =>
  expectedKinds(c.expect).includes(c.kind)
    ? ok(`signature ${c.kind === 'pfn' ? 'NVDIMM_PFN_INFO' : 'NVDIMM_DAX_INFO'}`)
    : fail(
        `signature is ${c.kind === 'unknown' ? 'not an nd_pfn signature' : c.kind} ` +
          `(expected ${expectedKinds(c.expect).join(' or ')}): not an info-block`,
      );

export const checksum: Predicate = (c) =>
  c.checksumValid
    ? ok('checksum matches')
    : fail(`checksum ${hex(c.fields.checksum)} does not match the block: not an info-block`);

export const parentUuid: Predicate = (c) =>
  c.fields.parentUuid === c.nsUuid.toLowerCase()
    ? ok(`parent_uuid matches the namespace (${c.nsUuid})`)
    : fail(
        `parent_uuid ${c.fields.parentUuid} differs from the namespace uuid ${c.nsUuid}: not this ` +
          `namespace's info-block`,
      );

export const gating: Predicate = (c) => {
  const f = c.fields;
  const e = c.g.effective;
  const changed: string[] = [];
  if (f.startPad !== e.startPad) changed.push(`start_pad ${hex(f.startPad)}->0`);
  if (f.endTrunc !== e.endTrunc) changed.push(`end_trunc ${hex(f.endTrunc)}->0`);
  if (f.align !== e.align) changed.push(`align ${hex(f.align)}->0`);
  if (f.pageSize !== e.pageSize) changed.push(`page_size ${f.pageSize}->${e.pageSize}`);
  if (f.pageStructSize !== e.pageStructSize) changed.push(`page_struct_size ${f.pageStructSize}->${e.pageStructSize}`);
  return ok(
    `version ${f.versionMajor}.${f.versionMinor}:` +
      ` ${changed.length === 0 ? 'every field honoured' : `not read by this kernel: ${changed.join(', ')}`}`,
  );
};

export const mode: Predicate = (c) =>
  c.fields.mode === 1 || c.fields.mode === 2
    ? ok(`mode ${c.fields.mode === 1 ? 'RAM' : 'PMEM'}`)
    : fail(`mode ${c.fields.mode} is neither RAM (1) nor PMEM (2): rejected, the namespace stays raw`);

export const defaultAlign: Predicate = (c) =>
  ok(c.g.alignField !== 0n ? `align ${hex(c.g.align)}` : `align 0: taken as 1 << ilog2(dataoff) = ${hex(c.g.align)}`);

export const pageSize: Predicate = (c) => {
  const ps = c.g.effective.pageSize;
  if (c.fields.mode === 2 && ps > c.arch.pageSize)
    return fail(
      `page_size ${ps} > PAGE_SIZE ${c.arch.pageSize} in mode PMEM`,
      `init failed, page size mismatch ${signed(ps, 32)}`,
    );
  return ok(`page_size ${ps} (PAGE_SIZE ${c.arch.pageSize})`);
};

export const structPageSize: Predicate = (c) => {
  const s = c.g.effective.pageStructSize;
  if (c.fields.mode === 2 && s < 64)
    return fail(
      `page_struct_size ${s} < sizeof(struct page) 64 in mode PMEM`,
      `init failed, struct page size mismatch ${s}`,
    );
  return ok(`page_struct_size ${s}`);
};

export const daxAlign: Predicate = (c) => {
  if (c.kind !== 'dax') return ok('not devdax: any align');
  if (c.arch.daxAlignments.includes(c.g.align)) return ok(`devdax align ${hex(c.g.align)} is supported`);
  return fail(
    `devdax align ${hex(c.g.align)} is not one of ${c.arch.daxAlignments.map(hex).join(', ')}`,
    `init failed, alignment mismatch: ${signed(c.arch.defaultAlign, 64)}:${signed(c.g.align, 64)}`,
  );
};

export const alignCapacity: Predicate = (c) =>
  c.g.align > c.g.size
    ? fail(
        `align ${hex(c.g.align)} > namespace size ${hex(c.g.size)}`,
        `alignment: ${c.g.align.toString(16)} exceeds capacity ${c.g.size.toString(16)}`,
      )
    : ok(`align ${hex(c.g.align)} <= size ${hex(c.g.size)}`);

export const dataoffCapacity: Predicate = (c) =>
  c.fields.dataoff >= c.g.size
    ? fail(
        `dataoff ${hex(c.fields.dataoff)} >= namespace size ${hex(c.g.size)}`,
        `pfn array size exceeds capacity of ${c.nsName}`,
      )
    : ok(`dataoff ${hex(c.fields.dataoff)} < size ${hex(c.g.size)}`);

/** Rule 12 in its physical-address form (4.19 onwards; only the errno changed, in 5.7). */
export const badOffset: Predicate = (c) => {
  const g = c.g;
  const start = u64(g.dataPhys);
  const msg = `bad offset: ${hashx(g.offset)} dax disabled align: ${hashx(g.align)}`;
  if (!isAligned(start, g.align))
    return fail(`data start ${hex(start)} (base + start_pad + offset) is not aligned to ${hex(g.align)}`, msg);
  if (!isAligned(g.offset, c.arch.pageSize))
    return fail(`offset ${hex(g.offset)} is not a multiple of PAGE_SIZE ${c.arch.pageSize}`, msg);
  return ok(`data start ${hex(start)} aligned to ${hex(g.align)}, offset page-aligned`);
};

export const startAligned: Predicate = (c) => {
  const s = u64(c.g.mapBase);
  return isAligned(s, c.sectionAlign)
    ? ok(`base + start_pad = ${hex(s)} aligned to ${hex(c.sectionAlign)}`)
    : fail(`base + start_pad = ${hex(s)} is not aligned to ${hex(c.sectionAlign)}`, 'resource start misaligned');
};

export const endAligned: Predicate = (c) => {
  const e = u64(c.g.base + c.g.size - c.g.endTrunc);
  return isAligned(e, c.sectionAlign)
    ? ok(`base + size - end_trunc = ${hex(e)} aligned to ${hex(c.sectionAlign)}`)
    : fail(`base + size - end_trunc = ${hex(e)} is not aligned to ${hex(c.sectionAlign)}`, 'resource end misaligned');
};

/**
 * Rule 15 in the kernel's unsigned u64 arithmetic: when `start_pad + end_trunc > size` the room wraps
 * and the check passes.
 */
export const smallNamespace: Predicate = (c) => {
  const room = u64(c.g.size - c.g.startPad - c.g.endTrunc);
  if (u64(c.g.offset) >= room)
    return fail(
      `offset ${hex(c.g.offset)} >= size - start_pad - end_trunc = ${hex(room)}: no data area`,
      'bad offset with small namespace',
    );
  if (c.g.mapped < 0n) return ok(`size - start_pad - end_trunc wraps around to ${hex(room)} in u64: the check passes`);
  return ok(`data area of ${hex(room - c.g.offset)} bytes`);
};

/** The map reader's minimum-version rule: it refuses majors it does not implement. */
export const minVersion: Predicate = (c) =>
  c.fields.versionMajor > 2
    ? fail(
        `version_major ${c.fields.versionMajor} is above 2, the newest this reader implements`,
        `unsupported info-block version ${c.fields.versionMajor}.${c.fields.versionMinor}`,
      )
    : ok(`version_major ${c.fields.versionMajor}: ${c.g.meaning} meaning`);

/** The map meaning needs `dataoff >= start_pad` (`map_offset = dataoff - start_pad`). */
export const mapOffset: Predicate = (c) =>
  c.g.offset < 0n
    ? fail(
        `dataoff ${hex(c.fields.dataoff)} is below start_pad ${hex(c.g.startPad)}: negative map_offset`,
        `bad offset: ${hashx(c.fields.dataoff)} below start_pad ${hashx(c.g.startPad)}`,
      )
    : ok(`map_offset ${hex(c.g.offset)}`);

/**
 * Setup: dataoff must cover the metadata reserve in both modes (mode PMEM
 * through the altmap check); mode PMEM with dataoff 0 fails earlier, when
 * the driver re-requests the namespace's memory region (-EBUSY).
 */
export const setupReserve: Predicate = (c) => {
  const g = c.g;
  if (g.offset >= c.reserve) return ok(`offset ${hex(g.offset)} covers the ${c.reserve}-byte reserve`);
  if (c.fields.mode === 2 && g.offset === 0n) {
    return {
      passed: false,
      errno: EBUSY,
      detail: 'mode PMEM with offset 0: the driver cannot reserve the region (-EBUSY)',
      message: `could not reserve region ${formatResource(g.base, g.base + g.size - 1n)}`,
    };
  }
  return fail(
    `mode ${c.fields.mode === 1 ? 'RAM' : 'PMEM'} with offset ${hex(g.offset)} below the ${c.reserve}-byte ` +
      `reserve: setup fails with -EINVAL`,
  );
};

/**
 * Setup: a negative data area (`start_pad + offset + end_trunc > size`,
 * with `offset < size`) reaches setup where rule 15 is absent, or where its u64
 * room wraps. devdax fails with -ENOMEM (its dax region); fsdax in mode
 * PMEM with -EINVAL, and in mode RAM too when the mapped range is empty or
 * negative; otherwise mode RAM exposes a disk whose size wrapped around and
 * the kernel oopses reading its partition table.
 */
export const negativeArea: Predicate = (c) => {
  const g = c.g;
  if (g.dataSize >= 0n) return ok(`data area of ${hex(g.dataSize)} bytes`);
  if (c.kind === 'dax') {
    const detail = `data area of ${g.dataSize} bytes: devdax cannot create its dax region (-ENOMEM)`;
    if (!c.logsRegionConflict) return { passed: false, errno: ENOMEM, detail };
    // The region [data start, data start + length - 1] wraps below its start: 7.2 logs it as a conflict.
    return {
      passed: false,
      errno: ENOMEM,
      detail,
      message: `dax_region resource conflict for ${formatResource(g.dataPhys, g.dataPhys + g.dataSize - 1n)}`,
    };
  }
  if (c.fields.mode === 1 && g.mapped > 0n) {
    return {
      passed: false,
      errno: null,
      detail:
        `data area of ${g.dataSize} bytes: the disk size wraps around and the kernel oopses (BUG: unable to ` +
        `handle page fault, in pmem_do_read)`,
      message: 'kernel crash: BUG: unable to handle page fault (pmem_do_read)',
      crash: true,
    };
  }
  return fail(`data area of ${g.dataSize} bytes (start_pad + offset + end_trunc > size): setup fails with -EINVAL`);
};

/** Setup, mode PMEM: npfns is recomputed from the space; a larger stored value is logged. */
export const npfns: Predicate = (c) => {
  if (c.fields.mode !== 2) return ok(`mode RAM: npfns ${c.fields.npfns} used as stored`);
  const n = u64(c.g.dataSize) / c.arch.pageSize;
  if (c.fields.npfns > n)
    return {
      passed: true,
      detail: `stored npfns ${c.fields.npfns} > ${n} that fit`,
      message: `number of pfns truncated from ${signed(c.fields.npfns, 64)} to ${n}`,
    };
  return ok(`npfns ${n} (stored ${c.fields.npfns})`);
};

/**
 * Setup, devdax: the dax region is created with the align field as the
 * kernel sees it (gated; rule 6's default only serves validation), and its
 * start and length must be multiples of it: align 0, or a data length that
 * is not a multiple of the align, fails with -ENOMEM.
 */
export const daxRegionAlign: Predicate = (c) => {
  if (c.kind !== 'dax') return ok('fsdax: no dax region');
  const a = c.g.alignField;
  if (a === 0n)
    return fail(
      'devdax with an align of 0 (stored, or gated off below minor 2): the dax region cannot be created (-ENOMEM)',
    );
  if (!isAligned(c.g.dataPhys, a))
    return fail(`dax region start ${hex(c.g.dataPhys)} is not a multiple of the align ${hex(a)} (-ENOMEM)`);
  if (!isAligned(c.g.dataSize, a))
    return fail(`dax region length ${hex(c.g.dataSize)} is not a multiple of the align ${hex(a)} (-ENOMEM)`);
  return ok(`dax region ${hex(c.g.dataSize)} bytes, align ${hex(a)}`);
};

/** Setup, mode PMEM: the memmap the kernel allocates from the device must fit before the data (-ENOMEM). */
export const memmapFit: Predicate = (c) => {
  if (c.fields.mode !== 2) return ok('mode RAM: the memmap lives in system RAM');
  if (c.arch.pageSize !== 4096n) return ok('memmap placement not modelled for this architecture');
  if (memmapFits(c.g, c.reserve, c.arch.pageSize, 128n << 20n))
    return ok('the memmap fits between the reserve and the data');
  return fail(
    `mode PMEM: the ${c.kind === 'dax' ? 'devdax' : 'fsdax'} memmap (64 bytes per page, 2 MiB per 128 MiB ` +
      `section) does not fit in the ${hex(c.g.offset - c.reserve)} bytes between the reserve and the data ` +
      `(-ENOMEM)`,
  );
};
