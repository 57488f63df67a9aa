/**
 * The kernel's info-block checksum (nd_fletcher64 in the kernel's terms):
 * over 1024 little-endian u32 words, lo = Σw and hi = Σlo, both mod 2^32,
 * `checksum = hi << 32 | lo`. Not textbook Fletcher-64: there is no
 * mod 2^32-1. The checksum word at 4088 counts as zero; we skip it instead
 * of zeroing the caller's buffer.
 */
import { copyBytes, viewOf } from './bytes';
import { wasmBlockChecksum } from './fletcher64-wasm';
import { CHECKSUM_OFFSET } from './sb-common';
import { expectBytes, expectBytesOf, expectNumber } from './guard';

/** Size of one info-block in bytes. */
export const BLOCK_SIZE = 4096;

/**
 * Fletcher64 over `bytes` (a multiple of 4 bytes long), treating the 8 bytes
 * at `skipOffset` (if given, 4-aligned) as zero. The loop runs over the words
 * before and after the skipped pair; for the pair itself only `hi` advances
 * (lo + 0 = lo), so no word is tested inside the hot loop. A DataView reads
 * little-endian words at any byteOffset and measured faster here than a
 * Uint32Array view (bench/codec.mjs).
 */
export function fletcher64(bytes: Uint8Array, skipOffset?: number): bigint {
  expectBytes(bytes, 'bytes');
  if (skipOffset !== undefined) expectNumber(skipOffset, 'skipOffset');
  const end = bytes.byteLength & ~3;
  const skip = skipOffset === undefined ? end : Math.min(skipOffset & ~3, end);
  const skipEnd = Math.min(skip + 8, end);
  const dv = viewOf(bytes);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < skip; i += 4) {
    lo = (lo + dv.getUint32(i, true)) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  for (let i = skip; i < skipEnd; i += 4) hi = (hi + lo) >>> 0;
  for (let i = skipEnd; i < end; i += 4) {
    lo = (lo + dv.getUint32(i, true)) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Checksum of a 4 KiB info-block (checksum field taken as zero): the
 * WebAssembly SIMD loop where the runtime has it (about 3x the JS loop,
 * bench/codec.mjs), else the JS loop above.
 */
export function blockChecksum(block: Uint8Array): bigint {
  expectBytesOf(block, 'block', BLOCK_SIZE, 'an info-block');
  const fast = wasmBlockChecksum();
  return fast !== null ? fast(block) : fletcher64(block.subarray(0, BLOCK_SIZE), CHECKSUM_OFFSET);
}

/** The checksum stored in the block (u64 little-endian at {@link CHECKSUM_OFFSET}). */
export function storedChecksum(block: Uint8Array): bigint {
  expectBytesOf(block, 'block', BLOCK_SIZE, 'an info-block');
  return viewOf(block).getBigUint64(CHECKSUM_OFFSET, true);
}

/** True when the stored checksum equals the one computed over the block. */
export function verifyChecksum(block: Uint8Array): boolean {
  expectBytes(block, 'block');
  return blockChecksum(block) === storedChecksum(block);
}

/** A copy of the first 4 KiB of `block` with a freshly computed checksum. */
export function withFreshChecksum(block: Uint8Array): Uint8Array {
  expectBytesOf(block, 'block', BLOCK_SIZE, 'an info-block');
  const out = copyBytes(block.subarray(0, BLOCK_SIZE)); // Buffer#slice would alias
  viewOf(out).setBigUint64(CHECKSUM_OFFSET, blockChecksum(out), true);
  return out;
}
