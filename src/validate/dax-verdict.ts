/**
 * DAX versus block I/O: where an mmap of a file on a DAX mount finds its
 * bytes, next to where read(2) finds them, per kernel version.
 *
 * The pmem driver keeps two addresses for a claimed fsdax namespace: the
 * kernel's virtual mapping starts at the mapped base (base + start_pad), and
 * block I/O (read(2), write(2), also on a DAX mount) reads device offset X at
 * physical `base + start_pad + dataoff + X`. A page fault on a DAX mapping
 * takes the page frame of `raw base + dataoff + X` instead: start_pad bytes
 * lower. Where that lower frame falls decides what the fault does:
 *
 * - below the mapped base there is no struct page at all: the fault oopses;
 * - in the first pages of the mapped base (the metadata reserve) with the
 *   memmap on the device, the struct pages exist but are never initialised;
 * - anywhere else (the memmap or slack before the data, another data page)
 *   the struct page is initialised: the mapping shows other bytes.
 *
 * Whether the kernel lets a filesystem mount with DAX at all is the gate rule
 * (D2): Linux 4.19-5.0 only asked whether the first page's frame has an fsdax
 * memmap, 5.1-5.16 also compared the frame with the virtual address on the
 * first and last page (so any start_pad refused DAX), 5.17 dropped those
 * checks. devdax (/dev/daxX.Y) computes its range from the mapped base plus
 * dataoff: it agrees with the data start on every kernel.
 *
 * Basis: the rules list the booted kernels (x86-64) where they were observed
 * under QEMU; every other version, architecture or region follows from
 * reading the kernel source.
 */
import { hex } from '../format/units';
import { InvalidArgumentError } from '../format/errors';
import { reserveBytes } from './history';
import { archParams, type Arch } from './arch';
import { profileForKernel } from './profiles';
import { inRange } from './versions';
import { expectOptions, expectString } from '../format/guard';

export type DaxOutcome = 'consistent' | 'refused' | 'misplaced' | 'crashes';
/** A byte range [start, end) of the exposed device (offset 0 = the data start that read(2) sees). */
export interface DaxRange {
  start: bigint;
  end: bigint;
}
/**
 * What a filesystem does under a DAX mount: DAX in force, the mount fails (ext4 refuses the option), it
 * mounts without DAX (xfs, ext2), or nothing mounts (devdax: a character device, no block device).
 */
export type FsDaxBehaviour = 'dax' | 'mount-fails' | 'mounts-without-dax' | 'not-mountable';

export interface DaxVerdict {
  /** The worst over the device: crashes, then misplaced, then refused, then consistent. */
  outcome: DaxOutcome;
  /** Bytes by which a DAX mapping sits below read(2) (0n when consistent or refused). */
  shift: bigint;
  /** Device ranges whose mmap shows other bytes of the namespace. */
  misplaced: DaxRange[];
  /** Device ranges whose first mmap fault oopses the kernel. */
  crashes: DaxRange[];
  /** What each filesystem does under a DAX mount of this device. */
  filesystems: { ext4: FsDaxBehaviour; xfs: FsDaxBehaviour; ext2: FsDaxBehaviour };
  /** observed: the booted kernel showed this outcome under QEMU; source: read from the kernel's source. */
  basis: 'observed' | 'source';
  /** One sentence, no command-line flags. */
  message: string;
  /** Namespace offset where read(2) (block I/O) finds device byte 0. */
  readAt: bigint;
  /** Namespace offset where a DAX mmap finds device byte 0 (readAt when DAX is refused or consistent). */
  mmapAt: bigint;
  /** The DAX rules (DAX_RULES ids) that decided this verdict. */
  rules: string[];
}

/** One range of kernel versions of a DAX rule. */
export interface DaxEra {
  from: string;
  to: string | null;
  /**
   * The gate (D2): enable, refuse, or enable only when the first page's frame has an fsdax memmap
   * ('first-page'); a region rule (D3-D6): the outcome of a fault there.
   */
  effect: 'enable' | 'refuse' | 'first-page' | DaxOutcome;
  /** Booted kernels (x86-64) where this era was observed. */
  observedOn: readonly string[];
  note: string;
}

export interface DaxRule {
  id: string;
  name: string;
  summary: string;
  eras: readonly DaxEra[];
}

