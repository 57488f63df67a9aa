/**
 * Proof on booted kernels that a packed image works: each kernel (QEMU, the
 * project's harness) is booted with the image as an NVDIMM at its namespace
 * base; the namespace must be claimed by the personality asked for, with
 * the data start and size the plan wrote, and (fsdax) the block device's
 * first bytes must be the packed content's. When the harness's DAX probe
 * (`kernel-check --dax`: mount with DAX, every file through read(2) and
 * mmap) is available, this is the place to call it.
 */
import * as fs from 'node:fs';
import { hex } from '../format/int64';
import { bootImages } from '../kernel/harness';
import { kernelCheckDax } from '../kernel/dax-check';
import type { BootOptions, KernelObservation } from '../kernel/types';
import type { KernelVersion } from '../kernel/kernels';
import type { PackPlan } from './layout';
import { expectArray, expectFields, expectOptions, expectString } from '../format/guard';

/** One kernel's answer for a packed image. */
export interface PackVerification {
  /**
   * The DAX probe (kernel-check --dax, read mode) on a label-less plain image: how `mount -o dax` went
   * (fsdax) and whether every file read the same through read(2) and mmap (outcome consistent); null where
   * the probe does not apply (labelled and Kata-style images: claim and data checks only).
   */
  dax: { outcome: string | null; mount: string | null; files: number; pagesCompared: number; reason: string } | null;
  kernel: KernelVersion;
  /** `uname -r` of the booted guest. */
  release: string | null;
  /** `claimed`, `raw`, `refused` or `crashed`, as the guest showed it. */
  outcome: 'claimed' | 'raw' | 'refused' | 'crashed';
  /** The device the guest made (`pfn0.1`, `dax0.1`). */
  device: string | null;
  /** True when everything below held. */
  ok: boolean;
  /** What did not hold, one sentence each. */
  problems: string[];
}

function outcomeOf(o: KernelObservation): PackVerification['outcome'] {
  if (o.crash !== null) return 'crashed';
  if (o.claim !== null && o.claim.driver !== null) return 'claimed';
  return o.probeErrno !== null ? 'refused' : 'raw';
}

function problemsOf(o: KernelObservation, plan: PackPlan, firstBytes: string): string[] {
  const problems: string[] = [];
  const kind = plan.mode === 'devdax' ? 'dax' : 'pfn';
  if (o.claim?.kind !== kind || o.claim.driver === null) {
    problems.push(`the namespace was not claimed as ${plan.mode}`);
    return problems;
  }
  const start = o.guestBase + plan.dataStart;
  if (o.dataStart !== start)
    problems.push(`the data starts at ${hex(o.dataStart ?? -1n)}, the image was packed for ${hex(start)}`);
  if (o.dataSize !== plan.dataSize) problems.push(`the guest sees ${o.dataSize} data bytes, not ${plan.dataSize}`);
  if (plan.mode === 'fsdax') {
    const seen = o.blockDevice?.firstBytes ?? null;
    if (seen === null) problems.push('the guest did not report the block device');
    else if (seen !== firstBytes.slice(0, seen.length) || seen.length === 0)
      problems.push(`${o.blockDevice?.name ?? 'the block device'} does not begin with the packed data`);
  }
  return problems;
}

/** A packed image to verify: its file and the plan it was packed with. */
export interface PackedImage {
  file: string;
  plan: PackPlan;
}

/** The first 2 KiB of the data area, as hex (what the harness reports of the block device). */
function firstBytesOf(p: PackedImage): string {
  const fd = fs.openSync(p.file, 'r');
  const head = Buffer.alloc(2048);
  try {
    fs.readSync(fd, head, 0, head.length, Number(p.plan.dataStart));
  } finally {
    fs.closeSync(fd);
  }
  return head.toString('hex');
}

