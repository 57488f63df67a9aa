/**
 * The real-kernel harness: boots Linux under QEMU (TCG, never KVM) with each
 * image attached as a label-less NVDIMM, and reports what the kernel made of
 * every namespace (KernelObservation). Many images share one boot; each gets
 * its own 1 GiB-aligned stretch of guest physical address space so that no
 * two namespaces share a memory section.
 *
 * Relocation (default on): an image asked for at `base` is placed at a guest
 * address congruent to `base` modulo G = max(1 GiB, next power of two at least its
 * size). Every address check the kernel makes on a namespace (rules 12-14 of
 * docs/format.md, the devdax alignments) uses an alignment of at most G: the
 * block's align is refused before rule 12 when it exceeds the namespace size.
 * So the verdict is the one the kernel would give at `base` itself, while many
 * images that all ask for the same base can share one boot.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { prepareKernelAssets } from './assets';
import { findOnPath } from './host-tools';
import { APT_INSTALL_HINT, KernelHarnessError } from './errors';
import { crashLines, crashObservation, observe, tail } from './observe';
import { bootBisecting, runPool } from './bisect';
import { checkImage, MAX_SLOTS, planBoots } from './plan';
import {
  copyQuery,
  daxCrash,
  emptyFindings,
  mergeQueries,
  type CopyFindings,
  daxNothing,
  daxObservationOf,
  parseDaxSection,
  scanCopy,
  type DaxDeviceRecord,
  type DaxObservation,
  type DaxProbeMode,
  type DaxSection,
} from './dax';
import { DAX_PARAM } from './init-script';
import { qemuArgs, runQemu, sparseCopy, type BootResult } from './qemu';
import { parseGuestReport, type GuestReport } from './guest-report';
import type { BootImage, BootOptions, KernelObservation, Placed } from './types';
import { expectU64, hex } from '../format/int64';
import { interleaveSetCookie, qemuDimm, type LabelVersion } from '../format/labels';
import { restampCookies } from '../format/labels-area';
import { showPath } from '../io/path';
import { expectArray, expectOptions } from '../format/guard';

export type { BootImage, BootOptions, ClaimObservation, KernelMessage, KernelObservation } from './types';
export { planBoots, DEVICE_MEMORY_BASE, DEVICE_MEMORY_LIMIT, MAX_SLOTS, QEMU_PAGE } from './plan';
export { crashLines, observe, probeFailure } from './observe';

/** Per-boot extras of a DAX run: prepare each copy before the boot, inspect the copies after it. */
export interface BootHooks {
  /** Kernel command-line words added to the harness's. */
  append?: readonly string[];
  /**
   * Give a boot of one isolated image the full timeout (not the shorter one for images predicted to crash
   * while probing): its crash comes late, after the report.
   */
  fullTimeout?: boolean;
  prepare?: (copy: string, p: Placed) => Promise<void>;
  /** Called with the copies (same order as `placed`) and the boot's result, before the copies go. */
  inspect?: (copies: readonly string[], res: BootResult) => Promise<void>;
}

interface BootContext {
  qemu: string;
  assets: Awaited<ReturnType<typeof prepareKernelAssets>>;
  opts: BootOptions;
  log: (line: string) => void;
  work: string | null;
  timeoutMs: number;
  counter: { boot: number; planned: number };
  /** Every completed boot's wall-clock time. */
  seconds: BootTiming[];
}

/** How long one boot took. */
export interface BootTiming {
  boot: number;
  images: number;
  seconds: number;
}

/** Timeout of a boot of one image predicted to crash: long enough for the lockup detectors (30 s) to panic. */
const isolatedTimeout = (ctx: BootContext): number => Math.min(ctx.timeoutMs, 90_000);

