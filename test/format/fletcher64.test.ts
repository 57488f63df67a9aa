// The kernel's info-block checksum (docs/format.md, "Checksum"): known
// vectors, the closed form as a property, disagreement with textbook
// Fletcher-64, non-mutation, and every byte container.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { useTmpDir } from '../support/tmp';
import { testIf } from '../support/skip';
import {
  BLOCK_SIZE,
  CHECKSUM_OFFSET,
  blockChecksum,
  fletcher64,
  storedChecksum,
  verifyChecksum,
  withFreshChecksum,
} from '../../src/index';

const M32 = 0xffffffffn;

/** Closed form (docs/format.md): lo = Σw, hi = Σ(1024-i)·w[i], both mod 2^32, checksum words as 0. */
function closedForm(block: Uint8Array): bigint {
  const dv = new DataView(block.buffer, block.byteOffset, 4096);
  let lo = 0n;
  let hi = 0n;
  for (let i = 0; i < 1022; i++) {
    const w = BigInt(dv.getUint32(i * 4, true));
    lo += w;
    hi += BigInt(1024 - i) * w;
  }
  return ((hi & M32) << 32n) | (lo & M32);
}

/** Textbook Fletcher-64: both sums mod 2^32-1 (what the kernel does NOT do). */
function textbookFletcher64(block: Uint8Array): bigint {
  const dv = new DataView(block.buffer, block.byteOffset, 4096);
  let lo = 0n;
  let hi = 0n;
  for (let i = 0; i < 1024; i++) {
    const w = i >= 1022 ? 0n : BigInt(dv.getUint32(i * 4, true));
    lo = (lo + w) % M32;
    hi = (hi + lo) % M32;
  }
  return (hi << 32n) | lo;
}

function wordBlock(index: number, value: number): Uint8Array {
  const b = new Uint8Array(4096);
  new DataView(b.buffer).setUint32(index * 4, value, true);
  return b;
}

/** The same bytes as a Buffer, a Uint8Array, and sub-arrays at byteOffset 4 and 3. */
function containers(bytes: Uint8Array): [string, Uint8Array][] {
  const at = (off: number): Uint8Array => {
    const big = new Uint8Array(bytes.byteLength + off + 5).fill(0xa5);
    big.set(bytes, off);
    return big.subarray(off, off + bytes.byteLength);
  };
  const buf = Buffer.alloc(bytes.byteLength);
  buf.set(bytes);
  return [
    ['Buffer', buf],
    ['Uint8Array', Uint8Array.from(bytes)],
    ['sub-array at byteOffset 4', at(4)],
    ['sub-array at byteOffset 3', at(3)],
    ['sub-array at byteOffset 1001', at(1001)],
  ];
}

const arbBlock = fc.uint8Array({ minLength: 4096, maxLength: 4096 });

describe('known vectors', () => {
  test('constants', () => {
    expect(BLOCK_SIZE).toBe(4096);
    expect(CHECKSUM_OFFSET).toBe(4088);
  });

  test('an all-zero block sums to 0', () => {
    expect(blockChecksum(new Uint8Array(4096))).toBe(0n);
    expect(fletcher64(new Uint8Array(4096))).toBe(0n);
  });

  test.each([
    [0, 1],
    [0, 0xffffffff],
    [1, 1],
    [1, 0x12345678],
    [511, 7],
    [1000, 0x80000000],
    [1021, 0xffffffff],
  ])('a single word at index %d with value %d: lo = w, hi = (1024-i)·w mod 2^32', (i, w) => {
    const lo = BigInt(w);
    const hi = (BigInt(1024 - i) * BigInt(w)) & M32;
    expect(blockChecksum(wordBlock(i, w))).toBe((hi << 32n) | lo);
  });

  test.each([1022, 1023])('a word in the checksum field (index %d) does not count', (i) => {
    expect(blockChecksum(wordBlock(i, 0xdeadbeef))).toBe(0n);
    // fletcher64 without a skip offset does count it.
    expect(fletcher64(wordBlock(i, 0xdeadbeef))).toBe((((BigInt(1024 - i) * 0xdeadbeefn) & M32) << 32n) | 0xdeadbeefn);
  });

  test('all 0xff bytes', () => {
    const b = new Uint8Array(4096).fill(0xff);
    // lo = 1022·(2^32-1) mod 2^32 = 2^32 - 1022; hi = Σ_{i<1022}(1024-i)·(2^32-1) = -Σ(1024-i) mod 2^32.
    let s = 0n;
    for (let i = 0; i < 1022; i++) s += BigInt(1024 - i);
    const lo = (1n << 32n) - 1022n;
    const hi = ((1n << 32n) - (s & M32)) & M32;
    expect(blockChecksum(b)).toBe((hi << 32n) | lo);
  });

  test('blockChecksum rejects a short block with TruncatedError', () => {
    expect(() => blockChecksum(new Uint8Array(4095))).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => storedChecksum(new Uint8Array(100))).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => withFreshChecksum(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'truncated' }));
  });

  test('only the first 4096 bytes count', () => {
    const b = new Uint8Array(8192).fill(0x5a, 4096);
    expect(blockChecksum(b)).toBe(0n);
  });
});

