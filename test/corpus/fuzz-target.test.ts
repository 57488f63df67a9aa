// The fuzz target's contract, replayed without the fuzzer: over a generated
// corpus for every profile and over seeded random mutations of it, the
// target returns (only InfoblockError may be thrown inside, and it is
// caught there). Needs dist/ (npm test builds it first); skipped otherwise.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { CorpusGenerator } from '../../src/corpus/generate';
import { Prng } from '../../src/corpus/prng';
import { describeIf } from '../support/skip';

const targetPath = path.join(__dirname, '../../fuzz/target.js');
const haveDist = fs.existsSync(path.join(__dirname, '../../dist/migrate/migrate.js'));
const d = describeIf(haveDist, 'needs dist/ (npm test builds it first)');

d('fuzz/target.js replay', () => {
  const { fuzz, stats } = createRequire(__filename)(targetPath) as {
    fuzz: (b: Buffer) => void;
    stats: { migrationsChecked: number; beyond2to64Refused: number };
  };
  test.each(['linux-6.1', 'linux-latest', 'linux-4.x', 'map'] as const)('corpus inputs aimed at %s', (kernel) => {
    const g = new CorpusGenerator({ seed: 5n, kernel, steer: false });
    const checked = stats.migrationsChecked;
    for (const input of g.inputs(150)) expect(() => fuzz(Buffer.from(input.block))).not.toThrow();
    // The migration invariant (same data start, only version/dataoff/checksum bytes change) really ran.
    expect(stats.migrationsChecked).toBeGreaterThan(checked);
  });
  test('every namespace base x size x profile the selector bytes reach: a verdict, or the 2^64 refusal', () => {
    // CI's finding: base 2^64 - 2 MiB with a 2 GiB + 4 MiB namespace ends past 2^64; checkHead refuses it
    // (invalid-argument) and the target now asserts that refusal instead of calling it a crash.
    const g = new CorpusGenerator({ seed: 7n, steer: false });
    const blocks = [...g.inputs(4)].map((i) => Buffer.from(i.block));
    const refused = stats.beyond2to64Refused;
    for (const b of blocks)
      for (let base = 0; base < 5; base++)
        for (let size = 0; size < 6; size++)
          for (let kernel = 0; kernel < 4; kernel++) {
            b[4000] = base;
            b[4001] = size;
            b[4002] = kernel;
            expect(() => fuzz(b)).not.toThrow();
          }
    // Base 2^64 - 2 MiB with each of the five sizes above 2 MiB, for every block and profile.
    expect(stats.beyond2to64Refused - refused).toBe(blocks.length * 5 * 4);
  });
  test('random byte mutations, short and long inputs', () => {
    const g = new CorpusGenerator({ seed: 6n, steer: false });
    const rng = Prng.of(6n);
    for (const input of g.inputs(300)) {
      const b = Buffer.from(input.block);
      for (let k = rng.below(8); k >= 0; k--) b[rng.below(4096)] = rng.u32() & 0xff;
      const cut = rng.chance(1, 4)
        ? b.subarray(0, rng.below(4096))
        : rng.chance(1, 4)
          ? Buffer.concat([b, Buffer.alloc(rng.below(5000), 0xff)])
          : b;
      expect(() => fuzz(cut)).not.toThrow();
    }
  });
});
