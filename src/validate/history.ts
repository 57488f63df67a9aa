/**
 * The rule table: every info-block rule and kernel convention with the
 * kernel versions it applies to, as data. A rule's eras say when it was
 * introduced, changed or removed, and the errno and message of each era; a
 * kernel profile is a version, and its rule list is this table read at that
 * version. Non-check entries (probe fallback, message formats, reserve size,
 * version gating, dax_label_reserve) are eras too, read by the checker.
 *
 * Basis: eras of the booted kernels (5.10, 6.1, 6.12, 7.2; x86-64) were
 * checked against those kernels under QEMU (test/kernel/observed); every
 * other version's behaviour is interpolated from the kernel's history.
 */
import * as R from './rules';
import { EBUSY, EINVAL, ENODEV, ENOMEM, ENXIO, EOPNOTSUPP, type Era, type Predicate } from './rules';
import { inRange } from './versions';
import { expectNumber, expectString } from '../format/guard';

export type Stage = 'validate' | 'convention' | 'setup' | 'probe' | 'format' | 'layout';

export interface RuleEntry {
  id: string;
  name: string;
  stage: Stage;
  summary: string;
  eras: readonly Era[];
  /** The check, for validate/convention/setup entries. */
  test?: Predicate;
}

const era = (
  from: string,
  to: string | null,
  effect: Era['effect'],
  errno: number | null,
  message: string | null,
  note: string,
  extra: Partial<Era> = {},
): Era => ({
  from,
  to,
  effect,
  errno,
  message,
  note,
  ...extra,
});
const ALL = '4.19';
const VALIDATION_ERRNO_CHANGE = '5.7';

/** A validation rule whose errno became -EOPNOTSUPP in 5.7 ("Prevent raw mode fallback if pfn-infoblock valid"). */
const renumbered = (oldErrno: number, message: string, since = ALL): Era[] => [
  era(
    since,
    '5.6',
    'fail',
    oldErrno,
    message,
    `-${oldErrno}: before 5.7 not -EOPNOTSUPP, so the namespace falls back to raw`,
  ),
  era(VALIDATION_ERRNO_CHANGE, null, 'fail', EOPNOTSUPP, message, 'refused since 5.7'),
];

