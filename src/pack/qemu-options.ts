/**
 * The QEMU options that boot a packed image as an NVDIMM, and what the
 * guest does with it. Pure.
 *
 * QEMU's rules (docs/nvdimm.txt and hw/mem/nvdimm.c): `-machine …,nvdimm=on`;
 * `-m RAM,slots=N,maxmem=M` with at least one slot per DIMM and maxmem at
 * least RAM plus every DIMM; the memory-backend-file's `size=` must equal
 * the file's size; with `label-size=` the last label-size bytes of the file
 * are the label area and the DIMM's capacity is the rest, rounded down to
 * the backend's alignment (the host page, 4 KiB, for a plain file). q35
 * with up to 2 GiB of RAM puts its device memory at 4 GiB; an explicit
 * `addr=` pins the namespace base the info-block was written for.
 */
import { SZ_1G, hex } from '../format/int64';
import { mountType, type FilesystemKind } from '../format/filesystem';
import { type PackPlan } from './layout';
import { expectBigint, expectOptions, expectString } from '../format/guard';

/** Guest RAM the printed line gives (enough for the memmap of a 64 GiB namespace in RAM). */
const BASE_RAM = 2n * SZ_1G;

/** What to give QEMU and what the guest sees. */
export interface QemuOptions {
  /** The options, one argv word each (`-machine`, `q35,nvdimm=on`, …). */
  args: string[];
  /** Guest RAM in bytes. */
  ram: bigint;
  maxmem: bigint;
  /** The DIMM's guest address (= the namespace base). */
  addr: bigint;
}

/** What the guest sees and how to use it. */
export interface GuestUse {
  /** `/dev/pmem0`, `/dev/pmem0p1` (Kata), `/dev/dax0.0` (devdax). */
  device: string;
  /** The shell line that mounts it with DAX, or null for devdax (a character device is mapped, not mounted). */
  mount: string | null;
  /** Kata-style images: the partition when the file is attached as a plain disk (virtio: /dev/vda1). */
  diskDevice: string | null;
}

/** `2G`, `68M`, `131200K` or bytes: the shortest exact QEMU size. */
export function qemuSize(n: bigint): string {
  expectBigint(n, 'n');
  for (const [unit, k] of [
    ['G', SZ_1G],
    ['M', 1n << 20n],
    ['K', 1n << 10n],
  ] as const) {
    if (n % k === 0n && n >= k) return `${n / k}${unit}`;
  }
  return n.toString();
}

/** QEMU option values escape ',' by doubling it. */
const qemuEscape = (s: string): string => s.replace(/,/g, ',,');

/** Guest RAM: 2 GiB, more when the memmap in RAM (1/64 of the namespace) needs over 1 GiB of it. */
function ramFor(plan: PackPlan): bigint {
  const memmap = plan.map === 'ram' ? plan.nsSize / 64n : 0n;
  return memmap <= SZ_1G ? BASE_RAM : ((memmap + SZ_1G + SZ_1G - 1n) / SZ_1G) * SZ_1G;
}

/** The options that attach `file` (the packed image, as `plan` laid it out) at its namespace base. */
export function qemuOptionsFor(plan: PackPlan, file: string): QemuOptions {
  expectOptions(plan, 'plan');
  expectString(file, 'file');
  const ram = ramFor(plan);
  const deviceBase = 4n * SZ_1G;
  const end = plan.nsBase + plan.fileSize;
  const maxmem = ram + ((end - deviceBase + SZ_1G - 1n) / SZ_1G) * SZ_1G;
  const label = plan.labelSize === null ? '' : `,label-size=${qemuSize(plan.labelSize)}`;
  return {
    args: [
      '-machine',
      'q35,nvdimm=on',
      '-m',
      `${qemuSize(ram)},slots=2,maxmem=${qemuSize(maxmem)}`,
      '-object',
      `memory-backend-file,id=mem1,share=on,mem-path=${qemuEscape(file)},size=${qemuSize(plan.fileSize)}`,
      '-device',
      `nvdimm,id=nv1,memdev=mem1,addr=${hex(plan.nsBase)}${label}`,
    ],
    ram,
    maxmem,
    addr: plan.nsBase,
  };
}

/** The guest's device for the data and the line that mounts it with DAX. */
export function guestUseOf(plan: PackPlan, fs: FilesystemKind | null): GuestUse {
  expectOptions(plan, 'plan');
  if (fs !== null) expectString(fs, 'fs');
  if (plan.mode === 'devdax') return { device: '/dev/dax0.0', mount: null, diskDevice: null };
  const device = plan.layout === 'kata' ? '/dev/pmem0p1' : '/dev/pmem0';
  const type = fs === null ? '' : `-t ${mountType(fs)} `;
  return {
    device,
    mount: `mount ${type}-o dax=always ${device} /mnt`,
    diskDevice: plan.layout === 'kata' ? '/dev/vda1' : null,
  };
}

/** A shell word for the printed command line: bare when safe, single-quoted otherwise. */
export function shellQuote(s: string): string {
  expectString(s, 's');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