const BOOTED_MISPLACING = ['6.1', '6.12', '7.2'];
const ALL_BOOTED = ['5.10', ...BOOTED_MISPLACING];

/** The DAX rules with the versions they apply to, as data (read at a version by {@link daxEraOf}). */
export const DAX_RULES: readonly DaxRule[] = [
  {
    id: 'D1',
    name: 'aligned',
    summary: 'start_pad 0: block I/O and DAX page faults compute the same address',
    eras: [{ from: '4.19', to: null, effect: 'consistent', observedOn: ALL_BOOTED, note: 'both paths agree' }],
  },
  {
    id: 'D2',
    name: 'dax-gate',
    summary: 'start_pad != 0: does a filesystem get DAX (the fsdax-supported check at mount)',
    eras: [
      {
        from: '4.19',
        to: '5.0',
        effect: 'first-page',
        observedOn: [],
        note:
          'only the first page is checked: DAX is enabled when its page frame (raw base + dataoff) has an ' +
          'fsdax memmap, i.e. start_pad <= dataoff; otherwise refused',
      },
      {
        from: '5.1',
        to: '5.16',
        effect: 'refuse',
        observedOn: ['5.10'],
        note:
          'the first and last page frames must equal the physical address of their virtual mapping: ' +
          'any start_pad refuses DAX (ext4 fails the mount with EINVAL, xfs and ext2 mount without DAX)',
      },
      {
        from: '5.17',
        to: null,
        effect: 'enable',
        observedOn: BOOTED_MISPLACING,
        note: 'the sanity checks were removed ("dax: remove the pgmap sanity checks"): DAX is enabled',
      },
    ],
  },
  {
    id: 'D3',
    name: 'below-memmap',
    summary: 'the shifted frame lies below the mapped base: no struct page',
    eras: [
      {
        from: '4.19',
        to: null,
        effect: 'crashes',
        observedOn: BOOTED_MISPLACING,
        note: 'the first fault oopses in dax_insert_entry ("BUG: unable to handle page fault")',
      },
    ],
  },
  {
    id: 'D4',
    name: 'uninitialised-reserve',
    summary:
      'memmap on the device: the shifted frame lies in the metadata reserve, whose struct pages are never set up',
    eras: [
      {
        from: '4.19',
        to: '6.14',
        effect: 'misplaced',
        observedOn: ['6.1', '6.12'],
        note:
          'the struct pages exist but neither memmap_init pass initialises them; the fault only stores the ' +
          'mapping and index in them and maps the frame without a page reference: the mapping shows the reserve',
      },
      {
        from: '6.15',
        to: null,
        effect: 'misplaced',
        observedOn: ['7.2'],
        note:
          'fsdax pages are reference-counted folios since 6.15: the fault takes a reference on an uninitialised ' +
          'struct page and unmapping hands it to the page allocator ("BUG: Bad page state"), but the fault itself ' +
          'does not oops: observed on 7.2, the mapping shows the reserve and corrupts the page allocator',
      },
    ],
  },
  {
    id: 'D5',
    name: 'memmap-pages',
    summary: 'memmap on the device: the shifted frame lies on the memmap itself (initialised as reserved pages)',
    eras: [
      {
        from: '4.19',
        to: null,
        effect: 'misplaced',
        observedOn: BOOTED_MISPLACING,
        note: 'the mapping shows the struct pages; writes through it corrupt the memmap of the data pages',
      },
    ],
  },
  {
    id: 'D6',
    name: 'device-pages',
    summary: 'the shifted frame is a device page (memmap in RAM, or another data page)',
    eras: [
      {
        from: '4.19',
        to: null,
        effect: 'misplaced',
        observedOn: BOOTED_MISPLACING,
        note: 'the mapping shows other bytes; writes land start_pad bytes below and corrupt what lives there',
      },
    ],
  },
];

const BY_ID = new Map(DAX_RULES.map((r) => [r.id, r]));

/** A DAX rule's era in a kernel series. */
export function daxEraOf(id: string, version: string): DaxEra {
  expectString(id, 'id');
  expectString(version, 'version');
  const e = BY_ID.get(id)?.eras.find((x) => inRange(version, x.from, x.to));
  if (e === undefined) throw new RangeError(`DAX rule ${id} has no era for ${version}`);
  return e;
}

