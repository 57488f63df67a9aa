/**
 * The kernel's info-block checksum (nd_fletcher64 in the kernel's terms):
 * over 1024 little-endian u32 words, lo = Σw and hi = Σlo, both mod 2^32,
 * checksum = hi << 32 | lo. Not textbook Fletcher-64: there is no
 * mod 2^32-1. The checksum word at 4088 counts as zero; we skip it instead
 * of zeroing the caller's buffer (STYLE.md #6).
 */
import { copyBytes, requireLength, viewOf } from './bytes';

export const BLOCK_SIZE = 4096;
export const CHECKSUM_OFFSET = 4088;

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Fletcher64 over `bytes` (a multiple of 4 bytes long), treating the 8 bytes
 * at `skipOffset` (if given, 4-aligned) as zero. The loop runs over the words
 * before and after the skipped pair; for the pair itself only `hi` advances
 * (lo + 0 = lo), so no word is tested inside the hot loop.
 */
export function fletcher64(bytes: Uint8Array, skipOffset?: number): bigint {
  const words = bytes.byteLength >>> 2;
  const skip = skipOffset === undefined ? words : Math.min(skipOffset >>> 2, words);
  const skipEnd = Math.min(skip + 2, words);
  let lo = 0;
  let hi = 0;
  if (littleEndianHost && (bytes.byteOffset & 3) === 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < skip; i++) {
      lo = (lo + (w[i] as number)) >>> 0;
      hi = (hi + lo) >>> 0;
    }
    for (let i = skip; i < skipEnd; i++) hi = (hi + lo) >>> 0;
    for (let i = skipEnd; i < words; i++) {
      lo = (lo + (w[i] as number)) >>> 0;
      hi = (hi + lo) >>> 0;
    }
  } else {
    const dv = viewOf(bytes);
    for (let i = 0; i < words; i++) {
      if (i < skip || i >= skipEnd) lo = (lo + dv.getUint32(i * 4, true)) >>> 0;
      hi = (hi + lo) >>> 0;
    }
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Checksum of a 4 KiB info-block (checksum field taken as zero). */
export function blockChecksum(block: Uint8Array): bigint {
  requireLength(block, BLOCK_SIZE, 'an info-block');
  return fletcher64(block.subarray(0, BLOCK_SIZE), CHECKSUM_OFFSET);
}

export function storedChecksum(block: Uint8Array): bigint {
  requireLength(block, BLOCK_SIZE, 'an info-block');
  return viewOf(block).getBigUint64(CHECKSUM_OFFSET, true);
}

export function verifyChecksum(block: Uint8Array): boolean {
  return blockChecksum(block) === storedChecksum(block);
}

/** A copy of the first 4 KiB of `block` with a freshly computed checksum. */
export function withFreshChecksum(block: Uint8Array): Uint8Array {
  requireLength(block, BLOCK_SIZE, 'an info-block');
  const out = copyBytes(block.subarray(0, BLOCK_SIZE)); // Buffer#slice would alias
  viewOf(out).setBigUint64(CHECKSUM_OFFSET, blockChecksum(out), true);
  return out;
}
