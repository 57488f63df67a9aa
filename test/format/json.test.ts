// The one JSON mapping: camelCase keys to snake_case, bigints as exact hex strings.
import fc from 'fast-check';
import { snakeKey, toJson, toWire } from '../../src/format/json';

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