/** What {@link daxVerdictOf} needs: a claimed namespace's geometry as the kernel reads it. */
export interface DaxInput {
  /** A kernel spec as CheckOptions.kernel takes it ('6.1', 'linux-6.12', 'map', ...). */
  kernel: string;
  arch?: Arch;
  /** The personality: fsdax ('pfn') or devdax ('dax'). */
  kind: 'pfn' | 'dax';
  /** Where the memmap lives: system RAM (mode 1) or the device (mode 2). */
  mode: 'ram' | 'pmem';
  /** start_pad after version gating. */
  startPad: bigint;
  /** The kernel's data offset from the mapped base (base + start_pad); dataoff of a legacy block. */
  dataoff: bigint;
  /** Bytes of the exposed device. */
  dataSize: bigint;
}

const ALL_DAX = { ext4: 'dax', xfs: 'dax', ext2: 'dax' } as const;
const REFUSED_FS = { ext4: 'mount-fails', xfs: 'mounts-without-dax', ext2: 'mounts-without-dax' } as const;
const NO_FS = { ext4: 'not-mountable', xfs: 'not-mountable', ext2: 'not-mountable' } as const;

function expectInput(i: DaxInput): void {
  if (i === null || typeof i !== 'object') throw new InvalidArgumentError('DAX input: must be an object');
  for (const k of ['startPad', 'dataoff', 'dataSize'] as const) {
    if (typeof i[k] !== 'bigint' || i[k] < 0n) {
      throw new InvalidArgumentError(`DAX input: ${k} must be a non-negative bigint`);
    }
  }
  if (i.kind !== 'pfn' && i.kind !== 'dax')
    throw new InvalidArgumentError(`DAX input: unknown kind '${String(i.kind)}'`);
  if (i.mode !== 'ram' && i.mode !== 'pmem')
    throw new InvalidArgumentError(`DAX input: unknown mode '${String(i.mode)}'`);
}

/** One piece of the device, [start, end), with the rule that decides it. */
interface Piece {
  start: bigint;
  end: bigint;
  rule: 'D3' | 'D4' | 'D5' | 'D6';
}

const clip = (x: bigint, size: bigint): bigint => (x < 0n ? 0n : x > size ? size : x);

/**
 * The device cut by where the shifted frame `raw base + dataoff + X` falls: below the mapped base (D3),
 * in the uninitialised reserve (D4, memmap on the device), on the memmap (D5) or a device page (D6).
 */
function pieces(i: DaxInput, reserve: bigint): Piece[] {
  const size = i.dataSize;
  const belowEnd = i.startPad - i.dataoff; // X below this: frame below base + start_pad
  const cuts: Piece[] =
    i.mode === 'pmem'
      ? [
          { start: 0n, end: belowEnd, rule: 'D3' },
          { start: belowEnd, end: belowEnd + reserve, rule: 'D4' },
          { start: belowEnd + reserve, end: i.startPad, rule: 'D5' },
          { start: i.startPad, end: size, rule: 'D6' },
        ]
      : [
          { start: 0n, end: belowEnd, rule: 'D3' },
          { start: belowEnd, end: size, rule: 'D6' },
        ];
  const out: Piece[] = [];
  let at = 0n;
  for (const c of cuts) {
    const start = clip(c.start > at ? c.start : at, size);
    const end = clip(c.end, size);
    if (end > start) {
      out.push({ start, end, rule: c.rule });
      at = end;
    }
  }
  return out;
}

