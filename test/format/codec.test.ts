// Round trips and range checks of the table-driven codecs:
// decode(encode(x)) = x for arbitrary values, on every byte container; every
// out-of-range value is refused with InvalidFieldError naming field and offset;
// short input throws TruncatedError.
import fc from 'fast-check';
import {
  BTT_FIELDS,
  InvalidFieldError,
  PFN_FIELDS,
  TruncatedError,
  blockChecksum,
  bttCodec,
  decodeBttBlock,
  decodePfnBlock,
  encodeBttBlock,
  encodePfnBlock,
  findBlocks,
  patchPfnBlock,
  pfnCodec,
  type BttFields,
  type FieldDef,
  type FieldKind,
  type PfnFields,
} from '../../src/index';
import { bttFields, pfnFields } from '../support/fixtures';
import { thrownBy } from '../support/errors';

const U64_MAX = (1n << 64n) - 1n;
const U64_EXTREMES = [
  0n,
  1n,
  (1n << 53n) - 1n,
  1n << 53n,
  (1n << 53n) + 1n,
  (1n << 63n) - 1n,
  1n << 63n,
  U64_MAX - 1n,
  U64_MAX,
];

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const arbUuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Array.from(b, hex2).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const arbU16 = fc.oneof(fc.constantFrom(0, 1, 0x7fff, 0x8000, 0xffff), fc.integer({ min: 0, max: 0xffff }));
const arbU32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const arbU64 = fc.oneof(fc.constantFrom(...U64_EXTREMES), fc.bigInt({ min: 0n, max: U64_MAX }));
const arbSig = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc
    .constantFrom('NVDIMM_PFN_INFO\0', 'NVDIMM_DAX_INFO\0', 'BTT_ARENA_INFO\0\0')
    .map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
);

/** An arbitrary over every field of a table, each by its kind (as the codec is derived from the table). */
const ARB_BY_KIND: { [K in Exclude<FieldKind, 'pad' | 'bytes'>]: fc.Arbitrary<unknown> } = {
  sig16: arbSig,
  uuid: arbUuid,
  u8: fc.integer({ min: 0, max: 0xff }),
  u16: arbU16,
  u32: arbU32,
  u64: arbU64,
};
/** A byte quantity narrower than 64 bits is a bigint of the field's width. */
const ARB_BYTES: Record<'u8' | 'u16' | 'u32', fc.Arbitrary<bigint>> = {
  u8: fc.bigInt({ min: 0n, max: 0xffn }),
  u16: arbU16.map(BigInt),
  u32: arbU32.map(BigInt),
};
function arbFields<T>(table: readonly FieldDef[]): fc.Arbitrary<T> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of table) {
    if (f.kind === 'bytes') model[f.name] = fc.uint8Array({ minLength: f.size ?? 0, maxLength: f.size ?? 0 });
    else if (f.unit === 'bytes' && (f.kind === 'u8' || f.kind === 'u16' || f.kind === 'u32'))
      model[f.name] = ARB_BYTES[f.kind];
    else if (f.kind !== 'pad') model[f.name] = ARB_BY_KIND[f.kind];
  }
  return fc.record(model) as unknown as fc.Arbitrary<T>;
}

const arbPfn = arbFields<PfnFields>(PFN_FIELDS);
const arbBtt = arbFields<BttFields>(BTT_FIELDS);

type Container = 'Buffer' | 'Uint8Array' | 'sub-array at byteOffset 5' | 'sub-array at byteOffset 8';
const CONTAINERS: Container[] = ['Buffer', 'Uint8Array', 'sub-array at byteOffset 5', 'sub-array at byteOffset 8'];

function inContainer(bytes: Uint8Array, c: Container): Uint8Array {
  switch (c) {
    case 'Buffer':
      return Buffer.from(bytes);
    case 'Uint8Array':
      return Uint8Array.from(bytes);
    case 'sub-array at byteOffset 5':
    case 'sub-array at byteOffset 8': {
      const off = c.endsWith('5') ? 5 : 8;
      const big = new Uint8Array(bytes.byteLength + off + 3).fill(0xee);
      big.set(bytes, off);
      return big.subarray(off, off + bytes.byteLength);
    }
  }
}

/** Plain data for toEqual: typed arrays become number arrays. */
function plain(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Uint8Array ? Array.from(v) : v]));
}

