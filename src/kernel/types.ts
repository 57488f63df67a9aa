/**
 * Types shared by the harness modules: what one boot shows about one image
 * (KernelObservation), the caller's images and options, and an image placed
 * in a boot's guest address space.
 */

import type { KernelVersion } from './kernels';
import type { KernelMessage } from './guest-report';

export type { KernelMessage } from './guest-report';

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

/** One namespace a labelled DIMM's region holds, as the kernel created it from the labels. */
export interface LabelledNamespaceObservation {
  /** `namespace4.1`. */
  name: string;
  /** sysfs `alt_name` (the label's name), null when empty. */
  altName: string | null;
  /** sysfs `uuid` (the label's uuid). */
  uuid: string | null;
  /** sysfs `size`. */
  size: bigint | null;
  /** sysfs `resource`: its guest physical address. */
  resource: bigint | null;
  /** Its offset in the DIMM (resource minus the region's start), i.e. the label's dpa. */
  dpa: bigint | null;
  /** The same observation as an image's, narrowed to this namespace (its claim, devices, messages). */
  observation: KernelObservation;
}

/** What one boot showed about one image's namespace. */
export interface KernelObservation {
  /** Image path as given. */
  image: string;
  /** Base the caller asked for. */
  base: bigint;
  /**
   * Guest physical address the namespace really had (differs from base when relocated; congruent modulo
   * `relocationModulus`).
   */
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
  /** The booted kernel's release (`uname -r`), null when unknown (a caller's own kernel image). */
  kernelRelease: string | null;
  /**
   * When the guest kernel crashed with this image alone attached: the crash's console lines (BUG/Oops/panic);
   * else null.
   */
  crash: string[] | null;
  /** Labelled DIMMs: the region's interleave-set cookie as the kernel computed it (sysfs `set_cookie`). */
  setCookie?: bigint | null;
  /** Labelled DIMMs: every namespace of nonzero size the kernel created in the region, by dpa. */
  namespaces?: LabelledNamespaceObservation[];
}

export interface BootImage {
  path: string;
  base: bigint;
  /** Boot this image alone, before the others (the caller predicts it crashes the guest kernel). */
  isolate?: boolean;
  /** Attach the DIMM with a label area of this many bytes (its last bytes; QEMU's label-size=). */
  labelSize?: bigint;
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
  /** QEMU processes run at the same time (default: the host's parallelism, at most 4). */
  parallel?: number;
  /** Cache directory (default $ND_INFOBLOCK_CACHE or ~/.cache/nd-infoblock). */
  cacheDir?: string;
  /** One-line progress messages (default: none). */
  onProgress?: (line: string) => void;
}

export interface Placed {
  index: number;
  image: BootImage;
  size: bigint;
  guestBase: bigint;
  modulus: bigint;
}
