/**
 * The DAX matrix: fsdax namespaces (ext4 and xfs with 4 KiB blocks at the data start; start_pad 0, 1 MiB
 * below dataoff, 64 MiB above it as 4.x kernels padded; memmap in RAM and on the device), devdax
 * namespaces and one without a filesystem, and what each kernel does with them under DAX.
 *
 * The expectation is the validator's DAX verdict (Verdict.dax) where the validator gives one; until
 * then it is the table below, which states the known behaviour: 5.10 refuses DAX when the DAX path and
 * block I/O disagree (start_pad != 0), 5.17 and later map start_pad bytes too low, and crash when the
 * shifted page lies below the device's memmap (start_pad > dataoff).
 */
import { checkHead } from '../../src/validate/check';
import type { DaxOutcome } from '../../src/kernel/dax';
import type { KernelVersion } from '../../src/kernel/kernels';
import type { DaxRow } from './dax-craft';

const MiB = 1024 * 1024;

export const DAX_ROWS: readonly DaxRow[] = [
  { name: 'ext4, start_pad 0, memmap in RAM', fs: 'ext4', startPad: 0, map: 'mem', size: 64 * MiB },
  { name: 'xfs, start_pad 0, memmap in RAM', fs: 'xfs', startPad: 0, map: 'mem', size: 64 * MiB },
  { name: 'ext4, start_pad 0, memmap on the device', fs: 'ext4', startPad: 0, map: 'dev', size: 64 * MiB },
  {
    name: 'ext4, start_pad dataoff + file offset, memmap on the device (first fault on the reserve)',
    fs: 'ext4',
    startPad: 'reserve',
    map: 'dev',
    size: 64 * MiB,
  },
  { name: 'ext4, start_pad 1 MiB, memmap in RAM', fs: 'ext4', startPad: MiB, map: 'mem', size: 64 * MiB },
  { name: 'xfs, start_pad 1 MiB, memmap in RAM', fs: 'xfs', startPad: MiB, map: 'mem', size: 64 * MiB },
  { name: 'ext4, start_pad 1 MiB, memmap on the device', fs: 'ext4', startPad: MiB, map: 'dev', size: 64 * MiB },
  { name: 'xfs, start_pad 1 MiB, memmap on the device', fs: 'xfs', startPad: MiB, map: 'dev', size: 64 * MiB },
  { name: 'ext4, start_pad 64 MiB (4.x), memmap in RAM', fs: 'ext4', startPad: 64 * MiB, map: 'mem', size: 128 * MiB },
  { name: 'xfs, start_pad 64 MiB (4.x), memmap in RAM', fs: 'xfs', startPad: 64 * MiB, map: 'mem', size: 128 * MiB },
  {
    name: 'ext4, start_pad 64 MiB (4.x), memmap on the device',
    fs: 'ext4',
    startPad: 64 * MiB,
    map: 'dev',
    size: 128 * MiB,
  },
  { name: 'devdax, start_pad 0, memmap in RAM', fs: 'devdax', startPad: 0, map: 'mem', size: 64 * MiB },
  { name: 'devdax, start_pad 0, memmap on the device', fs: 'devdax', startPad: 0, map: 'dev', size: 64 * MiB },
  { name: 'devdax, start_pad 1 MiB, memmap in RAM', fs: 'devdax', startPad: MiB, map: 'mem', size: 64 * MiB },
  { name: 'devdax, start_pad 1 MiB, memmap on the device', fs: 'devdax', startPad: MiB, map: 'dev', size: 64 * MiB },
  { name: 'no filesystem, start_pad 0', fs: 'none', startPad: 0, map: 'mem', size: 64 * MiB },
];

/** What a kernel does with a row under DAX: the outcome (null: nothing to map) and the shift. */
export interface DaxExpectation {
  outcome: DaxOutcome | null;
  shift: bigint | null;
  /** Where the expectation comes from. */
  basis: 'validator' | 'table';
}