/** Ranges merged where they touch. */
function merged(rs: DaxRange[]): DaxRange[] {
  const out: DaxRange[] = [];
  for (const r of rs) {
    const last = out.at(-1);
    if (last !== undefined && last.end === r.start) last.end = r.end;
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

const span = (r: DaxRange): string => `${hex(r.start)}-${hex(r.end)}`;

function verdict(
  outcome: DaxOutcome,
  i: DaxInput,
  rest: Partial<DaxVerdict> & Pick<DaxVerdict, 'basis' | 'message' | 'rules'>,
): DaxVerdict {
  const readAt = i.startPad + i.dataoff;
  return {
    outcome,
    shift: 0n,
    misplaced: [],
    crashes: [],
    filesystems: i.kind === 'dax' ? { ...NO_FS } : { ...ALL_DAX },
    readAt,
    mmapAt: readAt,
    ...rest,
  };
}

/**
 * The DAX verdict of a claimed fsdax or devdax namespace under one kernel: where a DAX mapping finds the
 * device's bytes next to read(2), which device ranges misplace or oops, and what each filesystem does
 * under a DAX mount. Pure; `toJson` (src/format/json.ts) gives its snake_case JSON.
 */
export function daxVerdictOf(i: DaxInput): DaxVerdict {
  expectOptions(i, 'i');
  expectInput(i);
  const profile = profileForKernel(i.kernel);
  const arch = archParams(i.arch);
  const booted = profile.observed && arch.name === 'x86_64';
  const observedBy = (rules: string[]): 'observed' | 'source' =>
    booted && rules.every((id) => daxEraOf(id, profile.version).observedOn.includes(profile.version))
      ? 'observed'
      : 'source';
  if (i.kind === 'dax') {
    return verdict('consistent', i, {
      basis: 'source',
      rules: [],
      message:
        'devdax maps the mapped base plus dataoff, the same data start as the info-block gives: consistent ' +
        '(from the source; not yet observed)',
    });
  }
  if (profile.mapConvention) {
    return verdict('consistent', i, {
      basis: 'source',
      rules: [],
      message: 'the map convention computes DAX page frames from the mapped base: read(2) and mmap agree',
    });
  }
  if (i.startPad === 0n || i.dataSize === 0n) {
    const rules = ['D1'];
    const why = i.startPad === 0n ? 'start_pad is 0' : 'the device is empty';
    return verdict('consistent', i, {
      basis: i.startPad === 0n ? observedBy(rules) : 'source',
      rules,
      message: `${why}: read(2) and a DAX mmap find the same bytes`,
    });
  }
  const gate = daxEraOf('D2', profile.version);
  if (gate.effect === 'refuse' || (gate.effect === 'first-page' && i.startPad > i.dataoff)) {
    const rules = ['D2'];
    return verdict('refused', i, {
      basis: observedBy(rules),
      rules,
      filesystems: { ...REFUSED_FS },
      message:
        `start_pad ${hex(i.startPad)} would put DAX page frames below the data, so the kernel does not ` +
        'enable DAX: ' +
        'ext4 fails a DAX mount, xfs and ext2 mount without DAX; the data is safe',
    });
  }
  return shifted(i, profile.version, observedBy);
}

/** A kernel that enables DAX on a namespace whose two paths differ by start_pad. */
function shifted(i: DaxInput, version: string, observedBy: (rules: string[]) => 'observed' | 'source'): DaxVerdict {
  const reserve = reserveBytes(version, archParams(i.arch).pageSize, 'pfn');
  const ps = pieces(i, reserve);
  const outcomeOf = (p: Piece): DaxOutcome => daxEraOf(p.rule, version).effect as DaxOutcome;
  const crashes = merged(ps.filter((p) => outcomeOf(p) === 'crashes'));
  const misplaced = merged(ps.filter((p) => outcomeOf(p) === 'misplaced'));
  const rules = ['D2', ...new Set(ps.map((p) => p.rule))];
  const outcome: DaxOutcome = crashes.length > 0 ? 'crashes' : 'misplaced';
  const below = `mmap sees data ${hex(i.startPad)} bytes below read(2)`;
  const message =
    outcome === 'crashes'
      ? `the first mmap fault on device bytes ${crashes.map(span).join(', ')} ` +
        'oopses the kernel (no initialised struct page behind the shifted page frame)' +
        (misplaced.length > 0 ? `; elsewhere ${below}` : '')
      : `${below}; writes through mmap corrupt the filesystem`;
  return verdict(outcome, i, {
    shift: i.startPad,
    misplaced,
    crashes,
    basis: observedBy(rules),
    rules,
    mmapAt: i.dataoff,
    message,
  });
}

/** The outcomes that lose data or the machine under DAX. */
export function daxIsHazard(d: DaxVerdict | undefined): boolean {
  expectOptions(d, 'd', true);
  return d !== undefined && (d.outcome === 'misplaced' || d.outcome === 'crashes');
}
