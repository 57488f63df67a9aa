// The pure migrator: properties over random legacy blocks at misaligned
// bases (only dataoff/version/checksum change, the data does not move, the
// round trip is the identity) and its preconditions as a table.
import fc from 'fast-check';
import {
  InfoblockError,
  decodePfnBlock,
  encodePfnBlock,
  headWithBlock,
  patchPfnBlock,
  recipeFields,
  withFreshChecksum,
} from '../../src/index';
import { migrate, type MigrateOptions } from '../../src/migrate/migrate';
import { checkHead } from '../../src/validate/check';
import { thrownBy } from '../support/errors';

const M = 1n << 20n;
const UUID = '6a7b8c9d-0000-4000-8000-0123456789ab';

/** Byte indices where a and b differ. */
function diffs(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
const inMigratedFields = (i: number): boolean => (i >= 52 && i < 64) || i >= 4088; // version, dataoff, checksum

interface Case {
  base: bigint;
  size: bigint;
  block: Uint8Array;
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    k: fc.bigInt({ min: 0n, max: 1n << 20n }),
    m: fc.bigInt({ min: 1n, max: 511n }), // 4 KiB steps inside a 2 MiB granule: never aligned
    pages: fc.bigInt({ min: 4096n, max: 1n << 20n }), // 16 MiB .. 4 GiB
    align: fc.constantFrom(4096n, 64n << 10n, 2n * M, 4n * M),
    map: fc.constantFrom('dev' as const, 'mem' as const),
    mode: fc.constantFrom('fsdax' as const, 'devdax' as const),
    padding: fc.option(fc.uint8Array({ minLength: 3994, maxLength: 3994 }), { nil: undefined }),
  })
  .map(({ k, m, pages, align, map, mode, padding }) => {
    const base = k * 2n * M + m * 4096n;
    const size = pages * 4096n;
    let block: Uint8Array;
    try {
      block = encodePfnBlock(recipeFields({ meaning: 'legacy', size, offset: base, align, map, mode, uuid: UUID }));
    } catch {
      return { base, size, block: new Uint8Array(0) };
    }
    if (padding !== undefined) {
      block.set(padding, 94); // garbage in the padding must survive untouched
      block = withFreshChecksum(block);
    }
    return { base, size, block };
  })
  .filter((c) => c.block.length === 4096);

const opts = (c: Case, to: 'map' | 'legacy'): MigrateOptions => ({ to, nsBase: c.base, nsSize: c.size });