describe('a real ndctl-written block', () => {
  const r = spawnSync('ndctl', ['write-infoblock', '-c', '-s', '1G', '-u', '11111111-2222-3333-4444-555555555555']);
  const available = r.error === undefined && r.status === 0;
  testIf(available, 'ndctl is not installed (apt-get install ndctl)')(
    'its computed checksum equals the stored one',
    () => {
      const block = (r.stdout as Buffer).subarray(4096, 8192);
      expect(block.byteLength).toBe(4096);
      const stored = block.readBigUInt64LE(4088);
      expect(stored).not.toBe(0n);
      expect(blockChecksum(block)).toBe(stored);
      expect(storedChecksum(block)).toBe(stored);
      expect(verifyChecksum(block)).toBe(true);
      expect(closedForm(block)).toBe(stored);
    },
  );

  test('the committed sample heads carry valid checksums', () => {
    const dir = path.join(__dirname, '../../samples');
    const heads = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.head')) : [];
    for (const f of heads) {
      const head = fs.readFileSync(path.join(dir, f));
      expect({ f, ok: verifyChecksum(head.subarray(4096)) }).toEqual({ f, ok: true });
    }
  });
});

describe('properties', () => {
  test('blockChecksum equals the closed form', () => {
    fc.assert(
      fc.property(arbBlock, (b) => blockChecksum(b) === closedForm(b)),
      { numRuns: 300 },
    );
  });

  test('blockChecksum ignores whatever is stored in the checksum field', () => {
    fc.assert(
      fc.property(arbBlock, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (b, c) => {
        const before = blockChecksum(b);
        new DataView(b.buffer, b.byteOffset).setBigUint64(4088, c, true);
        return blockChecksum(b) === before;
      }),
      { numRuns: 100 },
    );
  });

  test('textbook mod-(2^32-1) Fletcher-64 disagrees on most random blocks', () => {
    const blocks = fc.sample(arbBlock, { numRuns: 200, seed: 42 });
    const disagree = blocks.filter((b) => textbookFletcher64(b) !== blockChecksum(b)).length;
    expect(disagree).toBeGreaterThanOrEqual(190);
  });

  test('withFreshChecksum seals a block that verifies; flipping any bit outside the checksum breaks it', () => {
    fc.assert(
      fc.property(arbBlock, fc.integer({ min: 0, max: 4088 * 8 - 1 }), (b, bit) => {
        const sealed = withFreshChecksum(b);
        if (!verifyChecksum(sealed)) return false;
        const broken = sealed.slice();
        broken[bit >> 3] = (broken[bit >> 3] as number) ^ (1 << (bit & 7));
        return !verifyChecksum(broken);
      }),
      { numRuns: 200 },
    );
  });
});

