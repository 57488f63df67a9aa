/**
 * realign and rebase under real kernels: DIMMs whose namespaces carry
 * start_pad (1 MiB with the memmap on the device, 64 MiB of 4.x-era padding
 * with the memmap in RAM, two namespaces on one DIMM), each holding a file
 * system made by mkfs on the host at its data start, and a label-less image
 * rebased to a 2 MiB-aligned address, are booted before and after, all in
 * one run per kernel. After: the kernel creates each namespace at its new
 * DPA, claims it as fsdax, and the exposed /dev/pmemN starts with exactly the
 * file system's first bytes, as before; the data area's hash did not change,
 * and fsck.ext4 -fn / xfs_repair -n find the file systems clean.
 * ND_KERNELS narrows the kernels as in the matrix.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { findOnPath } from '../../src/kernel/host-tools';
import { hex } from '../../src/format/int64';
import { labelledPages, type DaxOutcome } from '../../src/kernel/dax';
import { bootDaxImages } from '../../src/kernel/harness';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../../src/kernel/kernels';
import type { BootImage, KernelObservation } from '../../src/kernel/types';
import { headWithBlock } from '../../src/format/head';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { realignTarget } from '../../src/migrate/realign';
import { rebaseTarget } from '../../src/migrate/rebase';
import { hashRange, MiB, writeDimm, type PaddedNamespace } from '../support/dimm';
import { useTmpDir } from '../support/tmp';
import { makeFs } from './dax-craft';
import { probedRange, validatorExpectation } from './dax-matrix';

const LSA = 128n * 1024n;
const BASE = 0x100000000n;
const U = (n: number): string => `aaaaaaaa-bbbb-4ccc-8ddd-00000000000${n}`;
const tmp = useTmpDir('realign-boot');

type Fs = 'ext4' | 'xfs';
interface DimmCase {
  id: string;
  namespaces: (PaddedNamespace & { fs: Fs })[];
}

const pad = (uuid: string, dpa: bigint, size: bigint, fsType: Fs, extra: Partial<PaddedNamespace> = {}) => ({
  uuid,
  dpa,
  size,
  startPad: 1n * MiB,
  endTrunc: 1n * MiB,
  dataoff: ((8192n + (size / 4096n) * 64n + 2n * MiB - 1n) / (2n * MiB)) * (2n * MiB),
  fs: fsType,
  ...extra,
});

const CASES: DimmCase[] = [
  { id: 'pad-1M-map-dev-ext4', namespaces: [pad(U(1), 1n * MiB, 64n * MiB, 'ext4')] },
  {
    id: 'pad-64M-map-mem-xfs',
    namespaces: [
      pad(U(2), 64n * MiB, 384n * MiB, 'xfs', { startPad: 64n * MiB, endTrunc: 0n, dataoff: 2n * MiB, map: 'mem' }),
    ],
  },
  {
    id: 'two-namespaces-ext4-xfs',
    namespaces: [pad(U(3), 1n * MiB, 64n * MiB, 'ext4'), pad(U(4), 65n * MiB, 384n * MiB, 'xfs')],
  },
];

/**
 * mkfs on the host into a scratch file holding one file of 4 MiB of labelled pages (a 1 MiB shift shows
 * the file's own earlier pages: the host finds where they live) (4 KiB blocks, xfs
 * without reflink: every kernel can use DAX on it), copied to the data area of `n` in `img`.
 */
function mkfsInto(img: string, n: PaddedNamespace & { fs: Fs }): void {
  const dataSize = n.size - n.startPad - n.endTrunc - n.dataoff;
  const scratch = tmp.path(`scratch-${n.uuid}.${n.fs}`);
  const work = tmp.path(`mkfs-${n.uuid}`);
  fs.mkdirSync(work, { recursive: true });
  makeFs(n.fs, scratch, dataSize, labelledPages(n.uuid, 1024), work);
  const fd = fs.openSync(img, 'r+');
  try {
    const bytes = fs.readFileSync(scratch);
    fs.writeSync(fd, bytes, 0, bytes.length, Number(n.dpa + n.startPad + n.dataoff));
  } finally {
    fs.closeSync(fd);
    fs.rmSync(scratch);
  }
}