export const RULE_TABLE: readonly RuleEntry[] = [
  {
    id: 'R1',
    name: 'signature',
    stage: 'validate',
    summary: 'signature differs from the expected one',
    test: R.signature,
    eras: [era(ALL, null, 'raw', null, null, `not an info-block (-${ENODEV}): raw`)],
  },
  {
    id: 'R2',
    name: 'checksum',
    stage: 'validate',
    summary: 'checksum mismatch',
    test: R.checksum,
    eras: [era(ALL, null, 'raw', null, null, `not an info-block (-${ENODEV}): raw`)],
  },
  {
    id: 'R3',
    name: 'parent-uuid',
    stage: 'validate',
    summary: 'parent_uuid differs from the namespace uuid',
    test: R.parentUuid,
    eras: [era(ALL, null, 'raw', null, null, `another namespace's block (-${ENODEV}): raw`)],
  },
  {
    id: 'R4',
    name: 'version-gating',
    stage: 'validate',
    summary: 'fields newer than version_minor are not read',
    test: R.gating,
    eras: [
      era(
        ALL,
        '5.3',
        'info',
        null,
        null,
        'minor 1: start_pad, end_trunc; minor 2: align; page_size and page_struct_size not read at all',
      ),
      era('5.4', null, 'info', null, null, 'minor 4 adds page_size and page_struct_size'),
    ],
  },
  {
    id: 'R5',
    name: 'mode',
    stage: 'validate',
    summary: 'mode neither RAM nor PMEM',
    test: R.mode,
    eras: [era(ALL, null, 'raw', null, null, `-${ENXIO}: the namespace stays raw in every version`)],
  },
  {
    id: 'R6',
    name: 'default-align',
    stage: 'validate',
    summary: 'align 0 means 1 << ilog2(dataoff)',
    test: R.defaultAlign,
    eras: [era(ALL, null, 'info', null, null, 'computed, never fails')],
  },
  {
    id: 'R7',
    name: 'page-size',
    stage: 'validate',
    summary: 'mode PMEM and page_size > PAGE_SIZE',
    test: R.pageSize,
    eras: [
      era(ALL, '5.3', 'absent', null, null, 'page_size not in the format yet'),
      era(
        '5.4',
        null,
        'fail',
        EOPNOTSUPP,
        'init failed, page size mismatch %d',
        'refused (-EOPNOTSUPP refuses since 5.4)',
      ),
    ],
  },
  {
    id: 'R8',
    name: 'struct-page-size',
    stage: 'validate',
    summary: 'mode PMEM and page_struct_size < sizeof(struct page)',
    test: R.structPageSize,
    eras: [
      era(ALL, '5.3', 'absent', null, null, 'page_struct_size not in the format yet'),
      era('5.4', null, 'fail', EOPNOTSUPP, 'init failed, struct page size mismatch %d', 'refused'),
    ],
  },
  {
    id: 'R9',
    name: 'dax-alignment',
    stage: 'validate',
    summary: 'devdax align not a supported alignment',
    test: R.daxAlign,
    eras: [
      era(ALL, '5.3', 'absent', null, null, 'no supported-alignment check'),
      era('5.4', null, 'fail', EOPNOTSUPP, 'init failed, alignment mismatch: %ld:%ld', 'refused'),
    ],
  },
  {
    id: 'R10',
    name: 'align-capacity',
    stage: 'validate',
    summary: 'align > namespace size',
    test: R.alignCapacity,
    eras: renumbered(EINVAL, 'alignment: %lx exceeds capacity %llx'),
  },
  {
    id: 'R11',
    name: 'dataoff-capacity',
    stage: 'validate',
    summary: 'dataoff >= namespace size',
    test: R.dataoffCapacity,
    eras: renumbered(EBUSY, 'pfn array size exceeds capacity of %s'),
  },
  {
    id: 'R12',
    name: 'bad-offset',
    stage: 'validate',
    summary: 'base + start_pad + dataoff not aligned to align, or dataoff not page-aligned (physical-address form)',
    test: R.badOffset,
    eras: renumbered(ENXIO, 'bad offset: %#llx dax disabled align: %#lx'),
  },
  {
    id: 'R13',
    name: 'start-aligned',
    stage: 'validate',
    summary: 'base + start_pad not a multiple of memremap_compat_align',
    test: R.startAligned,
    eras: [
      era(ALL, '5.6', 'absent', null, null, 'added in 5.7'),
      era('5.7', null, 'fail', EOPNOTSUPP, 'resource start misaligned', 'refused'),
    ],
  },
  {
    id: 'R14',
    name: 'end-aligned',
    stage: 'validate',
    summary: 'base + size - end_trunc not a multiple of memremap_compat_align',
    test: R.endAligned,
    eras: [
      era(ALL, '5.6', 'absent', null, null, 'added in 5.7'),
      era('5.7', null, 'fail', EOPNOTSUPP, 'resource end misaligned', 'refused'),
    ],
  },
  {
    id: 'R15',
    name: 'small-namespace',
    stage: 'validate',
    summary: 'dataoff >= size - start_pad - end_trunc, in u64 arithmetic (a wrapped room passes)',
    test: R.smallNamespace,
    eras: [
      era(ALL, '6.5', 'absent', null, null, 'zero-size data areas are claimed'),
      era(
        '6.6',
        null,
        'fail',
        EOPNOTSUPP,
        'bad offset with small namespace',
        'refused; wraps when start_pad + end_trunc > size',
      ),
    ],
  },
  {
    id: 'M1',
    name: 'min-version',
    stage: 'convention',
    summary: 'map convention: majors above 2 refused',
    test: R.minVersion,
    eras: [era(ALL, null, 'absent', null, null, 'no kernel reads version_major; only the map profile applies it')],
  },
  {
    id: 'M2',
    name: 'map-offset',
    stage: 'convention',
    summary: 'map convention: dataoff below start_pad refused',
    test: R.mapOffset,
    eras: [era(ALL, null, 'absent', null, null, 'only the map profile applies it')],
  },
  {
    id: 'S1',
    name: 'setup-reserve',
    stage: 'setup',
    summary: 'dataoff below the metadata reserve; mode PMEM with dataoff 0 cannot reserve its region',
    test: R.setupReserve,
    eras: [
      era(
        ALL,
        null,
        'setup',
        EINVAL,
        'could not reserve region %pR',
        '-EINVAL in both modes (PMEM: "memory add fail, invalid altmap", printed once per boot); ' +
          'dataoff 0 in mode PMEM: -EBUSY',
      ),
    ],
  },
  {
    id: 'S1b',
    name: 'setup-negative-area',
    stage: 'setup',
    summary: 'start_pad + offset + end_trunc > size reaches setup',
    test: R.negativeArea,
    eras: [
      era(
        ALL,
        null,
        'setup',
        EINVAL,
        null,
        'devdax -ENOMEM; fsdax PMEM -EINVAL; fsdax RAM oopses when the mapped range is positive. ' +
          'From 6.6 only reachable when rule 15 wraps',
      ),
    ],
  },
  {
    id: 'S2',
    name: 'setup-npfns',
    stage: 'setup',
    summary: 'mode PMEM recomputes npfns',
    test: R.npfns,
    eras: [
      era(
        ALL,
        null,
        'info',
        null,
        'number of pfns truncated from %lld to %ld',
        'logged when the stored npfns is larger',
      ),
    ],
  },
  {
    id: 'S3',
    name: 'setup-dax-region-align',
    stage: 'setup',
    summary: 'devdax region start and length must be multiples of the align field (gated)',
    test: R.daxRegionAlign,
    eras: [
      era(ALL, null, 'setup', ENOMEM, null, 'align 0 or a data length that is not a multiple of the align: -ENOMEM'),
    ],
  },
  {
    id: 'S4',
    name: 'setup-memmap-fit',
    stage: 'setup',
    summary: 'mode PMEM: the memmap allocated from the device must fit before the data',
    test: R.memmapFit,
    eras: [
      era(
        ALL,
        null,
        'setup',
        ENOMEM,
        null,
        'fsdax and devdax (align 4K and 2M): observed on 5.10, 6.1, 6.12 and 7.2 ' +
          '(1 GiB namespaces; 64 MiB ones map no whole section and need no room)',
      ),
    ],
  },
  {
    id: 'P1',
    name: 'probe-fallback',
    stage: 'probe',
    summary: 'what a validation failure does to the namespace',
    eras: [
      era(ALL, '5.3', 'fact', null, null, 'every validation failure leaves the namespace raw (metadata exposed)', {
        refuses: [],
      }),
      era('5.4', '5.6', 'fact', null, null, 'only -EOPNOTSUPP refuses; other errnos leave the namespace raw', {
        refuses: [EOPNOTSUPP],
      }),
      era(
        '5.7',
        null,
        'fact',
        null,
        null,
        'validation failures are -EOPNOTSUPP: refused; ' +
          '-ENODEV (signature, checksum, parent uuid) and -ENXIO (mode) stay raw',
        { refuses: [EOPNOTSUPP] },
      ),
    ],
  },
  {
    id: 'F1',
    name: 'probe-failure-line',
    stage: 'format',
    summary: "the driver core's line for a failed probe (not for -ENODEV/-ENXIO)",
    eras: [
      era(ALL, '6.8', 'fact', null, '%s: probe of %s failed with error %d', 'observed on 5.10 and 6.1'),
      era(
        '6.9',
        null,
        'fact',
        null,
        '%s %s: probe with driver %s failed with error %d',
        'observed on 6.12 and 7.2; the release that changed it is from the driver-core history',
      ),
    ],
  },
  {
    id: 'F2',
    name: 'resource-format',
    stage: 'format',
    summary: '%pR of a memory range',
    eras: [
      era(ALL, null, 'fact', null, '[mem %#010llx-%#010llx]', '0x-prefixed, zero-padded to at least 8 hex digits'),
    ],
  },
  {
    id: 'F3',
    name: 'dax-region-conflict',
    stage: 'format',
    summary: 'devdax: the dax region resource is logged as conflicting',
    eras: [
      era(ALL, '7.1', 'absent', null, null, 'not logged (observed on 6.12; 6.13-7.1 assumed as 6.12)'),
      era(
        '7.2',
        null,
        'info',
        null,
        'dax_region resource conflict for %pR',
        'logged (observed on 7.2) when the region wraps: a negative data area',
      ),
    ],
  },
  {
    id: 'G1',
    name: 'reserve-size',
    stage: 'layout',
    summary: 'metadata reserve at the start of the namespace',
    eras: [
      era(ALL, '5.0', 'fact', null, null, '8 KiB'),
      era('5.1', null, 'fact', null, null, 'ALIGN(8 KiB, PAGE_SIZE)'),
    ],
  },
  {
    id: 'G2',
    name: 'dax-label-reserve',
    stage: 'layout',
    summary: 'devdax keeps 128 KiB more after the 8 KiB reserve',
    eras: [
      era(ALL, '5.0', 'fact', null, null, 'written and honoured: the devdax memmap starts 136 KiB in'),
      era('5.1', null, 'absent', null, null, 'removed'),
    ],
  },
];

