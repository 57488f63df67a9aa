// Write recipes: ndctl's formulas (docs/format.md), and the invariants
// that relate the three meanings of dataoff (legacy, map, ndctl).
import fc from 'fast-check';
import { DEFAULT_ALIGN, InvalidArgumentError, checkAlign, recipeFields, type WriteParams } from '../../src/index';

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const MiB2 = 2n << 20n;
const UUID = '11111111-2222-3333-4444-555555555555';

const wrap = (x: bigint): bigint => x & M64;
const up = (x: bigint, a: bigint): bigint => wrap(x + a - 1n) & ~(a - 1n) & M64;
const down = (x: bigint, a: bigint): bigint => (x / a) * a;

/** The docs/format.md / docs/ndctl-76.md formulas for `ndctl write-infoblock`, written out independently. */
function sheetNdctl(
  size: bigint,
  offset: bigint,
  align: bigint,
  map: 'dev' | 'mem',
): { dataoff: bigint; npfns: bigint; startPad: bigint; endTrunc: bigint } | 'fail' {
  const a = align > MiB2 ? align : MiB2;
  const npfns0 = wrap(size - 8192n) / 4096n;
  const startPad = wrap(up(offset, a) - offset) & M32;
  const endTrunc = wrap(wrap(offset + size) - down(wrap(offset + size), a)) & M32;
  const dataoff =
    map === 'dev'
      ? wrap(up(wrap(offset + 8192n + 64n * npfns0), a) - offset)
      : wrap(up(wrap(offset + 8192n), a) - offset);
  if (dataoff >= size) return 'fail';
  const npfns = wrap(size - dataoff - endTrunc - startPad) / 4096n;
  return { dataoff, npfns, startPad, endTrunc };
}

const arbAlign = fc.integer({ min: 12, max: 31 }).map((k) => 1n << BigInt(k));
const arbMap = fc.constantFrom('dev' as const, 'mem' as const);
const arbMode = fc.constantFrom('fsdax' as const, 'devdax' as const);
const arbSize = fc.oneof(
  fc.bigInt({ min: 8192n, max: 1n << 42n }),
  fc.bigInt({ min: 1n, max: 1n << 22n }).map((p) => p * 4096n),
  fc.constantFrom(4n << 20n, 64n << 20n, 1n << 30n, 16n << 30n, (1n << 30n) + (1n << 20n)),
);
const arbOffset = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 48n }),
  fc.bigInt({ min: 0n, max: 1n << 20n }).map((k) => k << 20n), // MiB multiples: half of them 1 MiB off 2 MiB
  fc.constant(0x100100000n),
);

function params(
  size: bigint,
  offset: bigint,
  align: bigint,
  map: 'dev' | 'mem',
  mode: 'fsdax' | 'devdax' = 'fsdax',
): WriteParams {
  return { size, offset, align, map, mode, uuid: UUID };
}

function tryRecipe(p: WriteParams): ReturnType<typeof recipeFields> | 'fail' {
  try {
    return recipeFields(p);
  } catch (e) {
    expect(e).toMatchObject({ code: expect.stringMatching(/^(unsupported|invalid-argument)$/) });
    return 'fail';
  }
}