describe('PFN round trip', () => {
  test.each(CONTAINERS)('decode(encode(x)) = x on a %s (checksum kept as given)', (c) => {
    fc.assert(
      fc.property(arbPfn, (x) => {
        const bytes = encodePfnBlock(x, { checksum: 'keep' });
        expect(bytes.byteLength).toBe(4096);
        const d = decodePfnBlock(inContainer(bytes, c));
        expect(plain(d.fields)).toEqual(plain(x));
        expect(d.fields.signature).toBeInstanceOf(Uint8Array);
        expect(typeof d.fields.dataoff).toBe('bigint');
        expect(d.computedChecksum).toBe(blockChecksum(bytes));
        expect(d.checksumValid).toBe(x.checksum === d.computedChecksum);
      }),
      { numRuns: 150 },
    );
  });

  test('encode with a fresh checksum (default) stores blockChecksum and decodes as valid', () => {
    fc.assert(
      fc.property(arbPfn, (x) => {
        const bytes = encodePfnBlock(x);
        const d = decodePfnBlock(bytes);
        expect(d.checksumValid).toBe(true);
        expect(plain({ ...d.fields, checksum: 0n })).toEqual(plain({ ...x, checksum: 0n }));
      }),
      { numRuns: 100 },
    );
  });

  test('encode writes every field little-endian at its reference offset, padding zero', () => {
    const x: PfnFields = {
      signature: Uint8Array.from(Buffer.from('NVDIMM_PFN_INFO\0', 'latin1')),
      uuid: '00112233-4455-6677-8899-aabbccddeeff',
      parentUuid: 'ffeeddcc-bbaa-9988-7766-554433221100',
      flags: 0x01020304,
      versionMajor: 0x0506,
      versionMinor: 0x0708,
      dataoff: 0x1112131415161718n,
      npfns: 0x2122232425262728n,
      mode: 0x31323334,
      startPad: 0x41424344n,
      endTrunc: 0x51525354n,
      align: 0x61626364n,
      pageSize: 0x71727374n,
      pageStructSize: 0x8182n,
      checksum: 0x9192939495969798n,
    };
    const b = Buffer.from(encodePfnBlock(x, { checksum: 'keep' }));
    expect(b.toString('latin1', 0, 16)).toBe('NVDIMM_PFN_INFO\0');
    expect(b.toString('hex', 16, 32)).toBe('00112233445566778899aabbccddeeff');
    expect(b.toString('hex', 32, 48)).toBe('ffeeddccbbaa99887766554433221100');
    expect(b.toString('hex', 48, 94)).toBe(
      '04030201' +
        '0605' +
        '0807' +
        '1817161514131211' +
        '2827262524232221' +
        '34333231' +
        '44434241' +
        '54535251' +
        '64636261' +
        '74737271' +
        '8281',
    );
    expect(b.subarray(94, 4088).every((x) => x === 0)).toBe(true);
    expect(b.toString('hex', 4088)).toBe('9897969594939291');
  });

  test('uppercase uuids are accepted and decode in lowercase', () => {
    const x = pfnCodec.decode(encodePfnBlock(sampleFields()));
    const up = { ...x, uuid: 'ABCDEF01-2345-6789-ABCD-EF0123456789' };
    expect(decodePfnBlock(encodePfnBlock(up)).fields.uuid).toBe('abcdef01-2345-6789-abcd-ef0123456789');
  });
});

describe('BTT round trip', () => {
  test.each(CONTAINERS)('decode(encode(x)) = x on a %s', (c) => {
    fc.assert(
      fc.property(arbBtt, (x) => {
        const raw = bttCodec.encode(x);
        expect(plain(decodeBttBlock(inContainer(raw, c)).fields)).toEqual(plain(x));
        const sealed = decodeBttBlock(inContainer(encodeBttBlock(x), c));
        expect(sealed.checksumValid).toBe(true);
        expect(plain({ ...sealed.fields, checksum: 0n })).toEqual(plain({ ...x, checksum: 0n }));
      }),
      { numRuns: 100 },
    );
  });
});

const sampleFields = (): PfnFields => pfnFields();
const sampleBtt = (): BttFields => bttFields();

/** Bad values per kind (each must be refused). */
const BAD: Record<string, [string, unknown][]> = {
  u16: [
    ['65536', 65536],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['bigint 1n', 1n],
    ['string "1"', '1'],
    ['undefined', undefined],
  ],
  u32: [
    ['2^32', 2 ** 32],
    ['-1', -1],
    ['0.5', 0.5],
    ['NaN', NaN],
    ['bigint 1n', 1n],
    ['undefined', undefined],
  ],
  // Byte quantities below 64 bits are bigints (a number is refused, even an exact one).
  'u16 bytes': [
    ['65536n', 65536n],
    ['-1n', -1n],
    ['number 64', 64],
    ['string "1"', '1'],
    ['undefined', undefined],
  ],
  'u32 bytes': [
    ['2^32', 1n << 32n],
    ['-1n', -1n],
    ['number 4096', 4096],
    ['number 0.5', 0.5],
    ['undefined', undefined],
  ],
  u64: [
    ['2^64', 1n << 64n],
    ['-1n', -1n],
    ['number 5', 5],
    ['undefined', undefined],
  ],
  uuid: [
    ['foo', 'foo'],
    ['empty', ''],
    ['35 chars', '11111111-2222-3333-4444-55555555555'],
    ['37 chars', '11111111-2222-3333-4444-5555555555555'],
    ['no hyphens', '11111111222233334444555555555555'],
    ['braces', '{11111111-2222-3333-4444-555555555555}'],
    ['non-hex', '1111111g-2222-3333-4444-555555555555'],
    ['hyphen misplaced', '1111111-12222-3333-4444-555555555555'],
    ['trailing newline', '11111111-2222-3333-4444-555555555555\n'],
    ['bytes', new Uint8Array(16)],
  ],
  sig16: [
    ['15 bytes', new Uint8Array(15)],
    ['17 bytes', new Uint8Array(17)],
    ['string', 'NVDIMM_PFN_INFO\0'],
  ],
};