const BY_ID = new Map(RULE_TABLE.map((r) => [r.id, r]));

export function ruleEntry(id: string): RuleEntry {
  expectString(id, 'id');
  const r = BY_ID.get(id);
  if (r === undefined) throw new RangeError(`no rule ${id} in the table`);
  return r;
}

/** A rule's era in a kernel series (every entry covers 4.19 to the newest). */
export function eraOf(id: string, version: string): Era {
  expectString(id, 'id');
  expectString(version, 'version');
  const e = ruleEntry(id).eras.find((x) => inRange(version, x.from, x.to));
  if (e === undefined) throw new RangeError(`rule ${id} has no era for ${version}`);
  return e;
}

/** P1: does a validation failure with this errno refuse the namespace in this version (else it stays raw)? */
export function validationFailureRefuses(version: string, errno: number): boolean {
  expectString(version, 'version');
  expectNumber(errno, 'errno');
  return (eraOf('P1', version).refuses ?? []).includes(errno);
}

/** F1: the driver core's line for a failed probe, as this version prints it (null for the silent -ENODEV/-ENXIO). */
export function probeFailureLine(version: string, driver: string, device: string, errno: number): string | null {
  expectString(version, 'version');
  expectString(driver, 'driver');
  expectString(device, 'device');
  expectNumber(errno, 'errno');
  if (errno === ENODEV || errno === ENXIO) return null;
  const newForm = eraOf('F1', version).to === null;
  if (newForm) return `${driver} ${device}: probe with driver ${driver} failed with error -${errno}`;
  return `${driver}: probe of ${device} failed with error -${errno}`;
}

/** G1 + G2: the bytes before the memmap. */
export function reserveBytes(version: string, pageSize: bigint, kind: 'pfn' | 'dax' | 'unknown' | 'btt'): bigint {
  const base = eraOf('G1', version).to === null && pageSize > 8192n ? pageSize : 8192n;
  return base + (kind === 'dax' && eraOf('G2', version).effect === 'fact' ? 128n << 10n : 0n);
}

/** F3: does this version log a devdax region it cannot insert? */
export function logsRegionConflict(version: string): boolean {
  return eraOf('F3', version).effect !== 'absent';
}

/** R4: does this version read the minor-4 fields? */
export function knowsMinor4(version: string): boolean {
  return eraOf('R4', version).from !== ALL;
}