/** One boot of `placed` (fresh copies each time); the report is null when the boot failed. */
async function bootOnce(
  ctx: BootContext,
  placed: readonly Placed[],
  hooks: BootHooks = {},
): Promise<{ res: BootResult; report: GuestReport | null; boot: number }> {
  const boot = ++ctx.counter.boot;
  const files: string[] = [];
  for (const p of placed) {
    if (ctx.work === null) {
      files.push(path.resolve(p.image.path));
    } else {
      const dst = path.join(ctx.work, `i${p.index}.img`);
      await sparseCopy(p.image.path, dst);
      await hooks.prepare?.(dst, p);
      if (p.image.labelSize !== undefined) await moveLabelsToSlot(dst, p.image.labelSize, placed.indexOf(p));
      files.push(dst);
    }
  }
  const args = qemuArgs(ctx.assets, placed, files, hooks.append ?? []);
  ctx.log(
    `booting ${placed.length} image${placed.length === 1 ? '' : 's'} ` +
      `(boot ${boot}/${Math.max(ctx.counter.planned, boot)})...`,
  );
  let res: BootResult;
  try {
    res = await runQemu(
      ctx.qemu,
      args,
      placed.length === 1 && placed[0]?.image.isolate === true && hooks.fullTimeout !== true
        ? isolatedTimeout(ctx)
        : ctx.timeoutMs,
    );
    await hooks.inspect?.(files, res);
  } finally {
    if (ctx.work !== null) for (const f of files) await fs.rm(f, { force: true });
  }
  const keep = ctx.opts.keepLogsDir;
  if (keep !== undefined) {
    const stem = path.join(keep, `boot-${boot}`);
    await fs.writeFile(`${stem}.serial.log`, res.serial);
    await fs.writeFile(`${stem}.stderr.log`, res.stderr);
    const images = placed.map((p) => ({
      image: p.image.path,
      base: hex(p.image.base),
      guestBase: hex(p.guestBase),
      size: p.size.toString(),
    }));
    await fs.writeFile(
      `${stem}.json`,
      `${JSON.stringify({ qemu: ctx.qemu, args, seconds: res.seconds, exitCode: res.code, images }, null, 2)}\n`,
    );
  }
  return { res, report: res.timedOut ? null : parseGuestReport(res.serial), boot };
}

/**
 * Labels written for QEMU slot 0 (the default of `infoblock labels write`) carry slot 0's interleave-set
 * cookie; in the copy we boot, they get the cookie of the slot the DIMM really occupies. Labels with any
 * other cookie are left as they are (a wrong cookie is something to test).
 */
async function moveLabelsToSlot(file: string, labelSize: bigint, slot: number): Promise<void> {
  if (slot === 0) return;
  const fh = await fs.open(file, 'r+');
  try {
    const { size } = await fh.stat();
    const at = size - Number(labelSize);
    if (at <= 0) return;
    const area = Buffer.alloc(Number(labelSize));
    await fh.read(area, 0, area.length, at);
    const cookies = (v: LabelVersion): { from: bigint; to: bigint } => ({
      from: interleaveSetCookie(qemuDimm(0), v),
      to: interleaveSetCookie(qemuDimm(slot), v),
    });
    if (restampCookies(area, cookies) > 0) await fh.write(area, 0, area.length, at);
  } finally {
    await fh.close();
  }
}

/** Console lines that show a kernel bug hit while probing (an image's fault), unlike a bare boot-time panic. */
const IMAGE_CRASH =
  /^(BUG:|watchdog: BUG: soft lockup|Oops:|general protection fault|kernel BUG at)|blocked for more than \d+ seconds/;

/** A crash line that names a fault (not a watchdog's report of a CPU that stopped making progress). */
const FAULT_LINE = /^(BUG:(?! soft lockup)|Oops:|general protection fault|kernel BUG at)/;

/**
 * Only a watchdog fired (soft lockup or hung task, each set to panic): on a
 * loaded host under TCG the guest can be stalled long enough for that before
 * it reaches the fault the image causes, so the boot says nothing yet about
 * the image.
 */
