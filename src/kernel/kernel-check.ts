/**
 * kernelCheck: boot the images under a real kernel and return one verdict per
 * image (bootImages + observationToVerdict), in argument order.
 */

import { bootImages, type BootOptions, type KernelObservation } from './harness';
import { observationToVerdict, type KernelVerdict } from './verdict';
import { expectArray, expectOptions } from '../format/guard';

export interface KernelCheckSpec {
  path: string;
  base: bigint;
  /** Boot alone, before the others (predicted to crash the guest kernel). */
  isolate?: boolean;
  /** Attach as a labelled NVDIMM with a label area of this many bytes at its end. */
  labelSize?: bigint;
}

/** The kernel's view of one namespace of a labelled DIMM: what it created from the labels, and its verdict. */
export interface LabelledNamespaceVerdict {
  name: string;
  /** sysfs `alt_name`: the label's name. */
  altName: string | null;
  uuid: string | null;
  dpa: bigint | null;
  size: bigint | null;
  /** The namespace's sysfs mode (raw, fsdax/memory, devdax/dax, sector/safe). */
  mode: string | null;
  /** The pfn/dax/btt device holding it, if any. */
  claim: string | null;
  verdict: KernelVerdict;
}

/** The labelled namespaces of an observation (empty for a label-less DIMM). */
export function labelledVerdicts(o: KernelObservation): LabelledNamespaceVerdict[] {
  expectOptions(o, 'o');
  return (o.namespaces ?? []).map((n) => ({
    name: n.name,
    altName: n.altName,
    uuid: n.uuid,
    dpa: n.dpa,
    size: n.size,
    mode: n.observation.namespaceMode,
    claim: n.observation.claim?.device ?? null,
    verdict: observationToVerdict(n.observation, n.observation.base),
  }));
}

export interface KernelCheckResult {
  verdicts: KernelVerdict[];
  observations: KernelObservation[];
}

/** Verdicts and the raw observations behind them. */
export async function kernelCheckDetailed(
  specs: readonly KernelCheckSpec[],
  opts: BootOptions = {},
): Promise<KernelCheckResult> {
  expectArray(specs, 'specs');
  expectOptions(opts, 'opts', true);
  const observations = await bootImages(specs, opts);
  const verdicts = observations.map((o, i) => observationToVerdict(o, specs[i]?.base ?? o.base));
  return { verdicts, observations };
}

export async function kernelCheck(specs: readonly KernelCheckSpec[], opts: BootOptions = {}): Promise<KernelVerdict[]> {
  expectArray(specs, 'specs');
  expectOptions(opts, 'opts', true);
  return (await kernelCheckDetailed(specs, opts)).verdicts;
}
