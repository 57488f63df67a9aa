/**
 * The real-kernel harness: boots Linux under QEMU (TCG, never KVM) with each
 * image attached as a label-less NVDIMM, and reports what the kernel made of
 * every namespace (KernelObservation). Many images share one boot; each gets
 * its own 1 GiB-aligned stretch of guest physical address space so that no
 * two namespaces share a memory section.
 *
 * Relocation (default on): an image asked for at `base` is placed at a guest
 * address congruent to `base` modulo G = max(1 GiB, next power of two >= its
 * size). Every address check the kernel makes on a namespace (rules 12-14 of
 * the reference sheet, the devdax alignments) uses an alignment <= G: the
 * block's align is refused before rule 12 when it exceeds the namespace size.
 * So the verdict is the one the kernel would give at `base` itself, while many
 * images that all ask for the same base can share one boot.
 */

import { spawn } from 'node:child_process';
import { constants as fsc, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { prepareKernelAssets, findOnPath, runQuiet, type KernelAssets } from './assets';
import { APT_INSTALL_HINT, KernelHarnessError } from './errors';
import { REGIONS_PARAM } from './init-script';
import type { KernelVersion } from './kernels';
import { parseGuestReport, regionOfDevice, regionsOfMessage, type GuestReport, type KernelMessage } from './report';

export type { KernelMessage } from './report';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

/** QEMU's pc machine puts hot-pluggable memory (our NVDIMMs) from 4 GiB up while guest RAM stays below 3.5 GiB. */
export const DEVICE_MEMORY_BASE = 4n * GiB;
/** Highest guest physical address we place NVDIMMs below (qemu64 has 40 physical address bits; room is left for the 64-bit PCI hole). */
export const DEVICE_MEMORY_LIMIT = 512n * GiB;
/** QEMU's limit on memory slots (ACPI). */
export const MAX_SLOTS = 256;
/** QEMU requires NVDIMM addresses and backing sizes in multiples of the host page. */
export const QEMU_PAGE = 4n * KiB;
/** Per boot, at most this many namespace bytes (mode RAM needs 1/64 of it as guest RAM for struct pages). */
const BATCH_BYTES_BUDGET = 64n * GiB;
const ISOLATION = 1n * GiB;

/** Claim of a namespace by a pfn / dax / btt device (its sysfs attributes, parsed). */
export interface ClaimObservation {
  /** `pfn` (fsdax), `dax` (devdax) or `btt` (sector mode), from the device's devtype. */
  kind: 'pfn' | 'dax' | 'btt';
  /** Device name, e.g. `pfn3.1`. */
  device: string;
  /** Driver bound to it (`nd_pmem`, `dax_pmem`), null when the claim did not complete. */
  driver: string | null;
  /** sysfs `mode`: `ram` | `pmem` for pfn/dax (where the memmap lives), null for btt. */
  mode: string | null;
  /** sysfs `resource`: guest physical address where the data starts (pfn/dax). */
  resource: bigint | null;
  /** sysfs `size`: data bytes (pfn/dax). */
  size: bigint | null;
  /** sysfs `align`. */
  align: bigint | null;
  /** sysfs `uuid`. */
  uuid: string | null;
}

/** What one boot showed about one image's namespace. */
export interface KernelObservation {
  /** Image path as given. */
  image: string;
  /** Base the caller asked for. */
  base: bigint;
  /** Guest physical address the namespace really had (differs from base when relocated; congruent modulo `relocationModulus`). */
  guestBase: bigint;
  /** Modulus of relocation (guestBase ≡ base); 0n when not relocated. */
  relocationModulus: bigint;
  /** Image (= namespace) size in bytes. */
  size: bigint;
  /** 1-based boot number this image was in, and how many boots there were. */
  boot: number;
  boots: number;
  /** The nd region QEMU's NFIT produced for this image (`region4`), found by resource address. */
  region: string | null;
  /** The region's `resource` (= guestBase when found). */
  regionResource: bigint | null;
  /** The region's namespace (`namespace4.0`). */
  namespace: string | null;
  /** The namespace's sysfs `mode`: raw | memory (fsdax) | dax | safe (btt). */
  namespaceMode: string | null;
  /** The namespace's sysfs `holder`: the claiming device, or null. */
  holder: string | null;
  /** The pfn/dax/btt device whose `namespace` is this namespace, if any. */
  claim: ClaimObservation | null;
  /**
   * The pmem block device of the namespace (raw: parent namespace; fsdax: parent pfn; btt: pmemNs). Size in
   * bytes; firstBytes: its first min(size, 2048) bytes as lower-case hex, as the guest read them (null when
   * not reported).
   */
  blockDevice: { name: string; parent: string | null; size: bigint | null; firstBytes: string | null } | null;
  /** The devdax character device (`dax4.0` on the dax bus) with its size/resource. */
  daxDevice: { name: string; parent: string | null; size: bigint | null; resource: bigint | null } | null;
  /** Guest physical address where the exposed data starts (claim resource; namespace start when raw), or null. */
  dataStart: bigint | null;
  /** Bytes exposed (claim size, devdax size, or block device size), or null. */
  dataSize: bigint | null;
  /** From "probe of namespaceX.Y failed with error -N": N (positive), or null. */
  probeErrno: number | null;
  /** Kernel log lines that name this region's devices, in log order. */
  messages: KernelMessage[];
  /** Raw sysfs attributes of every nd device of this region (namespace, region, pfn/dax/btt seeds and claims). */
  devices: Record<string, Record<string, string>>;
  /** The booted kernel's release (`uname -r`), null when unknown (a --kernel-image kernel). */
  kernelRelease: string | null;
  /** When the guest kernel crashed with this image alone attached: the crash's console lines (BUG/Oops/panic); else null. */
  crash: string[] | null;
}

export interface BootImage {
  path: string;
  base: bigint;
}

export interface BootOptions {
  /** Debian kernel version to boot (5.10, 6.1, 6.12, 7.2; default 6.1). */
  kernel?: KernelVersion;
  /** Boot this kernel image instead of the Debian package's (needs modulesDir). */
  kernelImage?: string;
  /** Directory with the kernel's modules (searched recursively). */
  modulesDir?: string;
  /** Per-boot timeout; the guest is killed after it. Default 180 s. */
  timeoutMs?: number;
  /** Keep serial logs, QEMU command lines and the report of every boot here. */
  keepLogsDir?: string;
  /** Boot the caller's files themselves (the kernel writes memmaps into them) instead of sparse copies. */
  inPlace?: boolean;
  /** Place images at addresses congruent to their base (default true); false places them at base exactly. */
  relocate?: boolean;
  /** Images per boot, at most 256 (default 256). */
  maxPerBoot?: number;
  /** Cache directory (default $ND_INFOBLOCK_CACHE or ~/.cache/nd-infoblock). */
  cacheDir?: string;
  /** One-line progress messages (default: none). */
  onProgress?: (line: string) => void;
}

interface Placed {
  index: number;
  image: BootImage;
  size: bigint;
  guestBase: bigint;
  modulus: bigint;
}

const alignUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;
const alignDown = (x: bigint, a: bigint): bigint => (x / a) * a;
const hex = (x: bigint): string => `0x${x.toString(16)}`;

function nextPow2(x: bigint): bigint {
  let p = 1n;
  while (p < x) p <<= 1n;
  return p;
}

/** Split images into boots and give each a guest address (exported for tests). */
export function planBoots(images: readonly { image: BootImage; size: bigint }[], relocate: boolean, maxPerBoot: number): Placed[][] {
  const batches: { placed: Placed[]; cursor: bigint; bytes: bigint; ranges: [bigint, bigint][] }[] = [];
  images.forEach(({ image, size }, index) => {
    if (relocate) {
      const modulus = nextPow2(size) > ISOLATION ? nextPow2(size) : ISOLATION;
      const offset = image.base % modulus;
      const fits = (b: (typeof batches)[number]): bigint | null => {
        if (b.placed.length >= maxPerBoot) return null;
        if (b.placed.length > 0 && b.bytes + size > BATCH_BYTES_BUDGET) return null;
        const guestBase = alignUp(b.cursor, modulus) + offset;
        return guestBase + size <= DEVICE_MEMORY_LIMIT ? guestBase : null;
      };
      let batch = batches[batches.length - 1];
      let guestBase = batch === undefined ? null : fits(batch);
      if (batch === undefined || guestBase === null) {
        batch = { placed: [], cursor: DEVICE_MEMORY_BASE, bytes: 0n, ranges: [] };
        batches.push(batch);
        guestBase = fits(batch);
        if (guestBase === null) {
          throw new KernelHarnessError('bad-image', `${image.path}: ${size} bytes do not fit below ${hex(DEVICE_MEMORY_LIMIT)} of guest address space`);
        }
      }
      batch.placed.push({ index, image, size, guestBase, modulus });
      batch.cursor = alignUp(guestBase + size, ISOLATION);
      batch.bytes += size;
    } else {
      const lo = alignDown(image.base, ISOLATION);
      const hi = alignUp(image.base + size, ISOLATION);
      let batch = batches.find(
        (b) => b.placed.length < maxPerBoot && (b.placed.length === 0 || b.bytes + size <= BATCH_BYTES_BUDGET) && b.ranges.every(([l, h]) => hi <= l || lo >= h),
      );
      if (batch === undefined) {
        batch = { placed: [], cursor: DEVICE_MEMORY_BASE, bytes: 0n, ranges: [] };
        batches.push(batch);
      }
      batch.placed.push({ index, image, size, guestBase: image.base, modulus: 0n });
      batch.ranges.push([lo, hi]);
      batch.bytes += size;
    }
  });
  return batches.map((b) => b.placed);
}

async function checkImage(image: BootImage, relocate: boolean): Promise<bigint> {
  let st;
  try {
    st = await fs.stat(image.path);
  } catch (e: unknown) {
    throw new KernelHarnessError('bad-image', `${image.path}: cannot read the image`, { cause: e });
  }
  if (!st.isFile()) throw new KernelHarnessError('bad-image', `${image.path}: not a regular file`);
  const size = BigInt(st.size);
  if (size === 0n || size % QEMU_PAGE !== 0n) {
    throw new KernelHarnessError('bad-image', `${image.path}: size ${size} is not a positive multiple of 4096 bytes, which QEMU requires of an NVDIMM backing file`);
  }
  if (image.base < 0n || image.base % QEMU_PAGE !== 0n) {
    throw new KernelHarnessError('bad-base', `${image.path}: base ${hex(image.base)} is not a multiple of 4096, which QEMU requires of an NVDIMM address`);
  }
  if (!relocate && (image.base < DEVICE_MEMORY_BASE || image.base + size > DEVICE_MEMORY_LIMIT)) {
    throw new KernelHarnessError(
      'bad-base',
      `${image.path}: without relocation the namespace must lie within [${hex(DEVICE_MEMORY_BASE)}, ${hex(DEVICE_MEMORY_LIMIT)}) (QEMU's device-memory window); base ${hex(image.base)} does not`,
    );
  }
  return size;
}

/** A sparse copy: cp --sparse=always (reflink when possible), else a zero-skipping copy. */
async function sparseCopy(src: string, dst: string): Promise<void> {
  if ((await runQuiet('cp', ['--sparse=always', '--reflink=auto', src, dst])) === 0) return;
  try {
    await fs.copyFile(src, dst, fsc.COPYFILE_FICLONE_FORCE);
    return;
  } catch {
    /* fall through to the manual copy */
  }
  const inp = await fs.open(src, 'r');
  const out = await fs.open(dst, 'w');
  try {
    const { size } = await inp.stat();
    await out.truncate(size);
    const buf = Buffer.alloc(1 << 20);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await inp.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (chunk.some((b) => b !== 0)) await out.write(chunk, 0, bytesRead, pos);
      pos += bytesRead;
    }
  } finally {
    await inp.close();
    await out.close();
  }
}