export function lockupOnly(crash: readonly string[]): boolean {
  return (
    crash.some((l) => /soft lockup|blocked for more than \d+ seconds/.test(l)) && !crash.some((l) => FAULT_LINE.test(l))
  );
}

type CheckedBoot = ({ report: GuestReport; crash: null } | { report: null; crash: string[] }) & {
  boot: number;
  serial: string;
};

/** A boot's report or crash; every other end (timeout, QEMU error, torn report twice) is a KernelHarnessError. */
async function bootChecked(ctx: BootContext, placed: readonly Placed[], hooks: BootHooks = {}): Promise<CheckedBoot> {
  let { res, report, boot } = await bootOnce(ctx, placed, hooks);
  let crash = report === null ? crashLines(res.serial) : null;
  const early = crash !== null && !crash.some((l) => IMAGE_CRASH.test(l));
  const stalled = crash !== null && lockupOnly(crash);
  if (report === null && (early || stalled || (crash === null && !res.timedOut && res.code === 0))) {
    // Seen once in dozens of 200-image boots: the serial log ended inside the
    // report. A second boot of the same images has always completed. A panic
    // without an oops (a boot-time self-test under a loaded host) is no
    // image's fault either.
    const why = early
      ? `panic without an oops (${crash?.[0] ?? ''})`
      : stalled
        ? `a watchdog panic before any fault (${crash?.[0] ?? ''}): the host was too slow`
        : 'incomplete report';
    ctx.log(`boot ${boot}: ${why}, booting again...`);
    ctx.counter.planned++;
    ({ res, report, boot } = await bootOnce(ctx, placed, hooks));
    crash = report === null ? crashLines(res.serial) : null;
  }
  if (report === null && crash !== null) return { report: null, crash, boot, serial: res.serial };
  const only = placed.length === 1 ? placed[0] : undefined;
  if (res.timedOut && only?.image.isolate === true) {
    // An image predicted to crash the kernel that hangs it instead (no panic
    // within the lockup detectors' time): its own observation, not a harness failure.
    return {
      report: null,
      crash: [`no report: the guest hung and was killed after ${Math.round(isolatedTimeout(ctx) / 1000)} s`],
      boot,
      serial: res.serial,
    };
  }
  if (res.timedOut) {
    const secs = Math.round(ctx.timeoutMs / 1000);
    const last = tail(res.serial, 3) || '(none)';
    throw new KernelHarnessError(
      'timeout',
      `boot ${boot} (${placed.length} images) did not power off within ${secs} s and was killed; last ` +
        `serial output: ${last}`,
    );
  }
  if (report === null) {
    const saved = path.join(os.tmpdir(), `nd-infoblock-boot-${process.pid}-${Date.now()}.log`);
    await fs.writeFile(saved, `${res.serial}\n--- stderr ---\n${res.stderr}`).catch(() => undefined);
    const why =
      res.code !== 0
        ? `QEMU exited with ${res.code}: ${tail(res.stderr, 2) || '(no message)'}`
        : `no complete report on the serial console (log saved to ${saved})`;
    throw new KernelHarnessError(res.code !== 0 ? 'qemu-failed' : 'bad-report', `boot ${boot}: ${why}`);
  }
  if (report.insmodFailed.length > 0) {
    throw new KernelHarnessError(
      'module-missing',
      `boot ${boot}: the guest could not load ${report.insmodFailed.join(', ')} (kernel and modules from ` +
        `different builds?)`,
    );
  }
  ctx.log(`boot ${boot} done in ${res.seconds.toFixed(1)} s`);
  ctx.seconds.push({ boot, images: placed.length, seconds: res.seconds });
  return { report, crash: null, boot, serial: res.serial };
}

