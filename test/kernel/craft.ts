/**
 * Image crafting for the real-kernel tests: sparse files, blocks written by
 * the real `ndctl write-infoblock`, and byte patches with the checksum
 * recomputed (own implementation of the sheet's closed form, kept here so the
 * harness tests do not depend on the codec under test).
 */

import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const BLOCK_OFFSET = 4096;

/** Field offsets (within the 4 KiB block) and widths, from docs/format.md. */
export const FIELDS = {
  flags: [48, 4],
  version_major: [52, 2],
  version_minor: [54, 2],
  dataoff: [56, 8],
  npfns: [64, 8],
  mode: [72, 4],
  start_pad: [76, 4],
  end_trunc: [80, 4],
  align: [84, 4],
  page_size: [88, 4],
  page_struct_size: [92, 2],
} as const;
export type Field = keyof typeof FIELDS;

export function blockChecksum(block: Uint8Array): bigint {
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let lo = 0n;
  let hi = 0n;
  for (let i = 0; i < 1024; i++) {
    const w = i === 1022 || i === 1023 ? 0n : BigInt(v.getUint32(i * 4, true));
    lo = (lo + w) & 0xffffffffn;
    hi = (hi + lo) & 0xffffffffn;
  }
  return (hi << 32n) | lo;
}

/** A sparse file of `size` bytes. */
export async function sparseImage(file: string, size: number): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.rm(file, { force: true });
  execFileSync('truncate', ['-s', String(size), file]);
  return file;
}

/** A sparse image with a block from `ndctl write-infoblock -o FILE -s SIZE ...args`. */
export async function ndctlImage(file: string, size: number, args: string[]): Promise<string> {
  await sparseImage(file, size);
  execFileSync('ndctl', ['write-infoblock', '-o', file, '-s', String(size), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return file;
}

/** Read a field of the block in `file`. */
export async function readField(file: string, field: Field): Promise<bigint> {
  const fh = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    await fh.read(b, 0, 4096, BLOCK_OFFSET);
    const [off, width] = FIELDS[field];
    return width === 8 ? b.readBigUInt64LE(off) : BigInt(width === 4 ? b.readUInt32LE(off) : b.readUInt16LE(off));
  } finally {
    await fh.close();
  }
}

/** Patch fields of the block in `file` and recompute its checksum (unless keepChecksum). */
export async function patchBlock(
  file: string,
  fields: Partial<Record<Field, bigint | number>>,
  keepChecksum = false,
): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    const b = Buffer.alloc(4096);
    await fh.read(b, 0, 4096, BLOCK_OFFSET);
    for (const [name, value] of Object.entries(fields)) {
      const [off, width] = FIELDS[name as Field];
      const x = BigInt(value);
      if (width === 8) b.writeBigUInt64LE(x, off);
      else if (width === 4) b.writeUInt32LE(Number(x), off);
      else b.writeUInt16LE(Number(x), off);
    }
    if (!keepChecksum) b.writeBigUInt64LE(blockChecksum(b), 4088);
    await fh.write(b, 0, 4096, BLOCK_OFFSET);
  } finally {
    await fh.close();
  }
}

/** Flip one byte inside the block (breaks the checksum). */
export async function corruptByte(file: string, offsetInBlock: number): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, BLOCK_OFFSET + offsetInBlock);
    b[0] = (b[0] ?? 0) ^ 0xff;
    await fh.write(b, 0, 1, BLOCK_OFFSET + offsetInBlock);
  } finally {
    await fh.close();
  }
}