describe('known blocks', () => {
  test('ndctl -s 64M (docs/ndctl-76.md example): dataoff 2 MiB, npfns 15872', () => {
    const f = recipeFields({ size: 64n << 20n, uuid: UUID, meaning: 'ndctl' });
    expect(f).toMatchObject({
      dataoff: 2097152n,
      npfns: 15872n,
      mode: 2,
      startPad: 0n,
      endTrunc: 0n,
      align: 2097152n,
      pageSize: 4096n,
      pageStructSize: 64n,
      flags: 0,
      versionMajor: 1,
      versionMinor: 4,
    });
  });

  test('-s 1G -O 0x100100000: start_pad 1 MiB in all three meanings, dataoff differs', () => {
    const p = { size: 1n << 30n, offset: 0x100100000n, uuid: UUID };
    const legacy = recipeFields({ ...p, meaning: 'legacy' });
    const map = recipeFields({ ...p, meaning: 'map' });
    const ndctl = recipeFields({ ...p, meaning: 'ndctl' });
    expect(legacy.startPad).toBe(0x100000n);
    expect(legacy.endTrunc).toBe(0x100000n);
    // legacy: data at base + 1M + dataoff, a 2 MiB boundary
    expect((0x100100000n + 0x100000n + legacy.dataoff) % MiB2).toBe(0n);
    expect(map.dataoff).toBe(legacy.dataoff + 0x100000n);
    expect([legacy.versionMajor, legacy.versionMinor, map.versionMajor, map.versionMinor, ndctl.versionMajor]).toEqual([
      1, 4, 2, 4, 1,
    ]);
    expect(ndctl).toMatchObject(sheetNdctl(1n << 30n, 0x100100000n, MiB2, 'dev') as object);
  });

  test('defaults: fsdax, map dev, align 2 MiB, nil parent, legacy meaning', () => {
    const f = recipeFields({ size: 1n << 30n, uuid: UUID });
    expect(Buffer.from(f.signature).toString('latin1')).toBe('NVDIMM_PFN_INFO\0');
    expect(f.parentUuid).toBe('00000000-0000-0000-0000-000000000000');
    expect(f.mode).toBe(2);
    expect(f.align).toBe(DEFAULT_ALIGN);
    expect(f.versionMajor).toBe(1);
    expect(recipeFields({ size: 1n << 30n, uuid: UUID, mode: 'devdax', map: 'mem' })).toMatchObject({ mode: 1 });
    expect(
      Buffer.from(recipeFields({ size: 1n << 30n, uuid: UUID, mode: 'devdax' }).signature).toString('latin1'),
    ).toBe('NVDIMM_DAX_INFO\0');
  });

  test('uuids are stored lowercase; bad uuids are InvalidArgumentError', () => {
    expect(
      recipeFields({ size: 1n << 30n, uuid: UUID.toUpperCase(), parentUuid: 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE' }),
    ).toMatchObject({
      uuid: UUID,
      parentUuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    });
    expect(() => recipeFields({ size: 1n << 30n, uuid: 'foo' })).toThrow(InvalidArgumentError);
    expect(() => recipeFields({ size: 1n << 30n, uuid: UUID, parentUuid: 'bar' })).toThrow(InvalidArgumentError);
  });

  test.each([0n, 1n, 1024n, 2048n, 4095n, 3n << 20n, 4097n, 6144n])('checkAlign(%s) refuses', (a) => {
    expect(() => checkAlign(a)).toThrow(InvalidArgumentError);
    expect(() => recipeFields({ size: 1n << 30n, uuid: UUID, align: a })).toThrow(InvalidArgumentError);
  });

  test.each([4096n, 8192n, 2n << 20n, 1n << 30n, 1n << 40n])('checkAlign(%s) accepts', (a) => {
    expect(() => checkAlign(a)).not.toThrow();
  });

  test.each([2n << 20n, 8192n, 12n << 10n, 0n])('a %s-byte namespace has no room for data in any meaning', (size) => {
    for (const meaning of ['legacy', 'map', 'ndctl'] as const) {
      expect(() => recipeFields({ size, uuid: UUID, meaning })).toThrow(
        expect.objectContaining({ code: expect.any(String) }),
      );
    }
  });
});

describe('ndctl meaning follows the reference formulas', () => {
  test('property over size, offset, align, map', () => {
    fc.assert(
      fc.property(arbSize, arbOffset, arbAlign, arbMap, arbMode, (size, offset, align, map, mode) => {
        const expected = sheetNdctl(size, offset, align, map);
        const got = tryRecipe({ ...params(size, offset, align, map, mode), meaning: 'ndctl' });
        if (expected === 'fail') return expect(got).toBe('fail');
        expect(got).not.toBe('fail');
        expect(got).toMatchObject({
          ...expected,
          align: align & M32,
          versionMajor: 1,
          versionMinor: 4,
          mode: map === 'dev' ? 2 : 1,
        });
      }),
      { numRuns: 500 },
    );
  });

  test('ndctl stores u32(align): -a 4G stores 0 and computes with 4G', () => {
    const f = recipeFields({ size: 64n << 30n, uuid: UUID, align: 4n << 30n, meaning: 'ndctl' });
    expect(f.align).toBe(0n);
    expect(f.dataoff % (4n << 30n)).toBe(0n);
  });
});

describe('legacy and map meanings', () => {
  test('legacy == ndctl whenever start_pad is 0 (and legacy succeeds)', () => {
    fc.assert(
      fc.property(arbSize, arbOffset, arbAlign, arbMap, arbMode, (size, rawOffset, align, map, mode) => {
        const a = align > MiB2 ? align : MiB2;
        const offset = (rawOffset / a) * a; // aligned: start_pad 0
        const legacy = tryRecipe({ ...params(size, offset, align, map, mode), meaning: 'legacy' });
        fc.pre(legacy !== 'fail');
        expect(legacy).toMatchObject({ startPad: 0n });
        expect(tryRecipe({ ...params(size, offset, align, map, mode), meaning: 'ndctl' })).toEqual(legacy);
      }),
      { numRuns: 400 },
    );
  });

  test(
    'with both ends aligned (no start_pad, no end_trunc) ' + 'legacy and ndctl succeed or fail together, and agree',
    () => {
      fc.assert(
        fc.property(arbSize, arbOffset, arbAlign, arbMap, (rawSize, rawOffset, align, map) => {
          const a = align > MiB2 ? align : MiB2;
          const offset = (rawOffset / a) * a;
          const size = ((rawSize + a - 1n) / a) * a;
          const legacy = tryRecipe({ ...params(size, offset, align, map), meaning: 'legacy' });
          const ndctl = tryRecipe({ ...params(size, offset, align, map), meaning: 'ndctl' });
          expect(ndctl).toEqual(legacy);
        }),
        { numRuns: 300 },
      );
    },
  );

  test('map = legacy with dataoff + start_pad and version 2.4, everything else equal', () => {
    fc.assert(
      fc.property(arbSize, arbOffset, arbAlign, arbMap, arbMode, (size, offset, align, map, mode) => {
        const legacy = tryRecipe({ ...params(size, offset, align, map, mode), meaning: 'legacy' });
        const mapped = tryRecipe({ ...params(size, offset, align, map, mode), meaning: 'map' });
        expect(mapped === 'fail').toBe(legacy === 'fail');
        if (legacy === 'fail' || mapped === 'fail') return;
        expect(mapped).toEqual({
          ...legacy,
          dataoff: legacy.dataoff + legacy.startPad,
          versionMajor: 2,
          versionMinor: 4,
        });
        expect(legacy.versionMajor).toBe(1);
        expect(legacy.versionMinor).toBe(4);
      }),
      { numRuns: 400 },
    );
  });

  test('legacy data start (offset + start_pad + dataoff) is aligned to max(align, 2M), and the data area fits', () => {
    fc.assert(
      fc.property(arbSize, arbOffset, arbAlign, arbMap, (size, offset, align, map) => {
        const f = tryRecipe({ ...params(size, offset, align, map), meaning: 'legacy' });
        fc.pre(f !== 'fail');
        const a = align > MiB2 ? align : MiB2;
        const sp = f.startPad;
        const et = f.endTrunc;
        expect((offset + sp) % a).toBe(0n); // the mapped base is aligned
        expect((offset + sp + f.dataoff) % a).toBe(0n);
        expect((offset + size - et) % a).toBe(0n);
        expect(sp).toBe(up(offset, a) - offset);
        expect(f.dataoff).toBeGreaterThanOrEqual(8192n);
        expect(f.dataoff % 4096n).toBe(0n);
        if (map === 'dev') expect(f.dataoff).toBeGreaterThanOrEqual(8192n + 64n * f.npfns);
        expect(f.npfns).toBe((size - sp - et - f.dataoff) / 4096n);
        expect(sp + f.dataoff + f.npfns * 4096n + et).toBeLessThanOrEqual(size);
      }),
      { numRuns: 500 },
    );
  });
});
