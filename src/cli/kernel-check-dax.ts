/**
 * `kernel-check --dax[=read|write|scratch]`: the DAX probe's presentation. Every image's kernel verdict
 * line, then its DAX line (outcome, shift, how the filesystem mounted, pages compared and differing)
 * and, in write mode, where each marker written through a mapping landed; --json carries a `dax`
 * object on each verdict and the run's `dax_probe` (mode, that it worked on copies, boot and probe
 * times). --compare checks the DAX predictions a corpus manifest's rows carry.
 */

import { escapeText } from '../format/escape';
import { hex } from '../format/int64';
import { jsonText } from '../format/json';
import type { DaxObservation, DaxProbeMode } from '../kernel/dax';
import { DAX_PROBE_MODES } from '../kernel/dax';
import { kernelCheckDax, type DaxCheckItem, type DaxCheckResult } from '../kernel/dax-check';
import type { BootOptions } from '../kernel/types';
import { bootDaxImages } from '../kernel/harness';
import { labelledVerdicts, type KernelCheckSpec } from '../kernel/kernel-check';
import { readManifestRows } from '../kernel/manifest';
import { observationToVerdict } from '../kernel/verdict';
import { InvalidArgumentError } from '../format/errors';
import * as path from 'node:path';
import { ExitCode } from './exit-code';
import type { CliIo } from './io';
import { formatLabelled, kernelCheckBody, kernelOf, verdictLine, type KernelCheckItem } from './kernel-check-render';

/** `--dax` alone is `read`. */
export function daxMode(v: string | boolean): DaxProbeMode {
  if (v === true) return 'read';
  if (typeof v === 'string' && (DAX_PROBE_MODES as readonly string[]).includes(v)) return v as DaxProbeMode;
  throw new InvalidArgumentError(
    `bad --dax mode '${String(v)}': expected ${DAX_PROBE_MODES.join(', ')} ` +
      '(write --dax=MODE, or --dax after the images)',
  );
}

/** The sentence every DAX run says first: the probe never touches the caller's images. */
export function copiesNote(mode: DaxProbeMode): string {
  const what =
    mode === 'write'
      ? 'writes markers through DAX mappings of sparse copies'
      : mode === 'scratch'
        ? 'makes a scratch ext4 in the data area of sparse copies and maps it'
        : 'maps sparse copies';
  return `DAX probe (${mode}): ${what}; the images themselves are never written`;
}

/** One namespace's DAX line. */
export function daxLine(d: DaxObservation): string {
  const parts: string[] = [d.outcome ?? 'not probed'];
  if (d.outcome === 'misplaced' || d.outcome === 'consistent')
    parts.push(`shift=${d.shift === null ? '?' : hex(d.shift)}`);
  if (d.filesystem !== null) parts.push(d.filesystem);
  if (d.mount !== null) parts.push(`mount=${d.mount}`);
  if (d.pagesCompared > 0) parts.push(`pages=${d.pagesCompared} differing=${d.pagesDiffering}`);
  return `  dax: ${parts.join(' ')}: ${d.reason}`;
}

/** Where each marker written through a mapping landed (write mode). */
export function writeLines(d: DaxObservation): string[] {
  return d.writes.map((w) => {
    const at = w.expected === null ? 'its block (offset unknown)' : hex(w.expected);
    const landed =
      w.landed === null
        ? 'nowhere in the image'
        : w.shift === 0n
          ? `at ${hex(w.landed)}, its own block`
          : `at ${hex(w.landed)}${w.shift === null ? '' : `, ${hex(w.shift)} bytes below`}`;
    const seen = w.readBack ? 'sees it' : 'does not see it';
    return `  dax write ${w.path}: the block at image offset ${at}; the marker landed ${landed}; read(2) ${seen}`;
  });
}