/** The file system at the data area of `n`, checked read-only on the host: clean or the tool's words. */
function fsck(img: string, n: PaddedNamespace & { fs: Fs }): string {
  const start = n.dpa + n.startPad + n.dataoff;
  const out = tmp.path(`fsck-${n.uuid}.img`);
  const bytes = Buffer.alloc(Number(n.size - n.startPad - n.endTrunc - n.dataoff));
  const fd = fs.openSync(img, 'r');
  fs.readSync(fd, bytes, 0, bytes.length, Number(start));
  fs.closeSync(fd);
  fs.writeFileSync(out, bytes);
  try {
    if (n.fs === 'ext4') execFileSync('/usr/sbin/fsck.ext4', ['-fn', out], { stdio: 'pipe' });
    else execFileSync('/usr/sbin/xfs_repair', ['-n', '-f', out], { stdio: 'pipe' });
    return 'clean';
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? e);
  } finally {
    fs.rmSync(out);
  }
}

const firstBytes = (img: string, at: bigint): string => {
  const b = Buffer.alloc(2048);
  const fd = fs.openSync(img, 'r');
  fs.readSync(fd, b, 0, 2048, Number(at));
  fs.closeSync(fd);
  return b.toString('hex');
};

/** What the kernel showed of each namespace: dpa, mode, and the first bytes of its block device. */
function shown(o: KernelObservation | undefined): string[] {
  return (o?.namespaces ?? []).map(
    (n) =>
      `${n.dpa ?? '?'} ${n.observation.namespaceMode ?? '?'} ` +
      `${n.observation.blockDevice?.firstBytes?.slice(0, 64) ?? '-'}`,
  );
}

function kernelsToRun(): KernelVersion[] {
  const env = process.env['ND_KERNELS'];
  if (env === undefined || env.trim() === '') return [...KERNEL_VERSIONS];
  return env.split(',').map((v) => parseKernelVersion(v));
}

/** The first 8 KiB of the namespace at `at` in `img` (its info-block at 4096). */
const headAt = (img: string, at: bigint): Buffer => {
  const b = Buffer.alloc(8192);
  const fd = fs.openSync(img, 'r');
  fs.readSync(fd, b, 0, 8192, Number(at));
  fs.closeSync(fd);
  return b;
};

/** One namespace to judge under DAX: where it is in its image, and its image's role. */
interface DaxSubject {
  label: string;
  img: string;
  dpa: bigint;
  /** The namespace's physical address (the validator judges it there). */
  base: bigint;
  size: bigint;
  /** The labelled namespace's uuid (undefined: label-less). */
  uuid?: string;
  /** The expected outcome besides the validator's (after: consistent; 1 MiB before: refused or misplaced). */
  want: DaxOutcome | null;
}

const show = (outcome: DaxOutcome | null, shift: bigint | null): string =>
  outcome === 'misplaced' ? `misplaced ${shift === null ? '?' : hex(shift)}` : `${outcome ?? 'none'}`;

/** Per kernel: the DAX answers (before → after per case) and the seconds of the one run. */
export interface RealignDaxFigures {
  lines: string[];
  seconds: number;
  boots: number;
}

