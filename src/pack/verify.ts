/**
 * Proof on booted kernels that a packed image works: each kernel (QEMU, the
 * project's harness) is booted with the image as an NVDIMM at its namespace
 * base; the namespace must be claimed by the personality asked for, with
 * the data start and size the plan wrote, and (fsdax) the block device's
 * first bytes must be the packed content's, and the DAX probe
 * (`kernel-check --dax`: mount with DAX, every file through read(2) and
 * mmap) must find them consistent.
 */
import * as fs from 'node:fs';
import { hex } from '../format/int64';
import type { DaxObservation } from '../kernel/dax';
import { kernelCheckDax, type DaxCheckItem } from '../kernel/dax-check';
import type { BootOptions, KernelObservation } from '../kernel/types';
import type { KernelVersion } from '../kernel/kernels';
import type { PackPlan } from './layout';
import { expectArray, expectFields, expectOptions, expectString } from '../format/guard';

/** One kernel's answer for a packed image. */
export interface PackVerification {
  /**
   * The DAX probe (kernel-check --dax, read mode): how `mount -o dax` went (fsdax; a labelled DIMM: its
   * namespace; a Kata-style image: its partition) and whether every file read the same through read(2)
   * and mmap (outcome consistent); null only in answers judged without a boot.
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

/** The DAX probe's answer for a packed image: a labelled DIMM's one namespace, else the image's. */
function daxOf(item: DaxCheckItem): DaxObservation {
  return item.namespaces?.[0]?.dax ?? item.dax;
}

/**
 * Boot every image on each kernel with the DAX probe (kernel-check --dax, read mode; all images in as
 * few boots as the harness plans, each at an address congruent to its namespace base) and judge what the
 * guest showed: the claim, the data start and size, the first bytes, and under DAX (`mount -o dax`, every
 * file through read(2) and mmap): a plain image's filesystem at the data start, a labelled DIMM's
 * namespace the kernel created from the labels, a Kata-style image's partition (/dev/pmemNp1).
 * Result: per kernel, one answer per image, in order.
 */
export async function verifyPackedImages(
  images: readonly PackedImage[],
  kernels: readonly KernelVersion[],
  opts: Omit<BootOptions, 'kernel'> = {},
): Promise<PackVerification[][]> {
  expectArray(images, 'images');
  expectArray(kernels, 'kernels');
  expectOptions(opts, 'opts', true);
  const specs = images.map((p) => ({
    path: p.file,
    base: p.plan.nsBase,
    ...(p.plan.labelSize === null ? {} : { labelSize: p.plan.labelSize }),
  }));
  const out: PackVerification[][] = [];
  for (const kernel of kernels) {
    const r = await kernelCheckDax(specs, { ...opts, kernel }, 'read');
    out.push(
      images.map((p, i) => {
        const item = r.items[i] as DaxCheckItem;
        const v = judgeObservation(kernel, item.observation, p);
        const d = daxOf(item);
        const problems = [...v.problems];
        // null: nothing to compare (no file of a whole page): the mount and the claim still count.
        if (d.outcome !== null && d.outcome !== 'consistent')
          problems.push(`the DAX probe: ${d.outcome} (${d.reason})`);
        if (p.plan.mode === 'fsdax' && d.mount !== 'dax') problems.push(`mount -o dax: ${d.mount ?? 'not mounted'}`);
        return {
          ...v,
          ok: problems.length === 0,
          problems,
          dax: { outcome: d.outcome, mount: d.mount, files: d.files, pagesCompared: d.pagesCompared, reason: d.reason },
        };
      }),
    );
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
