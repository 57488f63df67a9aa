/**
 * Boot planning: which images share a boot and where each sits in the
 * guest's physical address space (see harness.ts for the relocation
 * argument), plus the up-front checks of image size and base. Pure except
 * for checkImage, which stats the file.
 */

import { promises as fs } from 'node:fs';

import { KernelHarnessError } from './errors';
import type { BootImage, Placed } from './types';
import { hex } from '../format/int64';
import { showPath } from '../io/path';
import { expectArray, expectBoolean, expectNumber } from '../format/guard';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

/** QEMU's pc machine puts hot-pluggable memory (our NVDIMMs) from 4 GiB up while guest RAM stays below 3.5 GiB. */
export const DEVICE_MEMORY_BASE = 4n * GiB;
/**
 * Highest guest physical address we place NVDIMMs below (qemu64 has 40 physical address bits; room is left
 * for the 64-bit PCI hole).
 */
export const DEVICE_MEMORY_LIMIT = 512n * GiB;
/** QEMU's limit on memory slots (ACPI). */
export const MAX_SLOTS = 256;
/** QEMU requires NVDIMM addresses and backing sizes in multiples of the host page. */
export const QEMU_PAGE = 4n * KiB;
/** Per boot, at most this many namespace bytes (mode RAM needs 1/64 of it as guest RAM for struct pages). */
const BATCH_BYTES_BUDGET = 64n * GiB;
const ISOLATION = 1n * GiB;

const alignUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;
const alignDown = (x: bigint, a: bigint): bigint => (x / a) * a;

function nextPow2(x: bigint): bigint {
  let p = 1n;
  while (p < x) p <<= 1n;
  return p;
}

/**
 * Split images into boots and give each a guest address. Images marked
 * `isolate` (predicted to crash the guest) come first, one boot each, so that
 * no other image's boot is lost to them and no bisection is needed.
 */
export function planBoots(
  images: readonly { image: BootImage; size: bigint }[],
  relocate: boolean,
  maxPerBoot: number,
): Placed[][] {
  expectArray(images, 'images');
  expectBoolean(relocate, 'relocate');
  expectNumber(maxPerBoot, 'maxPerBoot');
  const entries = images.map((x, index) => ({ ...x, index }));
  const alone = entries.filter((e) => e.image.isolate === true).flatMap((e) => planGroup([e], relocate, 1));
  return [
    ...alone,
    ...planGroup(
      entries.filter((e) => e.image.isolate !== true),
      relocate,
      maxPerBoot,
    ),
  ];
}

function planGroup(
  entries: readonly { image: BootImage; size: bigint; index: number }[],
  relocate: boolean,
  maxPerBoot: number,
): Placed[][] {
  const batches: { placed: Placed[]; cursor: bigint; bytes: bigint; ranges: [bigint, bigint][] }[] = [];
  entries.forEach(({ image, size, index }) => {
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
          throw new KernelHarnessError(
            'bad-image',
            `${showPath(image.path)}: ${size} bytes do not fit below ${hex(DEVICE_MEMORY_LIMIT)} ` +
              'of guest address space',
          );
        }
      }
      batch.placed.push({ index, image, size, guestBase, modulus });
      batch.cursor = alignUp(guestBase + size, ISOLATION);
      batch.bytes += size;
    } else {
      const lo = alignDown(image.base, ISOLATION);
      const hi = alignUp(image.base + size, ISOLATION);
      let batch = batches.find(
        (b) =>
          b.placed.length < maxPerBoot &&
          (b.placed.length === 0 || b.bytes + size <= BATCH_BYTES_BUDGET) &&
          b.ranges.every(([l, h]) => hi <= l || lo >= h),
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

export async function checkImage(image: BootImage, relocate: boolean): Promise<bigint> {
  let st;
  try {
    st = await fs.stat(image.path);
  } catch (e: unknown) {
    throw new KernelHarnessError('bad-image', `${showPath(image.path)}: cannot read the image`, { cause: e });
  }
  if (!st.isFile()) throw new KernelHarnessError('bad-image', `${showPath(image.path)}: not a regular file`);
  const size = BigInt(st.size);
  if (size === 0n || size % QEMU_PAGE !== 0n) {
    throw new KernelHarnessError(
      'bad-image',
      `${showPath(image.path)}: size ${size} is not a positive multiple of 4096 bytes, which QEMU requires of an ` +
        `NVDIMM backing file`,
    );
  }
  if (image.base < 0n || image.base % QEMU_PAGE !== 0n) {
    throw new KernelHarnessError(
      'bad-base',
      `${showPath(image.path)}: base ${hex(image.base)} is not a multiple of 4096, ` +
        'which QEMU requires of an NVDIMM address',
    );
  }
  if (!relocate && (image.base < DEVICE_MEMORY_BASE || image.base + size > DEVICE_MEMORY_LIMIT)) {
    throw new KernelHarnessError(
      'bad-base',
      `${showPath(image.path)}: without relocation the namespace must lie within ` +
        `[${hex(DEVICE_MEMORY_BASE)}, ${hex(DEVICE_MEMORY_LIMIT)}) (QEMU's device-memory window); ` +
        `base ${hex(image.base)} does not`,
    );
  }
  return size;
}
