/**
 * What kernel-check presents of a boot, with and without the DAX probe: the verdict lines, a labelled
 * DIMM's namespace lines, the JSON document's body and the exit status. Below both kernel-check.ts and
 * kernel-check-dax.ts (each imports it; neither imports the other's presentation).
 */

import { escapeText } from '../format/escape';
import { hex } from '../format/int64';
import type { BootOptions, KernelObservation } from '../kernel/harness';
import { labelledVerdicts, type LabelledNamespaceVerdict, type KernelCheckSpec } from '../kernel/kernel-check';
import { DEFAULT_KERNEL } from '../kernel/kernels';
import type { KernelVerdict } from '../kernel/verdict';
import { errnoName } from './render';

/** One image with its kernel verdict (and the boot's observation, when there was a boot). */
export interface KernelCheckItem {
  spec: KernelCheckSpec;
  verdict: KernelVerdict;
  observation?: KernelObservation | undefined;
}

/** The kernel that judged: the Debian version asked for, the release it reported, or the caller's image. */
export interface KernelCheckKernel {
  version: string | null;
  release: string | null;
  image: string | null;
}

export function kernelOf(opts: BootOptions, observations: readonly KernelObservation[]): KernelCheckKernel {
  const custom = opts.kernelImage !== undefined;
  return {
    version: custom ? null : (opts.kernel ?? DEFAULT_KERNEL),
    release: observations.find((x) => x.kernelRelease !== null)?.kernelRelease ?? null,
    image: custom ? (opts.kernelImage ?? null) : null,
  };
}

const verdictFields = (v: KernelVerdict): KernelVerdict => ({
  outcome: v.outcome,
  kind: v.kind,
  mode: v.mode,
  errno: v.errno,
  message: v.message,
  messages: v.messages,
  dataStart: v.dataStart,
  dataSize: v.dataSize,
});

/** The verdict of one image for the document: where it was, what the kernel did, and (labelled) its namespaces. */
function verdictBody(it: KernelCheckItem, labelled: boolean): object {
  const ob = it.observation;
  return {
    file: it.spec.path,
    nsBase: it.spec.base,
    ...verdictFields(it.verdict),
    ...(ob === undefined ? {} : { guestBase: ob.guestBase, boot: ob.boot }),
    ...(labelled && ob !== undefined
      ? {
          setCookie: ob.setCookie ?? null,
          namespaces: labelledVerdicts(ob).map((n) => ({ ...n, verdict: verdictFields(n.verdict) })),
        }
      : {}),
  };
}

/** The body of a `kernel-check` document (schemas/kernel-check.schema.json), camelCase with bigints. */
export function kernelCheckBody(
  items: readonly KernelCheckItem[],
  kernel: KernelCheckKernel,
  labelled = false,
): object {
  return { kernel, verdicts: items.map((it) => verdictBody(it, labelled)) };
}

/** 0 when the kernel claimed every image (labelled: every namespace it created), else 1. */
export function kernelCheckStatus(items: readonly KernelCheckItem[], labelled = false): 0 | 1 {
  const claimed = (it: KernelCheckItem): boolean => {
    if (!labelled || it.observation === undefined) return it.verdict.outcome === 'claimed';
    const ns = labelledVerdicts(it.observation);
    return ns.length > 0 && ns.every((n) => n.verdict.outcome === 'claimed');
  };
  return items.every(claimed) ? 0 : 1;
}

/** One verdict line: `FILE@ADDR: outcome kind mode=… errno=N (NAME) data_start=… data_size=…: message`. */
export function verdictLine(at: string, v: KernelVerdict): string {
  if (v.outcome === 'crashed') {
    const oops = v.message === null ? 'panic' : escapeText(v.message).replace(/^kernel crashed: /, '');
    return `${at}: crashed: the guest kernel crashed with this namespace attached (booted alone): ${oops}`;
  }
  const parts: string[] = [v.outcome];
  if (v.kind !== null) parts.push(v.kind);
  if (v.mode !== null) parts.push(`mode=${v.mode}`);
  if (v.errno !== null) parts.push(`errno=${v.errno} (${errnoName(v.errno)})`);
  if (v.dataStart !== null) parts.push(`data_start=${hex(v.dataStart)}`);
  if (v.dataSize !== null) parts.push(`data_size=${hex(v.dataSize)}`);
  return `${at}: ${parts.join(' ')}${v.message !== null ? `: ${escapeText(v.message)}` : ''}`;
}

export function itemText(it: KernelCheckItem, labelled: boolean): string {
  const at = `${escapeText(it.spec.path)}@${hex(it.spec.base)}`;
  if (!labelled || it.observation === undefined) return verdictLine(at, it.verdict);
  return formatLabelled(at, labelledVerdicts(it.observation), it.observation.setCookie ?? null);
}

/** A labelled DIMM: a line for the DIMM (its cookie), then one verdict line per namespace the kernel created. */
export function formatLabelled(
  at: string,
  ns: readonly LabelledNamespaceVerdict[],
  cookie: bigint | null,
  after: (n: LabelledNamespaceVerdict) => string[] = () => [],
): string {
  const head =
    `${at}: ${ns.length} labelled namespace${ns.length === 1 ? '' : 's'}` +
    `${cookie === null ? '' : ` (set_cookie ${hex(cookie)})`}`;
  const lines = ns.map((n) => {
    const alt = n.altName === null ? '' : ` '${escapeText(n.altName)}'`;
    const what = `  ${escapeText(n.name)}${alt} uuid=${n.uuid ?? '?'} size=${n.size ?? '?'} mode=${n.mode ?? '?'}`;
    return [verdictLine(`${what} dpa=${hex(n.dpa ?? 0n)}`, n.verdict), ...after(n)];
  });
  return [head, ...lines.flat()].join('\n');
}