function badCases(table: readonly FieldDef[]): [string, string, number, unknown][] {
  return table
    .filter((f) => f.kind !== 'pad')
    .flatMap((f) =>
      (BAD[f.unit === 'bytes' ? `${f.kind} bytes` : f.kind] ?? []).map(
        ([label, v]) => [f.name, label, f.offset, v] as [string, string, number, unknown],
      ),
    );
}

function expectInvalidField(fn: () => unknown, field: string, offset: number): void {
  const caught = thrownBy(() => fn());
  expect(caught).toBeInstanceOf(InvalidFieldError);
  expect(caught).toMatchObject({ code: 'invalid-field', field, offset });
  expect((caught as Error).message.startsWith(`at 0x${offset.toString(16)} (${field}): `)).toBe(true);
}

describe('encode refuses out-of-range values with InvalidFieldError (code, field, offset)', () => {
  test.each(badCases(PFN_FIELDS))('pfn %s = %s', (field, _label, offset, v) => {
    expectInvalidField(() => encodePfnBlock({ ...sampleFields(), [field]: v }), field, offset);
    expectInvalidField(() => encodePfnBlock({ ...sampleFields(), [field]: v }, { checksum: 'keep' }), field, offset);
    expectInvalidField(() => patchPfnBlock(encodePfnBlock(sampleFields()), { [field]: v }), field, offset);
  });

  test.each(badCases(BTT_FIELDS))('btt %s = %s', (field, _label, offset, v) => {
    expectInvalidField(() => encodeBttBlock({ ...sampleBtt(), [field]: v }), field, offset);
  });

  test.each([
    ['u16 max', 'versionMinor', 0xffff],
    ['u32 max', 'flags', 0xffffffff],
    ['u64 max', 'dataoff', U64_MAX],
    ['u64 2^63', 'npfns', 1n << 63n],
    ['u64 0', 'checksum', 0n],
  ])('accepts the %s boundary', (_l, field, v) => {
    expect(() => encodePfnBlock({ ...sampleFields(), [field]: v })).not.toThrow();
  });

  test('patchPfnBlock refuses an unknown field', () => {
    expect(() => patchPfnBlock(encodePfnBlock(sampleFields()), { bogus: 1 } as unknown as Partial<PfnFields>)).toThrow(
      InvalidFieldError,
    );
    expect(() =>
      patchPfnBlock(encodePfnBlock(sampleFields()), { padding: 1 } as unknown as Partial<PfnFields>),
    ).toThrow(InvalidFieldError);
  });
});

describe('short input throws TruncatedError', () => {
  test.each([0, 1, 94, 4087, 4095])('decodePfnBlock / decodeBttBlock of %d bytes', (n) => {
    for (const fn of [
      () => decodePfnBlock(new Uint8Array(n)),
      () => decodeBttBlock(new Uint8Array(n)),
      () => pfnCodec.decode(Buffer.alloc(n)),
    ]) {
      expect(fn).toThrow(TruncatedError);
      expect(fn).toThrow(expect.objectContaining({ code: 'truncated' }));
    }
  });

  test('a 4096-byte window of a short sub-array is still truncated', () => {
    const big = new Uint8Array(8192);
    expect(() => decodePfnBlock(big.subarray(4097))).toThrow(TruncatedError);
  });

  test.each([0, 4096, 8191])('findBlocks of a %d-byte head', (n) => {
    expect(() => findBlocks(new Uint8Array(n))).toThrow(expect.objectContaining({ code: 'truncated' }));
  });

  test('patchPfnBlock of a short block', () => {
    expect(() => patchPfnBlock(new Uint8Array(4000), { flags: 1 })).toThrow(
      expect.objectContaining({ code: 'truncated' }),
    );
  });
});

describe('fuzz: every input decodes or throws our error class', () => {
  test('random bytes of random length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 9000 }), (b) => {
        for (const fn of [() => decodePfnBlock(b), () => decodeBttBlock(b), () => findBlocks(b)]) {
          try {
            fn();
          } catch (e) {
            expect(e).toBeInstanceOf(TruncatedError);
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(decodePfnBlock(encodePfnBlock(sampleFields())).checksumValid).toBe(true);
  });
});
