/**
 * The DAX matrix on the booted kernels (npm run test:kernel): every row of test/kernel/dax-matrix.ts is
 * booted with the DAX guest (write mode: the probe compares read(2) with mmap on the file at the data
 * start, then writes a marker through the mapping) under each kernel of ND_KERNELS (default all four).
 * Each kernel's observed outcome and measured shift must be the expected one (the validator's DAX verdict
 * where it gives one, else the matrix table); where a write went through a misplaced mapping it must
 * have landed exactly `shift` bytes below the file's block. Rows predicted to crash boot alone.
 *
 * ND_DAX_OBS_DIR=DIR writes the observations (with the probe's raw records) to DIR/dax-<kernel>.jsonl,
 * the files test/kernel/observed/ keeps and dax-observed.test.ts replays.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { hex } from '../../src/format/int64';
import { daxRawToWire } from '../../src/kernel/dax';
import { bootDaxImages, type DaxRun } from '../../src/kernel/harness';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../../src/kernel/kernels';
import { useTmpDir } from '../support/tmp';
import { buildDaxImage, haveDaxTools, type DaxImage } from './dax-craft';
import {
  DAX_ROWS,
  probedRange,
  tableExpectation,
  validatorExpectation,
  type DaxExpectation,
  type Probed,
} from './dax-matrix';

const KERNELS = ((): KernelVersion[] => {
  const env = process.env['ND_KERNELS'];
  return env === undefined || env.trim() === ''
    ? [...KERNEL_VERSIONS]
    : env.split(',').map((v) => parseKernelVersion(v.trim()));
})();

const tools = haveDaxTools();
if (!tools && process.env['CI'] === 'true')
  throw new Error('the DAX matrix needs mkfs.ext4, mkfs.xfs, debugfs and ndctl: run bash scripts/kernel/setup.sh');
const suite = tools ? describe : describe.skip;

async function headOf(file: string): Promise<Uint8Array> {
  const fh = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(8192);
    await fh.read(b, 0, 8192, 0);
    return b;
  } finally {
    await fh.close();
  }
}

async function expectationOf(
  img: DaxImage,
  kernel: KernelVersion,
  probed: Probed | null = null,
): Promise<DaxExpectation> {
  const pad = img.dataStart - img.dataoff;
  // The validator judges the namespace itself; a row without a filesystem has nothing to map.
  if (img.row.fs === 'none') return tableExpectation(img.row, kernel, pad);
  return (
    validatorExpectation(await headOf(img.file), img.base, BigInt(img.row.size), kernel, probed) ??
    tableExpectation(img.row, kernel, pad)
  );
}

const show = (x: bigint | null): string | null => (x === null ? null : hex(x));

suite('DAX on the booted kernels', () => {
  const tmp = useTmpDir('dax-boot');
  let images: DaxImage[] = [];

  beforeAll(async () => {
    images = [];
    for (const [i, row] of DAX_ROWS.entries()) images.push(await buildDaxImage(row, tmp.dir, i));
  });

  test.each(KERNELS.map((k) => [k]))(
    'Linux %s: the observed DAX outcome and shift are the predicted ones',
    async (kernel) => {
      expect(images).toHaveLength(16);
      // Before the boot: the device-wide verdict decides which rows boot alone.
      const before = await Promise.all(images.map((img) => expectationOf(img, kernel)));
      const t0 = Date.now();
      const run: DaxRun = await bootDaxImages(
        images.map((img, i) => ({
          path: img.file,
          base: img.base,
          ...(before[i]?.outcome === 'crashes' ? { isolate: true } : {}),
        })),
        { kernel, timeoutMs: 600_000, keepLogsDir: path.join(tmp.dir, `logs-${kernel}`) },
        'write',
      );
      const seconds = (Date.now() - t0) / 1000;
      // After it: the verdict over the pages the probe really mapped (the file's).
      const expected = await Promise.all(
        images.map((img, i) => {
          const raw = run.results[i]?.raw;
          return expectationOf(img, kernel, raw === undefined ? null : probedRange(raw.record));
        }),
      );
      const seen = run.results.map((r, i) => ({
        row: images[i]?.row.name,
        outcome: r.dax.outcome,
        shift: r.dax.outcome === 'misplaced' || r.dax.outcome === 'consistent' ? show(r.dax.shift) : null,
      }));
      const want = images.map((img, i) => ({
        row: img.row.name,
        outcome: expected[i]?.outcome ?? null,
        shift:
          expected[i]?.outcome === 'misplaced' || expected[i]?.outcome === 'consistent'
            ? show(expected[i]?.shift ?? null)
            : null,
      }));
      const timing = `Linux ${kernel}: ${run.boots.length} boots in ${seconds.toFixed(0)} s (${run.boots
        .map((b) => `${b.images} ns ${b.seconds.toFixed(1)} s`)
        .join(', ')}); DAX section ${run.probeSeconds.map((s) => s.toFixed(1)).join(', ')} s guest time`;
      process.stdout.write(`${timing}\n`);
      await record(kernel, run, images, expected, timing);
      expect(seen).toEqual(want);

      for (const [i, r] of run.results.entries()) {
        const row = images[i]?.row;
        const d = r.dax;
        // Every file page was compared, and every write through a mapping landed where the shift says.
        if (d.outcome === 'misplaced' || d.outcome === 'consistent') {
          expect({ row: row?.name, compared: d.pagesCompared > 0 }).toEqual({ row: row?.name, compared: true });
          for (const w of d.writes)
            expect({ row: row?.name, landedShift: show(w.shift), readBack: w.readBack }).toEqual({
              row: row?.name,
              landedShift: show(d.shift),
              readBack: d.shift === 0n,
            });
        }
        if (d.outcome === 'misplaced') expect(d.pagesExplained).toBeGreaterThan(0);
        if (d.outcome === 'crashes')
          expect({ row: row?.name, rip: d.crash?.some((l) => /RIP: .*dax_insert_entry/.test(l)) }).toEqual({
            row: row?.name,
            rip: true,
          });
        if (d.outcome === 'refused' && row?.fs === 'ext4') expect(d.mount).toBe('failed');
        if (d.outcome === 'refused' && row?.fs === 'xfs') expect(d.mount).toBe('without-dax');
        if (row?.fs === 'none') expect(d.reason).toMatch(/no ext4 or xfs filesystem at the data start/);
      }
      // The probe's own cost: the guest's time in the DAX section of a boot of all non-crashing rows.
      expect(Math.max(...run.probeSeconds)).toBeLessThan(60);
    },
  );
});

/** Keep the observations (ND_DAX_OBS_DIR) for the offline replay. */
async function record(
  kernel: KernelVersion,
  run: DaxRun,
  images: readonly DaxImage[],
  expected: readonly DaxExpectation[],
  timing: string,
): Promise<void> {
  const dir = process.env['ND_DAX_OBS_DIR'];
  if (dir === undefined || dir === '') return;
  await fs.mkdir(dir, { recursive: true });
  const lines = run.results.map((r, i) => {
    const img = images[i] as DaxImage;
    const d = r.dax;
    return JSON.stringify({
      version: kernel,
      kernel: r.observation.kernelRelease,
      row: img.row,
      dataStart: hex(img.dataStart),
      expected: {
        outcome: expected[i]?.outcome ?? null,
        shift: show(expected[i]?.shift ?? null),
        basis: expected[i]?.basis,
      },
      observed: {
        outcome: d.outcome,
        shift: show(d.shift),
        mount: d.mount,
        mountOptions: d.mountOptions,
        pagesCompared: d.pagesCompared,
        pagesDiffering: d.pagesDiffering,
        pagesExplained: d.pagesExplained,
        writes: d.writes.map((w) => ({
          expected: show(w.expected),
          landed: show(w.landed),
          shift: show(w.shift),
          readBack: w.readBack,
        })),
        reason: d.reason,
        crash: d.crash,
        messages: d.messages,
      },
      raw: r.raw === undefined ? null : daxRawToWire(r.raw),
    });
  });
  await fs.writeFile(path.join(dir, `dax-${kernel}.jsonl`), `${lines.join('\n')}\n`);
  await fs.appendFile(path.join(dir, 'dax-timing.txt'), `${timing}\n`);
}
