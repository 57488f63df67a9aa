/**
 * The info-block checksum as a tiny hand-assembled WebAssembly SIMD module
 * (no toolchain needed: the bytes are written out below). Four i32 lanes sum
 * the words (lo) and the running sums (hi) of every fourth word; the closed
 * form hi = 4·Σb − Σ j·a_j folds the lanes back into the kernel's sequential
 * definition. Arithmetic wraps mod 2^32 exactly as the kernel's u32 sums.
 * Returns null where the runtime lacks WebAssembly SIMD: callers fall back.
 */

const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
const simd = (op: number, ...rest: number[]): number[] =>
  op < 0x80 ? [0xfd, op, ...rest] : [0xfd, (op & 0x7f) | 0x80, op >> 7, ...rest];
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? byte : byte | 0x80);
  } while (n !== 0);
  return out;
}
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];

function laneSum(local: number): number[] {
  const out: number[] = [];
  for (let lane = 0; lane < 4; lane++) {
    out.push(0x20, local, ...simd(0x1b, lane));
    if (lane > 0) out.push(0x6a); // i32.add
  }
  return out;
}

/** `ck(p: i32) -> i64`: the checksum of the 4096 bytes at p (checksum word already zeroed by the caller). */
function moduleBytes(): Uint8Array {
  const weights = [0, 1, 2, 3].flatMap((j) => [j, 0, 0, 0]);
  const code = [
    0x02,
    0x01,
    I32,
    0x02,
    V128, // locals: i (1); a (2), b (3)
    0x03,
    0x40, // loop
    0x20,
    0x02,
    0x20,
    0x00,
    0x20,
    0x01,
    0x6a,
    ...simd(0x00, 0x00, 0x00),
    ...simd(0xae),
    0x21,
    0x02, // a += load(p + i)
    0x20,
    0x03,
    0x20,
    0x02,
    ...simd(0xae),
    0x21,
    0x03, // b += a
    0x20,
    0x01,
    0x41,
    0x10,
    0x6a,
    0x22,
    0x01,
    0x41,
    0x80,
    0x20,
    0x49,
    0x0d,
    0x00, // i += 16; loop while i < 4096
    0x0b,
    0x20,
    0x03,
    0x41,
    0x02,
    ...simd(0xab),
    0x20,
    0x02,
    ...simd(0x0c, ...weights),
    ...simd(0xb5),
    ...simd(0xb1),
    0x21,
    0x03,
    ...laneSum(3),
    0xad,
    0x42,
    0x20,
    0x86, // (u64)hi << 32
    ...laneSum(2),
    0xad,
    0x84, // | (u64)lo
    0x0b,
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x01, I32, 0x01, I64]),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, 0x01]),
    ...section(7, [0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x02, 0x63, 0x6b, 0x00, 0x00]),
    ...section(10, [0x01, ...leb(code.length), ...code]),
  ]);
}

export type BlockChecksumFn = (block: Uint8Array) => bigint;

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: object,
  ) => { exports: { ck: (p: number) => bigint; mem: { buffer: ArrayBuffer } } };
}

let cached: BlockChecksumFn | null | undefined;

/** The WebAssembly checksum of a 4 KiB block, or null when unavailable. Built on first use. */
export function wasmBlockChecksum(): BlockChecksumFn | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    const bytes = moduleBytes();
    if (wasm === undefined || !wasm.validate(bytes)) return null;
    const inst = new wasm.Instance(new wasm.Module(bytes), {});
    const ck = inst.exports.ck;
    const mem = new Uint8Array(inst.exports.mem.buffer, 0, 4096);
    cached = (block) => {
      // A 4096-byte block is copied whole: making a subarray costs more than the copy.
      mem.set(block.byteLength === 4096 ? block : block.subarray(0, 4096));
      mem.fill(0, 4088, 4096); // the checksum field counts as zero (in our copy, never the caller's bytes)
      return BigInt.asUintN(64, ck(0)); // i64 results arrive signed
    };
  } catch {
    cached = null;
  }
  return cached;
}