/** The `dax` object of a verdict in the JSON document (camelCase, bigints). */
export function daxBody(d: DaxObservation): object {
  return {
    outcome: d.outcome,
    reason: d.reason,
    shift: d.shift,
    device: d.device,
    filesystem: d.filesystem,
    mount: d.mount,
    mountOptions: d.mountOptions,
    mountError: d.mountError,
    files: d.files,
    pagesCompared: d.pagesCompared,
    pagesDiffering: d.pagesDiffering,
    pagesExplained: d.pagesExplained,
    writes: d.writes.map((w) => ({
      path: w.path,
      expected: w.expected,
      landed: w.landed,
      shift: w.shift,
      readBack: w.readBack,
    })),
    crash: d.crash,
    messages: d.messages,
  };
}

const daxSafe = (d: DaxObservation): boolean => d.outcome === 'consistent' || d.outcome === 'refused';

/**
 * 0 when every namespace is claimed and safe under DAX (consistent, or DAX refused), else 1. A labelled
 * DIMM: every namespace the kernel created from its labels (at least one).
 */
export function daxStatus(items: readonly DaxCheckItem[]): 0 | 1 {
  const safe = (it: DaxCheckItem): boolean => {
    if (it.namespaces === undefined) return it.verdict.outcome === 'claimed' && daxSafe(it.dax);
    const claimed = new Map(labelledVerdicts(it.observation).map((n) => [n.name, n.verdict.outcome === 'claimed']));
    return it.namespaces.length > 0 && it.namespaces.every((n) => claimed.get(n.name) === true && daxSafe(n.dax));
  };
  return items.every(safe) ? 0 : 1;
}

/** A labelled DIMM's text: its line, then each namespace's verdict line followed by its DAX lines. */
export function labelledDaxText(it: DaxCheckItem): string {
  const at = `${escapeText(it.spec.path)}@${hex(it.spec.base)}`;
  const byName = new Map((it.namespaces ?? []).map((n) => [n.name, n.dax]));
  return formatLabelled(at, labelledVerdicts(it.observation), it.observation.setCookie ?? null, (n) => {
    const d = byName.get(n.name);
    return d === undefined ? [] : [`  ${daxLine(d)}`, ...writeLines(d).map((l) => `  ${l}`)];
  });
}

/** A labelled DIMM's document: each namespace of the labelled body gains its `dax` object. */
export function labelledDaxBody(verdict: { namespaces?: { name: string }[] }, it: DaxCheckItem): object {
  const byName = new Map((it.namespaces ?? []).map((n) => [n.name, n.dax]));
  return {
    ...verdict,
    dax: daxBody(it.dax),
    namespaces: (verdict.namespaces ?? []).map((n) => {
      const d = byName.get(n.name);
      return d === undefined ? n : { ...n, dax: daxBody(d) };
    }),
  };
}

/** The run's own facts for the document: mode, copies, boots and the guest's time in the probe. */
function probeBody(mode: DaxProbeMode, r: DaxCheckResult): object {
  return {
    mode,
    copies: 'sparse',
    boots: r.run.boots.map((b) => ({ boot: b.boot, images: b.images, seconds: Math.round(b.seconds * 10) / 10 })),
    probeSeconds: r.run.probeSeconds.map((s) => Math.round(s * 100) / 100),
  };
}

export async function daxAction(
  io: CliIo,
  specs: readonly KernelCheckSpec[],
  opts: BootOptions,
  mode: DaxProbeMode,
  json: boolean,
  labelled = false,
): Promise<never> {
  const r = await kernelCheckDax(specs, opts, mode);
  if (json) {
    const items: KernelCheckItem[] = r.items.map((it) => ({
      spec: it.spec,
      verdict: it.verdict,
      observation: it.observation,
    }));
    const body = kernelCheckBody(
      items,
      kernelOf(
        opts,
        r.items.map((it) => it.observation),
      ),
      labelled,
    ) as {
      verdicts: object[];
    };
    const verdicts = body.verdicts.map((v, i) => {
      const it = r.items[i] as DaxCheckItem;
      return it.namespaces === undefined ? { ...v, dax: daxBody(it.dax) } : labelledDaxBody(v, it);
    });
    io.stdout(`${jsonText('kernel-check', { ...body, verdicts, daxProbe: probeBody(mode, r) })}\n`);
  } else {
    const lines = [copiesNote(mode)];
    for (const it of r.items) {
      if (it.namespaces !== undefined) {
        lines.push(labelledDaxText(it));
        continue;
      }
      lines.push(
        verdictLine(`${it.spec.path}@${hex(it.spec.base)}`, it.verdict),
        daxLine(it.dax),
        ...writeLines(it.dax),
      );
    }
    io.stdout(`${lines.join('\n')}\n`);
  }
  throw new ExitCode(daxStatus(r.items));
}

