/**
 * The DAX matrix as the booted kernels showed it (test/kernel/observed/dax-<kernel>.jsonl, written by
 * dax.boot.test.ts with ND_DAX_OBS_DIR), replayed without a boot:
 * - the host's analysis of each row's stored guest records and copy findings gives the stored outcome
 *   and shift again (a crash row: the crashes outcome from its stored console lines);
 * - the expectation (the validator's DAX verdict where it gives one, else the matrix table) agrees with
 *   what each kernel did, row by row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { hex } from '../../src/format/int64';
import { daxCrash, daxObservationOf, daxRawFromWire, type DaxRawWire } from '../../src/kernel/dax';
import { KERNEL_VERSIONS, type KernelVersion } from '../../src/kernel/kernels';
import { blockChecksum, FIELDS, type Field } from './craft';
import type { DaxRow } from './dax-craft';
import { DAX_ROWS, probedRange, tableExpectation, validatorExpectation } from './dax-matrix';

interface Stored {
  version: KernelVersion;
  kernel: string | null;
  row: DaxRow;
  dataStart: string;
  observed: { outcome: string | null; shift: string | null; crash: string[] | null; reason: string };
  raw: DaxRawWire | null;
}

const DIR = path.join(__dirname, 'observed');
const MiB = 1024n * 1024n;

const stored = (k: KernelVersion): Stored[] => {
  const file = path.join(DIR, `dax-${k}.jsonl`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Stored);
};

/**
 * The head dax-craft.ts wrote for a row (ndctl's aligned block given the row's start_pad; the uuid does
 * not matter to the validator): the geometry follows from the row and the stored data start.
 */
function headOf(s: Stored): { head: Uint8Array; base: bigint; size: bigint; pad: bigint } {
  const size = BigInt(s.row.size);
  const dataoff =
    s.row.map === 'mem' ? 2n * MiB : ((8192n + 64n * ((size - 8192n) / 4096n) + 2n * MiB - 1n) / (2n * MiB)) * 2n * MiB;
  const pad = BigInt(s.dataStart) - dataoff;
  const base = 0x100000000n + ((2n * MiB - (pad % (2n * MiB))) % (2n * MiB));
  const endTrunc = pad === 0n ? 0n : (base + size) % (2n * MiB);
  const npfns = (size - pad - endTrunc - dataoff) / 4096n;
  const head = Buffer.alloc(8192);
  const block = head.subarray(4096);
  block.write(s.row.fs === 'devdax' ? 'NVDIMM_DAX_INFO' : 'NVDIMM_PFN_INFO', 0, 'ascii');
  const put = (f: Field, v: bigint): void => {
    const [off, width] = FIELDS[f];
    if (width === 8) block.writeBigUInt64LE(v, off);
    else if (width === 4) block.writeUInt32LE(Number(v), off);
    else block.writeUInt16LE(Number(v), off);
  };
  put('version_major', 1n);
  put('version_minor', 4n);
  put('dataoff', dataoff);
  put('npfns', npfns);
  put('mode', s.row.map === 'mem' ? 1n : 2n);
  put('start_pad', pad);
  put('end_trunc', endTrunc);
  put('align', 2n * MiB);
  put('page_size', 4096n);
  put('page_struct_size', 64n);
  block.writeBigUInt64LE(blockChecksum(block), 4088);
  return { head, base, size, pad };
}

const kernels = KERNEL_VERSIONS.filter((k) => fs.existsSync(path.join(DIR, `dax-${k}.jsonl`)));

test('every booted kernel has its DAX observations, one per matrix row', () => {
  expect(kernels).toEqual([...KERNEL_VERSIONS]);
  for (const k of kernels) expect(stored(k).map((s) => s.row.name)).toEqual(DAX_ROWS.map((r) => r.name));
});

describe.each(kernels.map((k) => [k]))('Linux %s', (kernel) => {
  test('the stored guest records give the stored outcome and shift again', () => {
    const replayed = stored(kernel).map((s) => {
      if (s.raw === null) return { row: s.row.name, outcome: null, shift: null };
      const raw = daxRawFromWire(s.raw);
      const d =
        s.observed.crash !== null
          ? daxCrash(raw.record, s.observed.crash, raw.record.device)
          : daxObservationOf(raw.record, raw.dataStart, raw.findings);
      return { row: s.row.name, outcome: d.outcome, shift: d.shift === null ? null : hex(d.shift) };
    });
    expect(replayed).toEqual(
      stored(kernel).map((s) => ({
        row: s.row.name,
        outcome: s.raw === null ? null : s.observed.outcome,
        shift: s.raw === null ? null : s.observed.shift,
      })),
    );
  });

  test('the prediction agrees with the kernel on every row', () => {
    const rows = stored(kernel);
    const shiftOf = (o: string | null, s: string | null): string | null =>
      o === 'misplaced' || o === 'consistent' ? s : null;
    const got = rows.map((s) => ({
      row: s.row.name,
      outcome: s.observed.outcome,
      shift: shiftOf(s.observed.outcome, s.observed.shift),
    }));
    const want = rows.map((s) => {
      const { head, base, size, pad } = headOf(s);
      const probed = s.raw === null ? null : probedRange(daxRawFromWire(s.raw).record);
      // The validator judges the namespace itself; a row without a filesystem has nothing to map.
      const e =
        s.row.fs === 'none'
          ? tableExpectation(s.row, kernel, pad)
          : (validatorExpectation(head, base, size, kernel, probed) ?? tableExpectation(s.row, kernel, pad));
      const shift = e.shift === null ? null : hex(e.shift);
      return { row: s.row.name, outcome: e.outcome, shift: shiftOf(e.outcome, shift) };
    });
    expect(got).toEqual(want);
  });
});