/** QEMU option values escape ',' by doubling it. */
const qemuEscape = (s: string): string => s.replace(/,/g, ',,');

function qemuArgs(assets: KernelAssets, placed: readonly Placed[], files: readonly string[]): string[] {
  const bytes = placed.reduce((a, p) => a + p.size, 0n);
  // mode RAM keeps struct pages (64 B per 4 KiB page) in guest RAM; stay below 3 GiB so the device window stays at 4 GiB.
  let ramMiB = 512n + alignUp(bytes / 64n / MiB + 1n, 64n);
  if (ramMiB > 3072n) ramMiB = 3072n;
  const end = placed.reduce((a, p) => (p.guestBase + p.size > a ? p.guestBase + p.size : a), DEVICE_MEMORY_BASE);
  const maxmemGiB = ramMiB / 1024n + 1n + alignUp(end - DEVICE_MEMORY_BASE, GiB) / GiB;
  const args = [
    '-accel', 'tcg',
    '-machine', 'pc,nvdimm=on',
    '-smp', '1',
    '-m', `${ramMiB}M,slots=${placed.length},maxmem=${maxmemGiB}G`,
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-kernel', assets.kernelImage,
    '-initrd', assets.initramfs,
    '-append', `console=ttyS0 quiet loglevel=2 oops=panic panic=-1 log_buf_len=4M ${REGIONS_PARAM}=${placed.length}`,
  ];
  placed.forEach((p, i) => {
    args.push('-object', `memory-backend-file,id=m${i},share=on,mem-path=${qemuEscape(files[i] ?? '')},size=${p.size}`);
    args.push('-device', `nvdimm,id=nv${i},memdev=m${i},addr=${hex(p.guestBase)}`);
  });
  return args;
}