describe('never mutates its input, on every byte container', () => {
  const sample = fc.sample(arbBlock, { numRuns: 3, seed: 7 });
  const cases = sample.flatMap((b, n) =>
    containers(b).map(([name, c]) => [`${name} #${n}`, c, closedForm(b)] as const),
  );

  // Regression: withFreshChecksum once used block.slice(), which for a Buffer
  // is a view, not a copy, and wrote the fresh checksum into the caller's
  // Buffer (found by these cases; fixed in fbabac1).
  test.each(cases)('%s', (_name, c, expected) => {
    const parent = new Uint8Array(c.buffer).slice(); // the whole backing store, margins included
    expect(blockChecksum(c)).toBe(expected);
    expect(new Uint8Array(c.buffer)).toEqual(parent);
    const stored = storedChecksum(c);
    expect(verifyChecksum(c)).toBe(stored === expected);
    expect(new Uint8Array(c.buffer)).toEqual(parent);
    const fresh = withFreshChecksum(c);
    expect(new Uint8Array(c.buffer)).toEqual(parent);
    expect(fresh.buffer).not.toBe(c.buffer);
    expect(fresh.byteLength).toBe(4096);
    expect(verifyChecksum(fresh)).toBe(true);
    expect(storedChecksum(fresh)).toBe(expected);
    expect(Buffer.from(fresh.subarray(0, 4088))).toEqual(Buffer.from(c.subarray(0, 4088)));
  });

  // Regression: see above (Buffer#slice aliases the caller's memory).
  test("withFreshChecksum(Buffer) leaves the caller's stale checksum alone", () => {
    const b = Buffer.alloc(4096);
    b.writeUInt32LE(1, 0); // checksum should be 0x0000040000000001, stored is 0
    const fresh = withFreshChecksum(b);
    expect(storedChecksum(fresh)).toBe((1024n << 32n) | 1n);
    expect(b.readBigUInt64LE(4088)).toBe(0n);
  });

  test('a sub-array view sees only its own bytes (margins differ from the block)', () => {
    const big = new Uint8Array(4096 + 10).fill(0xff);
    const view = big.subarray(3, 3 + 4096);
    view.fill(0);
    expect(blockChecksum(view)).toBe(0n);
  });
});

describe('C reference (gcc or g++ at test time)', () => {
  const tmp = useTmpDir('fl64');
  const works = (cmd: string): boolean => {
    const r = spawnSync(cmd, ['--version']);
    return r.error === undefined && r.status === 0;
  };
  // g++ compiles the same source as C++ (-x c++); the code is valid in both.
  const compiler: [string, string[]] | undefined = works('gcc')
    ? ['gcc', []]
    : works('g++')
      ? ['g++', ['-x', 'c++']]
      : undefined;
  testIf(compiler !== undefined, 'no gcc or g++')('a C implementation of the sheet agrees on random blocks', () => {
    const dir = tmp.dir;
    // Written from the algorithm's description in docs/format.md; reads 4 KiB blocks on stdin.
    const src =
      `#include <stdio.h>
#include <stdint.h>
#include <string.h>
int main(void) {
  unsigned char b[4096];
  while (fread(b, 1, 4096, stdin) == 4096) {
    uint32_t lo = 0, hi = 0;
    for (int i = 0; i < 1024; i++) {
      uint32_t w = 0;
      if (i < 1022) w = (uint32_t)b[4*i] | (uint32_t)b[4*i+1] << 8 | ` +
      `(uint32_t)b[4*i+2] << 16 | (uint32_t)b[4*i+3] << 24;
      lo += w; hi += lo;
    }
    printf("%016llx\\n", (unsigned long long)((uint64_t)hi << 32 | lo));
  }
  return 0;
}
`;
    fs.writeFileSync(path.join(dir, 'f.c'), src);
    const [cc, lang] = compiler ?? ['gcc', []];
    const c = spawnSync(cc, [...lang, '-O2', '-o', path.join(dir, 'f'), path.join(dir, 'f.c')], { encoding: 'utf8' });
    expect(c.status).toBe(0);
    const blocks = fc.sample(arbBlock, { numRuns: 50, seed: 3 });
    const r = spawnSync(path.join(dir, 'f'), [], { input: Buffer.concat(blocks.map((b) => Buffer.from(b))) });
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines).toEqual(blocks.map((b) => blockChecksum(b).toString(16).padStart(16, '0')));
  });
});