/** A manifest row's expected DAX verdict for a kernel version, read defensively (null when it has none). */
export function rowDaxPrediction(
  raw: Record<string, unknown>,
  version: string,
): { outcome: string; shift: bigint | null } | null {
  const pick = (v: unknown): { outcome: string; shift: bigint | null } | null => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const o = v as Record<string, unknown>;
    if (typeof o['outcome'] === 'string') {
      const s = o['shift'];
      return { outcome: o['outcome'], shift: typeof s === 'string' && /^0x[0-9a-f]+$/.test(s) ? BigInt(s) : null };
    }
    return pick(o[version] ?? o[`linux-${version}`]);
  };
  for (const key of ['dax', 'dax_by_kernel', 'dax_verdicts', 'expected_dax']) {
    const p = pick(raw[key]);
    if (p !== null) return p;
  }
  return null;
}

/** --compare --dax: boot the manifest's files with the DAX guest and check each row's DAX prediction. */
export async function daxCompareAction(
  io: CliIo,
  manifest: string,
  opts: BootOptions,
  mode: DaxProbeMode,
): Promise<never> {
  const { rows, raw: rawRows } = await readManifestRows(manifest);
  const version = opts.kernel ?? '6.1';
  const dir = path.dirname(manifest);
  const predictions = rows.map((_r, i) => rowDaxPrediction(rawRows[i] ?? {}, version));
  const picked = rows.filter((_r, i) => predictions[i] !== null);
  if (picked.length === 0) {
    io.stdout(`${manifest}: no row carries a DAX prediction for Linux ${version}: nothing to compare\n`);
    throw new ExitCode(0);
  }
  const specs = rows.map((r, i) => ({
    path: path.join(dir, r.file),
    base: r.nsBase,
    ...(predictions[i]?.outcome === 'crashes' || r.outcome === 'crashed' ? { isolate: true } : {}),
  }));
  const run = await bootDaxImages(
    specs.filter((_s, i) => predictions[i] !== null),
    opts,
    mode,
  );
  const lines: string[] = [];
  let agree = 0;
  let k = 0;
  rows.forEach((r, i) => {
    const p = predictions[i];
    if (p === null || p === undefined) return;
    const res = run.results[k++];
    if (res === undefined) return;
    const d = res.dax;
    const v = observationToVerdict(res.observation, r.nsBase);
    const diffs: string[] = [];
    if (p.outcome !== (d.outcome ?? 'none'))
      diffs.push(`dax outcome: kernel ${d.outcome ?? 'none'} / manifest ${p.outcome}`);
    else if (p.outcome === 'misplaced' && p.shift !== null && d.shift !== p.shift)
      diffs.push(`dax shift: kernel ${d.shift === null ? '?' : hex(d.shift)} / manifest ${hex(p.shift)}`);
    if (diffs.length === 0) agree++;
    else lines.push(`${r.file}@${hex(r.nsBase)} (${v.outcome}): ${diffs.join('; ')}`);
  });
  lines.push(
    `${manifest}: ${agree} of ${picked.length} DAX prediction${picked.length === 1 ? '' : 's'} ` +
      `agree with Linux ${version}` +
      `${agree === picked.length ? '' : `, ${picked.length - agree} disagree`}` +
      `${rows.length === picked.length ? '' : ` (${rows.length - picked.length} rows carry none)`}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  throw new ExitCode(agree === picked.length ? 0 : 1);
}
