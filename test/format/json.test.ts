// The one JSON mapping: camelCase keys to snake_case, bigints as exact hex strings.
import fc from 'fast-check';
import { camelKey, fromWire, parseU64, snakeKey, toJson, toWire } from '../../src/format/json';

describe('toWire / toJson', () => {
  test('u64 extremes survive as exact strings (a JSON number would round above 2^53)', () => {
    const text = toJson({ nsBase: 18446744073709551615n, dataStart: (1n << 53n) + 1n, none: null });
    expect(JSON.parse(text)).toEqual({ ns_base: '0xffffffffffffffff', data_start: '0x20000000000001', none: null });
  });

  test.each([
    ['dataStart', 'data_start'],
    ['nsBase', 'ns_base'],
    ['parentUuid', 'parent_uuid'],
    ['data_start', 'data_start'],
    ['R12', 'R12'],
    ['6.1', '6.1'],
    ['linux-6.1', 'linux-6.1'],
  ])('key %s is written %s', (k, want) => {
    expect(snakeKey(k)).toBe(want);
  });

  test('nested arrays and objects are mapped; undefined members dropped; bytes as hex', () => {
    expect(toWire({ outer: [{ innerKey: 1n, gone: undefined }], raw: Uint8Array.of(0, 0xab) })).toEqual({
      outer: [{ inner_key: '0x1' }],
      raw: '00ab',
    });
  });

  test('one line with indent 0', () => {
    expect(toJson({ aB: [1, 2] }, 0)).toBe('{"a_b":[1,2]}');
  });

  test('property: every bigint reads back exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        const back = (JSON.parse(toJson({ v: n })) as { v: string }).v;
        expect(BigInt(back)).toBe(n);
      }),
    );
  });
});

describe('parseU64 / fromWire: reading our JSON back', () => {
  test.each([
    ['0x0', 0n],
    ['0x200000', 0x200000n],
    ['0xffffffffffffffff', (1n << 64n) - 1n],
    ['0x10000000000000000', undefined],
    ['0X10', undefined],
    ['0xAB', undefined],
    ['0x', undefined],
    ['16', undefined],
    ['-0x1', undefined],
    [' 0x1', undefined],
    [16, undefined],
    [16n, undefined],
    [null, undefined],
  ] as const)('parseU64(%p) is %p', (v, want) => {
    expect(parseU64(v)).toBe(want);
  });

  test('every u64 survives toWire then parseU64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        expect(parseU64(toWire(n))).toBe(n);
      }),
    );
  });

  test.each([
    ['data_start', 'dataStart'],
    ['ns_base', 'nsBase'],
    ['dataStart', 'dataStart'],
    ['R12', 'R12'],
    ['6.1', '6.1'],
    ['linux-6.1', 'linux-6.1'],
  ])('key %s is read %s', (k, want) => {
    expect(camelKey(k)).toBe(want);
  });

  test('fromWire undoes toWire on bigints (signed too), keys, arrays and nesting; other strings stay', () => {
    const value = {
      nsBase: 0x100000000n,
      dataSize: -0x1000n,
      fields: { startPad: 0n, parentUuid: '00000000-0000-0000-0000-000000000000' },
      list: [1n, 'text', null, true, 7],
      message: 'bad offset: 0x1100000 dax disabled',
    };
    expect(fromWire(toWire(value))).toEqual(value);
  });

  test('property: fromWire(toWire(x)) is x for camelCase records of bigints, strings and numbers', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}([A-Z][a-z0-9]{1,5}){0,2}$/);
    const leaf = fc.oneof(
      fc.bigInt({ min: -(1n << 64n), max: 1n << 64n }),
      fc.integer(),
      fc.constantFrom('a', 'x y', ''),
    );
    fc.assert(
      fc.property(fc.dictionary(key, leaf), (rec) => {
        expect(fromWire(toWire(rec))).toEqual(rec);
      }),
    );
  });
});