/** One kernel's observation of one packed image, judged. A labelled DIMM is judged by its one namespace. */
export function judgeObservation(kernel: KernelVersion, obs: KernelObservation, p: PackedImage): PackVerification {
  expectString(kernel, 'kernel');
  expectOptions(obs, 'obs');
  expectFields(p, 'p', { file: 'string', plan: 'object' });
  const o = p.plan.labelSize === null ? obs : (obs.namespaces?.[0]?.observation ?? obs);
  const problems = problemsOf(o, p.plan, firstBytesOf(p));
  if (p.plan.labelSize !== null && obs.namespaces?.[0]?.uuid !== p.plan.namespaceUuid)
    problems.push(`the kernel did not create the labelled namespace ${p.plan.namespaceUuid ?? ''}`);
  return {
    dax: null,
    kernel,
    release: o.kernelRelease,
    outcome: outcomeOf(o),
    device: o.claim?.device ?? null,
    ok: problems.length === 0,
    problems,
  };
}

/**
 * Boot every image on each kernel (all images in one boot per kernel, each
 * at an address congruent to its namespace base) and judge what the guest
 * showed. Result: per kernel, one answer per image, in order.
 */
export async function verifyPackedImages(
  images: readonly PackedImage[],
  kernels: readonly KernelVersion[],
  opts: Omit<BootOptions, 'kernel'> = {},
): Promise<PackVerification[][]> {
  expectArray(images, 'images');
  expectArray(kernels, 'kernels');
  expectOptions(opts, 'opts', true);
  const boot = images.map((p) => ({
    path: p.file,
    base: p.plan.nsBase,
    ...(p.plan.labelSize === null ? {} : { labelSize: p.plan.labelSize }),
  }));
  // Label-less plain images get the DAX probe (mount -o dax, every file through read(2) and mmap); the
  // probe mounts the filesystem at the data start of an unlabelled namespace, so labelled and Kata images
  // get the claim and data checks only.
  const probed = images.map((p) => p.plan.labelSize === null && p.plan.layout === 'plain');
  const out: PackVerification[][] = [];
  for (const kernel of kernels) {
    const row: PackVerification[] = new Array<PackVerification>(images.length);
    const rest = images.map((_, i) => i).filter((i) => !probed[i]);
    if (rest.length > 0) {
      const obs = await bootImages(
        rest.map((i) => boot[i] as (typeof boot)[number]),
        { ...opts, kernel },
      );
      rest.forEach(
        (i, j) => (row[i] = judgeObservation(kernel, obs[j] as KernelObservation, images[i] as PackedImage)),
      );
    }
    const dax = images.map((_, i) => i).filter((i) => probed[i]);
    if (dax.length > 0) {
      const r = await kernelCheckDax(
        dax.map((i) => ({ path: (images[i] as PackedImage).file, base: (images[i] as PackedImage).plan.nsBase })),
        { ...opts, kernel },
        'read',
      );
      dax.forEach((i, j) => {
        const item = r.items[j];
        const p = images[i] as PackedImage;
        if (item === undefined) return;
        const v = judgeObservation(kernel, item.observation, p);
        const d = item.dax;
        const problems = [...v.problems];
        // null: nothing to compare (no file of a whole page): the mount and the claim still count.
        if (d.outcome !== null && d.outcome !== 'consistent')
          problems.push(`the DAX probe: ${d.outcome} (${d.reason})`);
        if (p.plan.mode === 'fsdax' && d.mount !== 'dax') problems.push(`mount -o dax: ${d.mount ?? 'not mounted'}`);
        row[i] = {
          ...v,
          ok: problems.length === 0,
          problems,
          dax: { outcome: d.outcome, mount: d.mount, files: d.files, pagesCompared: d.pagesCompared, reason: d.reason },
        };
      });
    }
    out.push(row);
  }
  return out;
}

/** Boot `file` (packed as `plan`) on each kernel and judge what it showed: one answer per kernel. */
export async function verifyPacked(
  file: string,
  plan: PackPlan,
  kernels: readonly KernelVersion[],
  opts: Omit<BootOptions, 'kernel'> = {},
): Promise<PackVerification[]> {
  expectString(file, 'file');
  expectOptions(plan, 'plan');
  expectArray(kernels, 'kernels');
  expectOptions(opts, 'opts', true);
  const all = await verifyPackedImages([{ file, plan }], kernels, opts);
  return all.map((row) => row[0] as PackVerification);
}