async function runKernel(kernel: KernelVersion, figures: RealignDaxFigures): Promise<string[]> {
  const dir = tmp.path(kernel);
  fs.mkdirSync(dir);
  const problems: string[] = [];
  const specs: BootImage[] = [];
  const expected: { before: string[]; after: string[]; id: string }[] = [];
  const subjects: DaxSubject[][] = [];
  const oneMiB = (k: KernelVersion): DaxOutcome => (k === '5.10' ? 'refused' : 'misplaced');
  for (const c of CASES) {
    const before = path.join(dir, `${c.id}-before.img`);
    const end = c.namespaces.reduce((m, x) => (x.dpa + x.size > m ? x.dpa + x.size : m), 0n);
    writeDimm(before, end + 2n * MiB + LSA, LSA, c.namespaces);
    for (const n of c.namespaces) mkfsInto(before, n);
    const after = path.join(dir, `${c.id}-after.img`);
    fs.copyFileSync(before, after);
    const hashes = c.namespaces.map((n) =>
      hashRange(after, n.dpa + n.startPad + n.dataoff, n.dpa + n.size - n.endTrunc),
    );
    realignTarget({ target: after, labelSize: LSA, dimmBase: BASE });
    c.namespaces.forEach((n, i) => {
      const h = hashRange(after, n.dpa + n.startPad + n.dataoff, n.dpa + n.size - n.endTrunc);
      if (h !== hashes[i]) problems.push(`${c.id}: the data area of ${n.uuid} changed`);
      const f = fsck(after, n);
      if (f !== 'clean') problems.push(`${c.id}: ${n.fs} of ${n.uuid} not clean after realign: ${f}`);
    });
    const fsBytes = (n: PaddedNamespace): string => firstBytes(after, n.dpa + n.startPad + n.dataoff).slice(0, 64);
    expected.push({
      id: c.id,
      before: c.namespaces.map((n) => `${n.dpa} memory ${fsBytes(n)}`),
      after: c.namespaces.map((n) => `${n.dpa + n.startPad} memory ${fsBytes(n)}`),
    });
    const beforeSubjects = c.namespaces.map((n, j) => ({
      label: `${c.id} ns${j + 1} before`,
      img: before,
      dpa: n.dpa,
      base: BASE + n.dpa,
      size: n.size,
      uuid: n.uuid,
      want: n.startPad === 1n * MiB ? oneMiB(kernel) : null,
    }));
    subjects.push(beforeSubjects, [
      ...c.namespaces.map((n, j) => ({
        label: `${c.id} ns${j + 1} after`,
        img: after,
        dpa: n.dpa + n.startPad,
        base: BASE + n.dpa + n.startPad,
        size: n.size - n.startPad - n.endTrunc,
        uuid: n.uuid,
        want: 'consistent' as const,
      })),
    ]);
    // A DIMM with a namespace the validator says crashes boots alone (its oops ends the boot).
    const crashes = beforeSubjects.some(
      (x) => validatorExpectation(headAt(before, x.dpa), x.base, x.size, kernel, null, x.uuid)?.outcome === 'crashes',
    );
    specs.push(
      { path: before, base: BASE, labelSize: LSA, ...(crashes ? { isolate: true } : {}) },
      { path: after, base: BASE, labelSize: LSA },
    );
  }
  // A label-less image at a fixed address, rebased to the next 2 MiB-aligned one (probed before and after).
  const ll = path.join(dir, 'labelless.img');
  const llSize = 64n * MiB;
  fs.writeFileSync(ll, '');
  fs.truncateSync(ll, Number(llSize));
  const llFields = recipeFields({ size: llSize, uuid: U(5), offset: BASE + 0x100000n });
  const fdl = fs.openSync(ll, 'r+');
  fs.writeSync(fdl, headWithBlock(encodePfnBlock(llFields)), 0, 8192, 0);
  fs.closeSync(fdl);
  const llData = llFields.startPad + llFields.dataoff;
  mkfsInto(ll, {
    uuid: U(5),
    dpa: 0n,
    size: llSize,
    startPad: llFields.startPad,
    endTrunc: llFields.endTrunc,
    dataoff: llFields.dataoff,
    fs: 'ext4',
  });
  const llPrior = path.join(dir, 'labelless-before.img');
  fs.copyFileSync(ll, llPrior);
  const llBefore = hashRange(ll, llData, llSize - 2n * MiB);
  rebaseTarget({ target: ll, nsBase: BASE + 0x100000n, toBase: BASE + 0x200000n, nsSize: llSize });
  if (hashRange(ll, llData, llSize - 2n * MiB) !== llBefore) problems.push('labelless: the data changed');
  specs.push({ path: llPrior, base: BASE + 0x100000n }, { path: ll, base: BASE + 0x200000n });
  subjects.push(
    [{ label: 'labelless before', img: llPrior, dpa: 0n, base: BASE + 0x100000n, size: llSize, want: oneMiB(kernel) }],
    [{ label: 'labelless after', img: ll, dpa: 0n, base: BASE + 0x200000n, size: llSize, want: 'consistent' }],
  );

  const t0 = Date.now();
  const progress = (line: string): void => {
    if (process.env['ND_PROGRESS'] === '1') console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s ${line}`);
  };
  const run = await bootDaxImages(specs, { kernel, timeoutMs: 600_000, onProgress: progress }, 'read');
  figures.seconds = (Date.now() - t0) / 1000;
  figures.boots = run.boots.length;
  figures.lines.push(
    `boots: ${run.boots.map((b) => `${b.images} images ${b.seconds.toFixed(0)} s`).join(', ')}; DAX section ` +
      `${run.probeSeconds.map((x) => x.toFixed(1)).join(', ')} s guest time`,
  );
  const observations = run.results.map((r) => r.observation);
  CASES.forEach((c, i) => {
    const e = expected[i]!;
    const before = shown(observations[2 * i]);
    const after = shown(observations[2 * i + 1]);
    // A DIMM that crashed the kernel has no report to compare: its DAX answer is the crash.
    if (observations[2 * i]?.crash === null && JSON.stringify(before) !== JSON.stringify(e.before))
      problems.push(`${c.id} before: kernel showed ${JSON.stringify(before)}, expected ${JSON.stringify(e.before)}`);
    if (JSON.stringify(after) !== JSON.stringify(e.after))
      problems.push(`${c.id} after: kernel showed ${JSON.stringify(after)}, expected ${JSON.stringify(e.after)}`);
  });
  const llObs = observations[2 * CASES.length + 1];
  const llShown = `${llObs?.namespaceMode ?? '?'} ${llObs?.blockDevice?.firstBytes?.slice(0, 64) ?? '-'}`;
  const llWant = `memory ${firstBytes(ll, llData).slice(0, 64)}`;
  if (llShown !== llWant) problems.push(`labelless after rebase: kernel showed ${llShown}, expected ${llWant}`);

  // DAX: every namespace's booted answer against the validator's and against what realign/rebase promise.
  run.results.forEach((r, i) => {
    const subs = subjects[i] ?? [];
    // A labelled DIMM answers per namespace (by dpa); a DIMM that crashed the kernel before its report has
    // no namespaces: each of them carries the crash.
    const answers = subs.map((x) =>
      r.namespaces === undefined
        ? { dax: r.dax, raw: r.raw }
        : (r.namespaces.find((m) => m.dpa === x.dpa) ?? { dax: r.dax, raw: undefined }),
    );
    subs.forEach((x, j) => {
      const a = answers[j];
      const d = a?.dax;
      const probed = a?.raw === undefined ? null : probedRange(a.raw.record);
      const v = validatorExpectation(headAt(x.img, x.dpa), x.base, x.size, kernel, probed, x.uuid);
      const seen = show(d?.outcome ?? null, d?.shift ?? null);
      figures.lines.push(`${x.label}: ${seen}${x.want === d?.outcome ? '' : ` (${d?.reason ?? 'no answer'})`}`);
      if (v === null) problems.push(`${x.label}: the validator gives no DAX verdict`);
      else if (show(v.outcome, v.shift) !== seen)
        problems.push(
          `${x.label}: booted ${seen}, the validator says ${show(v.outcome, v.shift)} (${d?.reason ?? ''})`,
        );
      if (x.want !== null && d?.outcome !== x.want) problems.push(`${x.label}: booted ${seen}, expected ${x.want}`);
      if (x.want === 'consistent' && (d === undefined || d.files === 0 || d.pagesDiffering !== 0 || d.mount !== 'dax'))
        problems.push(
          `${x.label}: not every file read the same through read(2) and mmap (${d?.reason ?? 'no answer'})`,
        );
    });
  });
  console.log(
    `realign/rebase, Linux ${kernel}: ${specs.length} images, ${run.boots.length} boots in ` +
      `${figures.seconds.toFixed(0)} s; ${problems.length} problem(s)\n  ${figures.lines.join('\n  ')}`,
  );
  return problems;
}

describe('realign and rebase under real kernels', () => {
  test.each(kernelsToRun())(
    'Linux %s: realigned namespaces are claimed at their new base, data in place',
    async (k) => {
      if ((await findOnPath('qemu-system-x86_64')) === null) {
        if (process.env['CI'] === 'true') throw new Error('qemu-system-x86_64 not found');
        console.warn('SKIPPED realign boot test: qemu-system-x86_64 not found');
        return;
      }
      const problems = await runKernel(k, { lines: [], seconds: 0, boots: 0 });
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  );
});