describe('migrate legacy -> map (properties)', () => {
  let claimed = 0;
  let runs = 0;
  afterAll(() => {
    // Figures for the report: how many random blocks a kernel actually claimed.
    console.log(
      `migrate properties: ${runs} random legacy blocks, ${claimed} claimed by linux-6.1 before and by map after`,
    );
  });

  test('only version, dataoff and checksum change; data start and size stay; round trip is the identity', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        runs++;
        const before = decodePfnBlock(c.block).fields;
        const r = migrate(c.block, opts(c, 'map'));
        expect([r.status, r.reason]).toEqual(['planned', null]);
        expect(r.from).toBe('legacy');
        expect(diffs(c.block, r.block).every(inMigratedFields)).toBe(true);
        const after = decodePfnBlock(r.block);
        expect(after.checksumValid).toBe(true);
        expect(after.fields.versionMajor).toBe(2);
        expect(after.fields.versionMinor).toBe(4);
        expect(after.fields.dataoff).toBe(before.dataoff + before.startPad);
        expect(r.dataStartAfter).toBe(r.dataStartBefore);
        expect(r.dataStartBefore).toBe(before.startPad + before.dataoff);
        // The caller's buffer is untouched and the way back restores every byte.
        const back = migrate(r.block, opts(c, 'legacy'));
        expect([back.status, back.reason]).toEqual(['planned', null]);
        expect(Buffer.from(back.block).equals(Buffer.from(c.block))).toBe(true);
        // What linux-6.1 does with the original, the map kernel does with the result.
        const ns = { nsBase: c.base, nsSize: c.size, hazards: false } as const;
        const old61 = checkHead(headWithBlock(c.block), { ...ns, kernel: 'linux-6.1' });
        const newMap = checkHead(headWithBlock(r.block), { ...ns, kernel: 'map' });
        expect(newMap.outcome).toBe(old61.outcome);
        expect(r.target.outcome).toBe(newMap.outcome);
        if (old61.outcome === 'claimed') {
          claimed++;
          expect(newMap.dataStart).toBe(old61.dataStart);
          expect(newMap.dataStart).toBe(r.dataStartAfter);
          expect(newMap.dataSize).toBe(old61.dataSize);
          expect(r.dataSize).toBe(old61.dataSize);
        }
      }),
      { numRuns: 300 },
    );
    expect(claimed).toBeGreaterThan(50);
  });

  test('fsdax legacy blocks at k*2M + 1M are claimed by map at the old data start', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 24n }), fc.bigInt({ min: 16n, max: 4096n }), (k, mib) => {
        const c = { base: k * 2n * M + M, size: mib * M };
        const block = encodePfnBlock(recipeFields({ meaning: 'legacy', size: c.size, offset: c.base, uuid: UUID }));
        const r = migrate(block, { to: 'map', ...{ nsBase: c.base, nsSize: c.size } });
        const v = checkHead(headWithBlock(r.block), { kernel: 'map', nsBase: c.base, nsSize: c.size });
        expect(v.outcome).toBe('claimed');
        expect(v.dataStart).toBe(r.dataStartBefore);
        expect(r.guard.outcome).toBe('refused'); // 6.1 sees a misaligned data start: "bad offset", not misplacement
        expect(r.hazard).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe('ndctl -O blocks (version 1.4, map meaning)', () => {
  const base = 0x100100000n;
  const size = 1n << 30n;
  const block = encodePfnBlock(recipeFields({ meaning: 'ndctl', size, offset: base, uuid: UUID }));

  test('without --from the evidence contradicts the version: ambiguous', () => {
    expect(() => migrate(block, { to: 'map', nsBase: base, nsSize: size })).toThrow(
      expect.objectContaining({ code: 'ambiguous' }),
    );
    expect(() => migrate(block, { to: 'legacy', nsBase: base, nsSize: size })).toThrow(
      expect.objectContaining({ code: 'ambiguous' }),
    );
  });

  test('--from map --to legacy repairs it: linux-6.1 claims it with the data where ndctl meant it', () => {
    const r = migrate(block, { from: 'map', to: 'legacy', nsBase: base, nsSize: size });
    expect([r.status, r.reason]).toEqual(['planned', null]);
    expect(r.after.version).toBe('1.4');
    expect(r.after.dataoff).toBe(r.before.dataoff - r.before.startPad);
    expect(r.target.profile).toBe('linux-6.1');
    expect(r.target.outcome).toBe('claimed');
    expect(r.target.dataStart).toBe(r.before.dataoff);
    expect(diffs(block, r.block).every(inMigratedFields)).toBe(true);
    // Not our legacy recipe's bytes: ndctl measured the memmap from the raw
    // base, so its data starts 1 MiB earlier; the repair keeps ndctl's start.
    expect(r.dataStartAfter).toBe(17n * M);
  });

  test('--from legacy forces the version meaning; the contradiction becomes a note', () => {
    const r = migrate(block, { from: 'legacy', to: 'map', nsBase: base, nsSize: size });
    expect(r.notes.join('\n')).toMatch(/informational/);
  });
});

describe('hazard: linux-6.1 would claim a 2.x block with the data elsewhere', () => {
  // start_pad = 2 MiB on an aligned base keeps base + start_pad aligned, so
  // both meanings give aligned data starts, 2 MiB apart.
  const base = 0x100000000n;
  const size = 64n * M;
  const legacy = patchPfnBlock(encodePfnBlock(recipeFields({ meaning: 'legacy', size, offset: base, uuid: UUID })), {
    startPad: 2n * 1024n * 1024n,
  });

  test('the report carries the hazard and the misplaced start', () => {
    const r = migrate(legacy, { to: 'map', nsBase: base, nsSize: size });
    expect([r.status, r.reason]).toEqual(['planned', null]);
    expect(r.guard.outcome).toBe('claimed');
    expect(r.guard.dataStart).toBe(r.dataStartAfter + 2n * M);
    expect(r.hazard).toMatch(/linux-6.1/);
    expect(r.target.dataStart).toBe(r.dataStartBefore);
  });

  test('a guard kernel that knows the map meaning sees no hazard', () => {
    expect(migrate(legacy, { to: 'map', nsBase: base, nsSize: size, guardKernel: 'map' }).hazard).toBeNull();
  });

  test('several guard kernels: one verdict each, the hazard names the first that misplaces the data', () => {
    const r = migrate(legacy, { to: 'map', nsBase: base, nsSize: size, guardKernel: 'map,5.10,7.2' });
    expect(r.guards.map((g) => g.profile)).toEqual(['map', 'linux-5.10', 'linux-7.2']);
    expect(r.guard.profile).toBe('linux-5.10');
    expect(r.hazard).toMatch(/^linux-5\.10 ignores the major version/);
  });

  test('--guard-kernel all is the four booted kernels', () => {
    const r = migrate(legacy, { to: 'map', nsBase: base, nsSize: size, guardKernel: 'all' });
    expect(r.guards.map((g) => g.profile)).toEqual(['linux-5.10', 'linux-6.1', 'linux-6.12', 'linux-7.2']);
  });

  test.each(['9.9', '4.4', 'linux-', '6.1,,7.2', ''])('guard kernel %j is a typed invalid-argument error', (spec) => {
    expect(() => migrate(legacy, { to: 'map', nsBase: base, nsSize: size, guardKernel: spec })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});

describe('results that are not migrations', () => {
  test('start_pad 0: nothing to migrate, block unchanged', () => {
    const block = encodePfnBlock(recipeFields({ meaning: 'legacy', size: 64n * M, offset: 0x100000000n, uuid: UUID }));
    const r = migrate(block, { to: 'map', nsBase: 0x100000000n, nsSize: 64n * M });
    expect([r.status, r.reason]).toEqual(['unchanged', 'nothing-to-migrate']);
    expect(Buffer.from(r.block).equals(Buffer.from(block))).toBe(true);
  });

  test('a 2.4 block asked --to map is already migrated', () => {
    const block = encodePfnBlock(recipeFields({ meaning: 'map', size: 64n * M, offset: 0x100100000n, uuid: UUID }));
    const r = migrate(block, { to: 'map', nsBase: 0x100100000n, nsSize: 64n * M });
    expect([r.status, r.reason]).toEqual(['unchanged', 'already']);
  });
});

describe('preconditions', () => {
  const base = 0x100100000n;
  const size = 64n * M;
  const good = encodePfnBlock(recipeFields({ meaning: 'legacy', size, offset: base, uuid: UUID }));
  const f = decodePfnBlock(good).fields;
  const corrupt = good.slice();
  corrupt[200] = 0xff;
  const btt = good.slice();
  btt.set(Buffer.from('BTT_ARENA_INFO\0\0', 'latin1'), 0);
  const cases: [string, Uint8Array, Partial<MigrateOptions>, string][] = [
    ['checksum mismatch (a torn block)', corrupt, {}, 'precondition'],
    ['not a pfn/dax signature', withFreshChecksum(btt), {}, 'precondition'],
    ['minor version 2', patchPfnBlock(good, { versionMinor: 2 }), {}, 'precondition'],
    ['unknown major version without --from', patchPfnBlock(good, { versionMajor: 3 }), {}, 'precondition'],
    [
      'map -> legacy with dataoff < start_pad',
      patchPfnBlock(good, { versionMajor: 2, dataoff: 4096n }),
      { to: 'legacy', from: 'map' },
      'precondition',
    ],
    [
      'u64 overflow of dataoff + start_pad',
      patchPfnBlock(good, { dataoff: (1n << 64n) - 4096n }),
      { from: 'legacy' },
      'precondition',
    ],
    ['no data area left', patchPfnBlock(good, { dataoff: size }), { from: 'legacy' }, 'precondition'],
    ['PMEM memmap not covered by dataoff', patchPfnBlock(good, { npfns: f.npfns * 4n }), {}, 'precondition'],
    [
      'dataoff inside the 8 KiB reserve',
      patchPfnBlock(good, { dataoff: 4096n, mode: 1 }),
      { from: 'legacy' },
      'precondition',
    ],
    ['namespace smaller than the head', good, { nsSize: 4096n }, 'precondition'],
    ['short buffer', good.subarray(0, 4000), {}, 'truncated'],
  ];
  test.each(cases)('%s', (_name, block, extra, code) => {
    const copy = block.slice();
    const err = thrownBy(() => migrate(block, { to: 'map', nsBase: base, nsSize: size, ...extra }));
    expect(err).toBeInstanceOf(InfoblockError);
    expect((err as InfoblockError).code).toBe(code);
    expect(Buffer.from(block).equals(Buffer.from(copy))).toBe(true); // never mutates the caller's buffer
  });
});