/** Linux 5.17 removed the check that refused DAX when the DAX path and block I/O disagree. */
const mapsShifted = (k: KernelVersion): boolean => k !== '5.10';

/**
 * The table's expectation (known behaviour; the fallback where the validator gives no DAX verdict).
 * `pad` is a `reserve` row's start_pad (it depends on where mkfs put the file).
 */
export function tableExpectation(row: DaxRow, kernel: KernelVersion, pad: bigint | null = null): DaxExpectation {
  const basis = 'table' as const;
  if (row.fs === 'none') return { outcome: null, shift: null, basis };
  if (row.fs === 'devdax' || row.startPad === 0) return { outcome: 'consistent', shift: 0n, basis };
  if (!mapsShifted(kernel)) return { outcome: 'refused', shift: null, basis };
  if (row.startPad === 'reserve')
    return kernel === '7.2' ? { outcome: 'crashes', shift: null, basis } : { outcome: 'misplaced', shift: pad, basis };
  // dataoff is 2 MiB in every row: 64 MiB of padding puts the first shifted page below the memmap.
  if (row.startPad > 2 * MiB) return { outcome: 'crashes', shift: null, basis };
  return { outcome: 'misplaced', shift: BigInt(row.startPad), basis };
}

/** Device offsets [start, end) the probe mapped (the file's pages), when known. */
export interface Probed {
  start: bigint;
  end: bigint;
}

/**
 * The validator's DAX verdict for the namespace's head, when it gives one. Its outcome is the worst over
 * the whole device; the probe only faults on the file's pages, so with `probed` the outcome is the worst
 * of the validator's ranges (crashes, then misplaced) those pages touch.
 */
export function validatorExpectation(
  head: Uint8Array,
  nsBase: bigint,
  nsSize: bigint,
  kernel: KernelVersion,
  probed: Probed | null = null,
  /** A labelled namespace's uuid (its block's parent_uuid must equal it); default label-less. */
  parentUuid?: string,
): DaxExpectation | null {
  const v = checkHead(head, {
    kernel: `linux-${kernel}`,
    nsBase,
    nsSize,
    ...(parentUuid === undefined ? {} : { parentUuid }),
  }) as unknown as {
    dax?: { outcome?: unknown; shift?: unknown; crashes?: unknown; misplaced?: unknown };
  };
  const d = v.dax;
  if (d === undefined || d === null || typeof d !== 'object') return null;
  const said = d.outcome;
  if (said !== 'consistent' && said !== 'refused' && said !== 'misplaced' && said !== 'crashes') return null;
  let outcome: DaxOutcome = said;
  const shift = typeof d.shift === 'bigint' ? d.shift : null;
  if (probed !== null && (outcome === 'crashes' || outcome === 'misplaced')) {
    const touches = (rs: unknown): boolean =>
      Array.isArray(rs) &&
      rs.some((r: { start?: unknown; end?: unknown }) => {
        const { start, end } = r;
        return typeof start === 'bigint' && typeof end === 'bigint' && start < probed.end && probed.start < end;
      });
    outcome = touches(d.crashes) ? 'crashes' : touches(d.misplaced) ? 'misplaced' : 'consistent';
  }
  return { outcome, shift: outcome === 'misplaced' ? shift : outcome === 'consistent' ? 0n : null, basis: 'validator' };
}

/** The file pages a probe mapped: from the first page's device offset over the file's pages (one extent). */
export function probedRange(record: {
  pages: readonly { index: number; phys: bigint | null }[];
  files: readonly { pages: number }[];
}): Probed | null {
  const first = record.pages.find((p) => p.index === 0 && p.phys !== null);
  const pages = record.files[0]?.pages;
  if (first?.phys === undefined || first.phys === null || pages === undefined || record.files.length !== 1) return null;
  return { start: first.phys, end: first.phys + BigInt(pages) * 4096n };
}