/** Kernel assets for the options (Debian package by version, or the caller's kernel). */
function assetOptions(opts: BootOptions, log: (line: string) => void): Parameters<typeof prepareKernelAssets>[0] {
  const a: Parameters<typeof prepareKernelAssets>[0] = { log };
  if (opts.kernelImage !== undefined) a.kernelImage = opts.kernelImage;
  if (opts.modulesDir !== undefined) a.modulesDir = opts.modulesDir;
  if (opts.cacheDir !== undefined) a.cacheDir = opts.cacheDir;
  if (opts.kernel !== undefined) a.kernel = opts.kernel;
  return a;
}

/** Default number of QEMU processes at once: TCG with one vCPU keeps one host core busy. */
export function defaultParallel(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Boot the images (as many per boot as fit, `parallel` boots at once) and
 * observe the kernel's verdict on each. Images marked `isolate` boot alone,
 * first; a crash elsewhere is found by bisection. Returns one observation
 * per image, in argument order.
 */
/** The checks and preparations every run makes before its first boot. */
async function prepareRun(
  images: readonly BootImage[],
  opts: BootOptions,
  dax: boolean,
): Promise<{ ctx: BootContext; plan: Placed[][] }> {
  images.forEach((im, i) => {
    // A number here would be rounded above 2^53: a typed invalid-argument error naming it instead.
    expectU64(im.base, `images[${i}].base`);
    if (im.labelSize !== undefined) expectU64(im.labelSize, `images[${i}].labelSize`);
  });
  const log = opts.onProgress ?? ((): void => undefined);
  const relocate = opts.relocate ?? true;
  const maxPerBoot = Math.max(1, Math.min(MAX_SLOTS, opts.maxPerBoot ?? MAX_SLOTS));
  const qemu = await findOnPath('qemu-system-x86_64');
  if (qemu === null) throw new KernelHarnessError('qemu-missing', `qemu-system-x86_64 not found: ${APT_INSTALL_HINT}`);
  const sized: { image: BootImage; size: bigint }[] = [];
  for (const image of images) sized.push({ image, size: await checkImage(image, relocate) });
  const plan = planBoots(sized, relocate, maxPerBoot);
  const assets = await prepareKernelAssets({ ...assetOptions(opts, log), ...(dax ? { dax: true } : {}) });
  if (opts.keepLogsDir !== undefined) await fs.mkdir(opts.keepLogsDir, { recursive: true });
  const work = opts.inPlace === true ? null : await fs.mkdtemp(path.join(os.tmpdir(), 'nd-infoblock-kernel-'));
  const ctx: BootContext = {
    qemu,
    assets,
    opts,
    log,
    work,
    timeoutMs: opts.timeoutMs ?? 180_000,
    counter: { boot: 0, planned: plan.length },
    seconds: [],
  };
  return { ctx, plan };
}

/**
 * Boot the images (as many per boot as fit, `parallel` boots at once) and
 * observe the kernel's verdict on each. Images marked `isolate` boot alone,
 * first; a crash elsewhere is found by bisection. Returns one observation
 * per image, in argument order.
 */
export async function bootImages(images: readonly BootImage[], opts: BootOptions = {}): Promise<KernelObservation[]> {
  expectArray(images, 'images');
  expectOptions(opts, 'opts', true);
  if (images.length === 0) return [];
  const { ctx, plan } = await prepareRun(images, opts, false);
  const { assets, log, work } = ctx;
  const results: KernelObservation[] = new Array<KernelObservation>(images.length);
  const bootOf = new Map<number, number>();
  try {
    await runPool(plan, opts.parallel ?? defaultParallel(), (placed) =>
      bootBisecting<Placed, { report: GuestReport; boot: number }>(placed, {
        boot: async (items) => {
          const r = await bootChecked(ctx, items);
          for (const p of items) bootOf.set(p.index, r.boot);
          if (r.report === null) return { report: null, crash: r.crash };
          return { report: { report: r.report, boot: r.boot }, crash: null };
        },
        reported: (items, { report, boot }) => {
          for (const p of items) results[p.index] = observe(report, p, boot, 0, assets.release);
        },
        crashed: (p, crash) => {
          log(`the guest kernel crashed on ${showPath(p.image.path)}: ${crash[0] ?? ''}`);
          results[p.index] = crashObservation(p, bootOf.get(p.index) ?? ctx.counter.boot, crash, assets.release);
        },
        splitting: (count, crash) => {
          log(`the guest kernel crashed with ${count} images (${crash[0] ?? ''}); booting halves to find the image...`);
          ctx.counter.planned += 2;
        },
      }),
    );
  } finally {
    if (work !== null) await fs.rm(work, { recursive: true, force: true });
  }
  for (const o of results) o.boots = ctx.counter.boot;
  return results;
}

/** One image's DAX result: the kernel's observation of the namespace and what the DAX probe proved. */
export interface DaxImageResult {
  observation: KernelObservation;
  /** Labelled DIMMs: the worst of the namespaces' results (crashes, misplaced, unproven, refused, consistent). */
  dax: DaxObservation;
  /** What the outcome was computed from (the guest's records, the data start, the copy's findings): replayable. */
  raw?: DaxRaw;
  /** Labelled DIMMs: every namespace the kernel created from the labels, by dpa, with its own DAX result. */
  namespaces?: DaxNamespaceResult[];
}

/** One namespace of a labelled DIMM and what the DAX probe proved on it. */
export interface DaxNamespaceResult {
  /** The kernel's name (`namespace4.1`). */
  name: string;
  uuid: string | null;
  /** Its offset in the DIMM (the label's dpa). */
  dpa: bigint | null;
  /** The image's observation narrowed to this namespace. */
  observation: KernelObservation;
  dax: DaxObservation;
  raw?: DaxRaw;
}

/** The inputs of daxObservationOf for one namespace. */
export interface DaxRaw {
  record: DaxDeviceRecord;
  dataStart: bigint;
  findings: CopyFindings;
}

export interface DaxRun {
  results: DaxImageResult[];
  /** Every boot's wall-clock time. */
  boots: BootTiming[];
  /** Guest seconds spent in the DAX section, per boot that finished it. */
  probeSeconds: number[];
}

/**
 * An oops on the console whose panic line came out torn (seen on 7.2 under load: "...R08: 00000ernel
 * panic - not syncing", the serial console drops characters while the probe prints): the oops's
 * headline and RIP still say what happened.
 */
function oopsLines(serial: string): string[] | null {
  const lines = serial.split(/\r?\n/).map((l) => l.replace(/^\[\s*[\d.]+\]\s?/, '').trim());
  const hits = lines.filter((l) => /^BUG:|^Oops:|^RIP:|^general protection fault|^kernel BUG at|ernel panic/.test(l));
  return hits.some((l) => /^BUG:|^Oops:|^general protection fault|^kernel BUG at/.test(l)) ? hits : null;
}

/** The device the DAX probe uses for a namespace (fsdax: its pmem block device; devdax: its dax device). */
function daxDeviceOf(o: KernelObservation): string | null {
  if (o.claim?.kind === 'pfn') return o.blockDevice?.name ?? null;
  if (o.claim?.kind === 'dax') return o.daxDevice?.name ?? null;
  return null;
}

/** Why a namespace has no DAX result: what the kernel did with it instead of a DAX-capable claim. */
function notProbed(o: KernelObservation): string {
  if (o.crash !== null) return `the kernel crashed before the DAX probe ran: ${o.crash[0] ?? ''}`;
  if (o.claim === null)
    return 'the kernel made no fsdax or devdax device of this namespace, so there is nothing to map';
  if (o.claim.kind === 'btt') return 'the kernel claimed it as a sector (btt) namespace, which has no DAX';
  return `the kernel's ${o.claim.device} exposes no device to map`;
}

/**
 * Boot the images with the DAX guest: after its report, the guest mounts every fsdax namespace's
 * filesystem with `-o dax` and compares read(2) with mmap, and maps every devdax device; the host then
 * finds in each booted copy where the mapped (and, in write mode, written) bytes live. A crash while
 * probing is the `crashes` outcome of the namespace being probed; the namespaces after it boot again.
 * The caller's images are never booted themselves: every boot works on fresh sparse copies.
 */
export async function bootDaxImages(
  images: readonly BootImage[],
  opts: BootOptions,
  mode: DaxProbeMode,
  prepare?: (copy: string, image: BootImage) => Promise<void>,
): Promise<DaxRun> {
  if (opts.inPlace === true)
    throw new KernelHarnessError('bad-image', 'the DAX probe writes to the namespaces it boots: it only boots copies');
  if (images.length === 0) return { results: [], boots: [], probeSeconds: [] };
  const { ctx, plan } = await prepareRun(images, opts, true);
  const run: DaxRunState = {
    ctx,
    results: new Array<DaxImageResult | undefined>(images.length),
    probeSeconds: [],
    append: [`${DAX_PARAM}=${mode === 'write' ? 'write' : 'read'}`],
    ...(prepare === undefined ? {} : { prepare }),
  };
  try {
    await runPool(plan, opts.parallel ?? defaultParallel(), (placed) => daxBatch(run, placed));
  } finally {
    if (ctx.work !== null) await fs.rm(ctx.work, { recursive: true, force: true });
  }
  const out = run.results.map((x, i) => {
    if (x === undefined) throw new KernelHarnessError('bad-report', `no DAX result for ${images[i]?.path ?? i}`);
    return { ...x, observation: { ...x.observation, boots: ctx.counter.boot } };
  });
  return { results: out, boots: ctx.seconds, probeSeconds: run.probeSeconds };
}

/** A DAX run's shared state. */
interface DaxRunState {
  ctx: BootContext;
  results: (DaxImageResult | undefined)[];
  probeSeconds: number[];
  append: readonly string[];
  prepare?: (copy: string, image: BootImage) => Promise<void>;
}

/** What one boot showed about one namespace: its (narrowed) observation, its DAX records and (when done) the result. */
interface DaxTarget {
  obs: KernelObservation;
  rec: DaxDeviceRecord | null;
  dax: DaxObservation | null;
  raw: DaxRaw | null;
}

/** What one boot showed about one image: its observation and one target per namespace (labelled: several). */
interface DaxFound {
  obs: KernelObservation;
  targets: DaxTarget[];
}

/**
 * The guest's record for a namespace's device. A whole fsdax device without a filesystem whose partition
 * (pmemNpM) holds one — a Kata-style image: an MBR at the data start — is probed through that partition.
 */
export function recordOf(section: DaxSection, o: KernelObservation): DaxDeviceRecord | null {
  const dev = daxDeviceOf(o);
  if (dev === null) return null;
  const rec = section.devices.find((d) => d.device === dev) ?? null;
  if (o.claim?.kind !== 'pfn' || (rec !== null && rec.fs !== 'none')) return rec;
  const part = section.devices.find(
    (d) => /^p\d+$/.test(d.device.slice(dev.length)) && d.device.startsWith(dev) && d.fs !== 'none',
  );
  return part ?? rec;
}

/** The namespaces a DAX boot probes in one image: a labelled DIMM's every namespace, else the image's one. */
const targetObservations = (obs: KernelObservation): KernelObservation[] =>
  obs.namespaces === undefined ? [obs] : obs.namespaces.map((n) => n.observation);

/** Read a DAX boot's serial log and copies: every namespace's records, analysed where the probe finished. */
async function inspectDax(
  placed: readonly Placed[],
  copies: readonly string[],
  serial: string,
  release: string | null,
): Promise<{ found: Map<number, DaxFound>; section: DaxSection | null }> {
  const found = new Map<number, DaxFound>();
  const report = parseGuestReport(serial);
  const section = parseDaxSection(serial);
  if (report === null || section === null) return { found, section };
  for (const [i, p] of placed.entries()) {
    const obs = observe(report, p, 0, 0, release);
    // Image offset of what each device (or its partition) shows first: the DIMM starts at image offset 0.
    const probed = targetObservations(obs).map((o) => {
      const rec = recordOf(section, o);
      const ready = rec !== null && rec.done && o.dataStart !== null;
      return { o, rec, dataStart: ready ? (o.dataStart ?? 0n) - obs.guestBase + rec.offset : null };
    });
    const queries = probed.flatMap((t) =>
      t.rec === null || t.dataStart === null ? [] : [copyQuery(t.rec, t.dataStart, t.o.dataSize)],
    );
    const findings = queries.length === 0 ? emptyFindings() : await scanCopy(copies[i] ?? '', mergeQueries(queries));
    const targets: DaxTarget[] = probed.map(({ o, rec, dataStart }) =>
      rec === null || dataStart === null
        ? { obs: o, rec, dax: null, raw: null }
        : {
            obs: o,
            rec,
            dax: daxObservationOf(rec, dataStart, findings),
            raw: { record: rec, dataStart, findings },
          },
    );
    found.set(p.index, { obs, targets });
  }
  return { found, section };
}

/** Boot `placed` with the DAX guest until every namespace has its result (a crash reboots the rest). */
async function daxBatch(run: DaxRunState, placed: readonly Placed[]): Promise<void> {
  const { ctx } = run;
  const release = ctx.assets.release;
  let remaining = [...placed];
  while (remaining.length > 0) {
    const current = remaining;
    let seen: { found: Map<number, DaxFound>; section: DaxSection | null } = { found: new Map(), section: null };
    const prepare = run.prepare;
    const hooks: BootHooks = {
      append: run.append,
      fullTimeout: true,
      ...(prepare === undefined ? {} : { prepare: (copy: string, p: Placed) => prepare(copy, p.image) }),
      inspect: async (copies, res) => {
        seen = await inspectDax(current, copies, res.serial, release);
      },
    };
    const r = await bootChecked(ctx, current, hooks);
    if (r.report === null) {
      // The kernel crashed (or hung) before the DAX section: find the namespace as the harness does.
      const only = current[0];
      if (current.length === 1 && only !== undefined) {
        const obs = crashObservation(only, r.boot, r.crash, release);
        // The report can come out torn while the DAX section says the probe was mapping this namespace.
        // The oops names the probe program as the faulting process ("Comm: ndib-dax-probe") even when the
        // console lost the records queued before the panic.
        const rec = parseDaxSection(r.serial)?.devices.find((d) => !d.done) ?? null;
        const oops = r.crash.some((l) => /^BUG:|^Oops:|^general protection/.test(l));
        const mapping = oops && (rec !== null || /Comm: ndib-dax-probe/.test(r.serial));
        run.results[only.index] = {
          observation: obs,
          dax: mapping ? daxCrash(rec, r.crash, rec?.device ?? null) : daxNothing(notProbed(obs)),
        };
        return;
      }
      const half = Math.ceil(current.length / 2);
      ctx.counter.planned += 2;
      await daxBatch(run, current.slice(0, half));
      await daxBatch(run, current.slice(half));
      return;
    }
    const clock = /ndib-dax clock dev=begin up=([\d.]+)[\s\S]*ndib-dax clock dev=end up=([\d.]+)/.exec(r.serial);
    if (clock?.[1] !== undefined && clock[2] !== undefined) run.probeSeconds.push(Number(clock[2]) - Number(clock[1]));
    const crash = seen.section?.complete === true ? null : (crashLines(r.serial) ?? oopsLines(r.serial));
    const next = current.filter((p) => !settleDax(run, p, seen, r.boot, crash));
    if (next.length === current.length)
      throw new KernelHarnessError(
        'bad-report',
        `boot ${r.boot}: the DAX section ended early without a kernel crash (last serial output: ${tail(r.serial, 3)})`,
      );
    if (next.length > 0) {
      ctx.log(`booting the ${next.length} namespace${next.length === 1 ? '' : 's'} not yet probed again...`);
      ctx.counter.planned++;
    }
    remaining = next;
  }
}

const DAX_RANK: Record<string, number> = { crashes: 4, misplaced: 3, none: 2, refused: 1, consistent: 0 };

/** The worst of several namespaces' DAX results (crashes, misplaced, unproven, refused, consistent). */
export function worstDax(results: readonly DaxObservation[]): DaxObservation | null {
  let worst: DaxObservation | null = null;
  for (const d of results)
    if (worst === null || (DAX_RANK[d.outcome ?? 'none'] ?? 2) > (DAX_RANK[worst.outcome ?? 'none'] ?? 2)) worst = d;
  return worst;
}

type Settled = Omit<DaxImageResult, 'observation' | 'namespaces'>;

/** One namespace's result from a boot, or null when it has to boot again (the boot ended before its turn). */
function settleTarget(
  run: DaxRunState,
  p: Placed,
  t: DaxTarget,
  section: DaxSection | null,
  crash: string[] | null,
): Settled | null {
  if (t.dax !== null) return { dax: t.dax, ...(t.raw === null ? {} : { raw: t.raw }) };
  if (t.rec !== null && !t.rec.done && crash !== null) {
    const head = crash.find((l) => /^BUG:|^Oops:/.test(l)) ?? crash[0] ?? '';
    run.ctx.log(`the guest kernel crashed while mapping ${p.image.path} (${t.rec.device}): ${head}`);
    const dataStart = (t.obs.dataStart ?? t.obs.guestBase) - p.guestBase + t.rec.offset;
    const raw = { record: t.rec, dataStart, findings: emptyFindings() };
    return { dax: daxCrash(t.rec, crash, t.rec.device), raw };
  }
  const dev = daxDeviceOf(t.obs);
  if (dev === null) return { dax: daxNothing(notProbed(t.obs)) };
  if (t.rec === null && section?.complete === true) return { dax: daxNothing(`the guest did not probe ${dev}`) };
  return null;
}

/** Record what a boot proved about `p`; false when it has to boot again (the boot ended before its turn). */
function settleDax(
  run: DaxRunState,
  p: Placed,
  seen: { found: Map<number, DaxFound>; section: DaxSection | null },
  boot: number,
  crash: string[] | null,
): boolean {
  const f = seen.found.get(p.index);
  if (f === undefined) throw new KernelHarnessError('bad-report', `boot ${boot}: no DAX records for ${p.image.path}`);
  const observation = { ...f.obs, boot };
  const settled = f.targets.map((t) => settleTarget(run, p, t, seen.section, crash));
  const crashed = settled.find((x) => x?.dax.outcome === 'crashes');
  // A crash on one namespace of a DIMM ends its boot: the namespaces not probed yet stay unproven (booting
  // the DIMM again would crash on the same namespace first).
  if (crashed === undefined && settled.some((x) => x === null)) return false;
  const results = settled.map(
    (x, i): Settled =>
      x ??
      ({
        dax: daxNothing(
          `the kernel crashed on ${crashed?.dax.device ?? 'another namespace'} of this DIMM before the probe ` +
            'reached this one',
          daxDeviceOf(f.targets[i]?.obs ?? observation),
        ),
      } satisfies Settled),
  );
  if (f.obs.namespaces === undefined) {
    run.results[p.index] = { observation, ...(results[0] as Settled) };
    return true;
  }
  const namespaces = f.obs.namespaces.map((n, i): DaxNamespaceResult => {
    const r = results[i] as Settled;
    return {
      name: n.name,
      uuid: n.uuid,
      dpa: n.dpa,
      observation: { ...n.observation, boot },
      dax: r.dax,
      ...(r.raw === undefined ? {} : { raw: r.raw }),
    };
  });
  const dax =
    worstDax(namespaces.map((n) => n.dax)) ?? daxNothing('the kernel created no namespace from the labels to map');
  run.results[p.index] = { observation, dax, namespaces };
  return true;
}
