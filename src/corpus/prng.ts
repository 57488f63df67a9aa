/**
 * The corpus generator's own PRNG. Never Math.random: the same seed must give
 * a byte-identical corpus on any platform and Node version, so the state is
 * four 32-bit words advanced with Math.imul and `>>> 0` only (xoshiro128**),
 * seeded by splitmix64 over BigInt from (seed, stream), or for the per-input
 * hot path by MurmurHash3's 32-bit finalizer over (seed halves, index).
 * Each corpus input draws from its own stream, so input i is a pure function
 * of (seed, i).
 */
import { U64_MAX } from '../format/int64';
import { expectBigint, expectNumber, expectString } from '../format/guard';

const M64 = U64_MAX;

/** One splitmix64 step: returns [next state, output]. */
function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & M64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return [s, z ^ (z >> 31n)];
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** MurmurHash3's 32-bit finalizer: a bijective avalanche mix. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** A generator for `stream` of `seed` (both any u64; larger values are reduced mod 2^64). */
  static of(seed: bigint, stream: bigint = 0n): Prng {
    expectBigint(seed, 'seed');
    expectBigint(stream, 'stream');
    let [s, x] = splitmix64(seed & M64);
    [s, x] = splitmix64((s ^ ((stream & M64) * 0xd1342543de82ef95n)) & M64);
    const [s2, y] = splitmix64(s);
    let a = Number(x & 0xffffffffn);
    let b = Number(x >> 32n);
    let c = Number(y & 0xffffffffn);
    const d = Number(y >> 32n);
    void s2;
    if ((a | b | c | d) === 0) a = b = c = 1; // xoshiro's one forbidden state
    return new Prng(a, b, c, d);
  }

  /**
   * A generator for `stream` of a seed given as its two 32-bit halves
   * and a stream below 2^32, with 32-bit mixing only (no BigInt): the
   * per-input path of the generator.
   */
  static ofWords(seedLo: number, seedHi: number, stream: number): Prng {
    expectNumber(seedLo, 'seedLo');
    expectNumber(seedHi, 'seedHi');
    expectNumber(stream, 'stream');
    let h = fmix32((seedLo ^ Math.imul(stream, 0x9e3779b9)) >>> 0);
    const a = h;
    h = fmix32((h ^ seedHi ^ 0x85ebca6b) >>> 0);
    const b = h;
    h = fmix32((h ^ stream ^ 0xc2b2ae35) >>> 0);
    const c = h;
    h = fmix32((h ^ seedLo ^ seedHi ^ 0x27d4eb2f) >>> 0);
    const d = h;
    return (a | b | c | d) === 0 ? new Prng(1, 1, 1, 0) : new Prng(a, b, c, d);
  }

  /** Next uniform u32 (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform integer in [0, n) for `0 < n <= 2^32` (rejection sampling, no modulo bias). */
  below(n: number): number {
    if (!(n > 0 && n <= 0x100000000 && Number.isInteger(n))) throw new RangeError(`below(${n})`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)] as T;
  }

  /** True with probability num/den. */
  chance(num: number, den: number): boolean {
    return this.below(den) < num;
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  /** Fill `out` with random bytes. */
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let x = this.u32();
      for (let j = 0; j < 4 && i + j < out.length; j++, x >>>= 8) out[i + j] = x & 0xff;
    }
    return out;
  }

  /** A random canonical uuid string (any 16 bytes, like a block may hold). */
  uuid(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += this.u32().toString(16).padStart(8, '0');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
  }
}

/** Parse a corpus seed: decimal or 0x hex, `0 <= seed < 2^64`. */
export function parseSeed(text: string): bigint | null {
  expectString(text, 'text');
  const t = text.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) return null;
  const v = BigInt(t);
  return v <= M64 ? v : null;
}
