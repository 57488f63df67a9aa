/**
 * kernelCheck: boot the images under a real kernel and return one verdict per
 * image (bootImages + observationToVerdict), in argument order.
 */

import { bootImages, type BootOptions, type KernelObservation } from './harness';
import { observationToVerdict, type KernelVerdict } from './verdict';

export interface KernelCheckSpec {
  path: string;
  base: bigint;
  /** Boot alone, before the others (predicted to crash the guest kernel). */
  isolate?: boolean;
}

export interface KernelCheckResult {
  verdicts: KernelVerdict[];
  observations: KernelObservation[];
}

/** Verdicts and the raw observations behind them. */
export async function kernelCheckDetailed(specs: readonly KernelCheckSpec[], opts: BootOptions = {}): Promise<KernelCheckResult> {
  const observations = await bootImages(specs, opts);
  const verdicts = observations.map((o, i) => observationToVerdict(o, specs[i]?.base ?? o.base));
  return { verdicts, observations };
}

export async function kernelCheck(specs: readonly KernelCheckSpec[], opts: BootOptions = {}): Promise<KernelVerdict[]> {
  return (await kernelCheckDetailed(specs, opts)).verdicts;
}