interface BootResult {
  serial: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
  seconds: number;
}

function runQemu(qemu: string, args: readonly string[], timeoutMs: number): Promise<BootResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new KernelHarnessError('qemu-failed', `cannot run ${qemu}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        serial: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        timedOut,
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}

const parseBig = (s: string | undefined): bigint | null => {
  if (s === undefined) return null;
  const t = s.trim();
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return null;
  return BigInt(t);
};

const KIND_BY_DEVTYPE: Record<string, ClaimObservation['kind']> = { nd_pfn: 'pfn', nd_dax: 'dax', nd_btt: 'btt' };

/** Build the observation of one placed image from a boot's report (exported for tests). */
/** An observation of `p` with nothing seen yet. */
function blankObservation(p: Placed, boot: number, boots: number, crash: string[] | null, release: string | null): KernelObservation {
  return {
    image: p.image.path,
    base: p.image.base,
    guestBase: p.guestBase,
    relocationModulus: p.modulus,
    size: p.size,
    boot,
    boots,
    region: null,
    regionResource: null,
    namespace: null,
    namespaceMode: null,
    holder: null,
    claim: null,
    blockDevice: null,
    daxDevice: null,
    dataStart: null,
    dataSize: null,
    probeErrno: null,
    messages: [],
    devices: {},
    kernelRelease: release,
    crash,
  };
}

export function observe(report: GuestReport, p: Placed, boot: number, boots: number, release: string | null = null): KernelObservation {
  const obs = blankObservation(p, boot, boots, null, release);
  let regionNo: number | null = null;
  for (const [name, attrs] of report.nd) {
    if (name.startsWith('region') && parseBig(attrs['resource']) === p.guestBase) {
      obs.region = name;
      obs.regionResource = p.guestBase;
      regionNo = regionOfDevice(name);
    }
  }
  if (regionNo === null) return obs;
  for (const [name, attrs] of report.nd) if (regionOfDevice(name) === regionNo) obs.devices[name] = { ...attrs };
  for (const [name, attrs] of Object.entries(obs.devices)) {
    if (name.startsWith('namespace')) {
      obs.namespace = name;
      obs.namespaceMode = attrs['mode'] ?? null;
      obs.holder = attrs['holder'] !== undefined && attrs['holder'] !== '' ? attrs['holder'] : null;
    }
  }
  for (const [name, attrs] of Object.entries(obs.devices)) {
    const kind = KIND_BY_DEVTYPE[attrs['devtype'] ?? ''];
    if (kind === undefined || obs.namespace === null || attrs['namespace'] !== obs.namespace) continue;
    obs.claim = {
      kind,
      device: name,
      driver: attrs['driver'] ?? null,
      mode: kind === 'btt' ? null : (attrs['mode'] ?? null),
      resource: parseBig(attrs['resource']),
      size: parseBig(attrs['size']),
      align: parseBig(attrs['align']),
      uuid: attrs['uuid'] !== undefined && attrs['uuid'] !== '' ? attrs['uuid'] : null,
    };
  }
  const mine = new Set(Object.keys(obs.devices));
  const blk = report.blocks.find((b) => b.parent !== null && mine.has(b.parent));
  if (blk !== undefined) {
    obs.blockDevice = { name: blk.name, parent: blk.parent, size: blk.sectors === null ? null : blk.sectors * 512n, firstBytes: blk.firstBytes };
  }
  const dx = report.dax.find((d) => d.parent !== null && mine.has(d.parent));
  if (dx !== undefined) obs.daxDevice = { name: dx.name, parent: dx.parent, size: parseBig(dx.attrs['size']), resource: parseBig(dx.attrs['resource']) };

  const blockParents = new Map<string, string>();
  for (const b of report.blocks) if (b.parent !== null) blockParents.set(b.name, b.parent);
  obs.messages = report.messages.filter((m) => regionsOfMessage(m, blockParents).has(regionNo));
  for (const m of obs.messages) {
    const f = probeFailure(m);
    if (f !== null && (f.device === obs.namespace || regionOfDevice(f.device) === regionNo)) obs.probeErrno = f.errno;
  }

  if (obs.claim !== null && obs.claim.kind !== 'btt' && obs.claim.resource !== null) {
    obs.dataStart = obs.claim.resource;
    obs.dataSize = obs.claim.size ?? obs.daxDevice?.size ?? null;
  } else if (obs.claim?.kind === 'btt') {
    obs.dataSize = obs.blockDevice?.size ?? null;
  } else if (obs.blockDevice !== null && obs.blockDevice.parent === obs.namespace) {
    obs.dataStart = p.guestBase;
    obs.dataSize = obs.blockDevice.size;
  }
  return obs;
}

/**
 * The driver core's probe-failure line, in either format: "nd_pmem: probe of
 * namespace0.0 failed with error -95" (up to 6.1) or "nd_pmem namespace0.0:
 * probe with driver nd_pmem failed with error -95" (6.12 on).
 */
export function probeFailure(m: KernelMessage): { device: string; errno: number } | null {
  const old = /probe of (\S+) failed with error -(\d+)$/.exec(m.text);
  if (old?.[1] !== undefined && old[2] !== undefined) return { device: old[1], errno: Number(old[2]) };
  const now = /^probe with driver \S+ failed with error -(\d+)$/.exec(m.text);
  if (now?.[1] !== undefined && m.device !== null) return { device: m.device, errno: Number(now[1]) };
  return null;
}

/**
 * The guest runs with oops=panic, so a kernel bug while probing ends the boot
 * at once (panic=-1 reboots, -no-reboot exits) instead of hanging it. Returns
 * the crash's console lines, or null when the log shows no crash.
 */
export function crashLines(serial: string): string[] | null {
  const lines = serial.split(/\r?\n/).map((l) => l.replace(/^\[\s*[\d.]+\]\s?/, '').trim());
  const hits = lines.filter((l) => /Kernel panic|^BUG:|^Oops:|^general protection fault|^kernel BUG at|^WARNING:|^RIP:|Fatal exception|exited with irqs disabled/.test(l));
  return hits.some((l) => /Kernel panic/.test(l)) ? hits : null;
}

function crashObservation(p: Placed, boot: number, crash: string[], release: string | null): KernelObservation {
  return blankObservation(p, boot, 0, crash, release);
}

function tail(text: string, n: number): string {
  return text.trim().split(/\r?\n/).slice(-n).join(' | ');
}

/**
 * Boot the images (as many per boot as fit) and observe the kernel's verdict
 * on each. Returns one observation per image, in argument order.
 */
export async function bootImages(images: readonly BootImage[], opts: BootOptions = {}): Promise<KernelObservation[]> {
  if (images.length === 0) return [];
  const log = opts.onProgress ?? ((): void => undefined);
  const relocate = opts.relocate ?? true;
  const maxPerBoot = Math.max(1, Math.min(MAX_SLOTS, opts.maxPerBoot ?? MAX_SLOTS));
  const qemu = await findOnPath('qemu-system-x86_64');
  if (qemu === null) throw new KernelHarnessError('qemu-missing', `qemu-system-x86_64 not found: ${APT_INSTALL_HINT}`);

  const sized: { image: BootImage; size: bigint }[] = [];
  for (const image of images) sized.push({ image, size: await checkImage(image, relocate) });
  const plan = planBoots(sized, relocate, maxPerBoot);

  const assetOpts: Parameters<typeof prepareKernelAssets>[0] = { log };
  if (opts.kernelImage !== undefined) assetOpts.kernelImage = opts.kernelImage;
  if (opts.modulesDir !== undefined) assetOpts.modulesDir = opts.modulesDir;
  if (opts.cacheDir !== undefined) assetOpts.cacheDir = opts.cacheDir;
  if (opts.kernel !== undefined) assetOpts.kernel = opts.kernel;
  const assets = await prepareKernelAssets(assetOpts);
  if (opts.keepLogsDir !== undefined) await fs.mkdir(opts.keepLogsDir, { recursive: true });

  const results: KernelObservation[] = new Array<KernelObservation>(images.length);
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const work = opts.inPlace === true ? null : await fs.mkdtemp(path.join(os.tmpdir(), 'nd-infoblock-kernel-'));
  let bootNo = 0;
  let planned = plan.length;

  /** One boot of `placed` (fresh copies each time); null report when it failed. */
  const bootOnce = async (placed: readonly Placed[]): Promise<{ res: BootResult; report: GuestReport | null; boot: number }> => {
    const boot = ++bootNo;
    const files: string[] = [];
    for (const p of placed) {
      if (work === null) {
        files.push(path.resolve(p.image.path));
      } else {
        const dst = path.join(work, `i${p.index}.img`);
        await sparseCopy(p.image.path, dst);
        files.push(dst);
      }
    }
    const args = qemuArgs(assets, placed, files);
    log(`booting ${placed.length} image${placed.length === 1 ? '' : 's'} (boot ${boot}/${Math.max(planned, boot)})...`);
    const res = await runQemu(qemu, args, timeoutMs);
    if (opts.keepLogsDir !== undefined) {
      const stem = path.join(opts.keepLogsDir, `boot-${boot}`);
      await fs.writeFile(`${stem}.serial.log`, res.serial);
      await fs.writeFile(`${stem}.stderr.log`, res.stderr);
      const images = placed.map((p) => ({ image: p.image.path, base: hex(p.image.base), guestBase: hex(p.guestBase), size: p.size.toString() }));
      await fs.writeFile(`${stem}.json`, `${JSON.stringify({ qemu, args, seconds: res.seconds, exitCode: res.code, images }, null, 2)}\n`);
    }
    if (work !== null) for (const f of files) await fs.rm(f, { force: true });
    return { res, report: res.timedOut ? null : parseGuestReport(res.serial), boot };
  };

  /** Boot `placed`; a guest kernel crash is narrowed down by booting halves until one image remains. */
  const run = async (placed: readonly Placed[]): Promise<void> => {
    let { res, report, boot } = await bootOnce(placed);
    let crash = report === null ? crashLines(res.serial) : null;
    if (report === null && crash === null && !res.timedOut && res.code === 0) {
      // Seen once in dozens of 200-image boots: the serial log ended inside the
      // report. A second boot of the same images has always completed.
      log(`boot ${boot}: incomplete report, booting again...`);
      planned++;
      ({ res, report, boot } = await bootOnce(placed));
      crash = report === null ? crashLines(res.serial) : null;
    }
    if (report === null && crash !== null) {
      if (placed.length === 1 && placed[0] !== undefined) {
        log(`boot ${boot}: the guest kernel crashed on ${placed[0].image.path}: ${crash[0] ?? ''}`);
        results[placed[0].index] = crashObservation(placed[0], boot, crash, assets.release);
        return;
      }
      log(`boot ${boot}: the guest kernel crashed (${crash[0] ?? ''}); booting halves to find the image...`);
      const half = Math.ceil(placed.length / 2);
      planned += 2;
      await run(placed.slice(0, half));
      await run(placed.slice(half));
      return;
    }
    if (res.timedOut) {
      throw new KernelHarnessError('timeout', `boot ${boot} (${placed.length} images) did not power off within ${Math.round(timeoutMs / 1000)} s and was killed; last serial output: ${tail(res.serial, 3) || '(none)'}`);
    }
    if (report === null) {
      const saved = path.join(os.tmpdir(), `nd-infoblock-boot-${process.pid}-${Date.now()}.log`);
      await fs.writeFile(saved, `${res.serial}\n--- stderr ---\n${res.stderr}`).catch(() => undefined);
      const why = res.code !== 0 ? `QEMU exited with ${res.code}: ${tail(res.stderr, 2) || '(no message)'}` : `no complete report on the serial console (log saved to ${saved})`;
      throw new KernelHarnessError(res.code !== 0 ? 'qemu-failed' : 'bad-report', `boot ${boot}: ${why}`);
    }
    if (report.insmodFailed.length > 0) {
      throw new KernelHarnessError('module-missing', `boot ${boot}: the guest could not load ${report.insmodFailed.join(', ')} (kernel and modules from different builds?)`);
    }
    log(`boot ${boot} done in ${res.seconds.toFixed(1)} s`);
    for (const p of placed) results[p.index] = observe(report, p, boot, 0, assets.release);
  };

  try {
    for (const placed of plan) await run(placed);
  } finally {
    if (work !== null) await fs.rm(work, { recursive: true, force: true });
  }
  for (const o of results) o.boots = bootNo;
  return results;
}
