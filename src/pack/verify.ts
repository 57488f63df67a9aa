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
import type { BootOptions, KernelObservation } from '../kernel/types';
import type { KernelVersion } from '../kernel/kernels';
import type { PackPlan } from './layout';

/** One kernel's answer for a packed image. */
export interface PackVerification {
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

/** Boot `file` (packed as `plan`) on each kernel and check what it showed. */
export async function verifyPacked(
  file: string,
  plan: PackPlan,
  kernels: readonly KernelVersion[],
  opts: Omit<BootOptions, 'kernel'> = {},
): Promise<PackVerification[]> {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(2048);
  try {
    fs.readSync(fd, head, 0, head.length, Number(plan.dataStart));
  } finally {
    fs.closeSync(fd);
  }
  const firstBytes = head.toString('hex');
  const image = { path: file, base: plan.nsBase, ...(plan.labelSize === null ? {} : { labelSize: plan.labelSize }) };
  const out: PackVerification[] = [];
  for (const kernel of kernels) {
    const [o] = await bootImages([image], { ...opts, kernel });
    if (o === undefined) continue;
    const problems = problemsOf(o, plan, firstBytes);
    out.push({
      kernel,
      release: o.kernelRelease,
      outcome: outcomeOf(o),
      device: o.claim?.device ?? null,
      ok: problems.length === 0,
      problems,
    });
  }
  return out;
}
