// Byte quantities are bigints in every decoded structure: the field tables mark the u16/u32 fields that
// count bytes (unit: 'bytes'); those decode to bigint and the encoder takes only a bigint of the field's
// width for them, while versions, flags, modes and counts stay numbers. The type-level checks at the end
// make a regression to number fail `tsc --noEmit` (the test files are type-checked), not only jest.
import {
  BTT_FIELDS,
  InvalidFieldError,
  PFN_FIELDS,
  bttCodec,
  decodeBttBlock,
  decodePfnBlock,
  effectiveFields,
  encodeBttBlock,
  encodePfnBlock,
  patchPfnBlock,
  pfnCodec,
  type BttFields,
  type EffectiveFields,
  type FieldDef,
  type PfnFields,
} from '../../src/index';
import { INDEX_FIELDS, LABEL_FIELDS, indexCodec, labelCodec } from '../../src/format/labels';
import { ndctlJson } from '../../src/format/ndctl-json';
import { findBlocks, headWithBlock } from '../../src/format/head';
import { bttFields, pfnFields } from '../support/fixtures';
import { thrownBy } from '../support/errors';

const isBytes = (f: FieldDef): boolean => f.unit === 'bytes';
const INTS = new Set(['u8', 'u16', 'u32', 'u64']);

/** Every table with a codec, and a buffer whose every byte is 0xa5 (each integer field decodes non-zero). */
const TABLES: [string, readonly FieldDef[], (b: Uint8Array) => Record<string, unknown>, number][] = [
  ['pfn', PFN_FIELDS, (b) => pfnCodec.decode(b), pfnCodec.size],
  ['btt', BTT_FIELDS, (b) => bttCodec.decode(b), bttCodec.size],
  ['namespace index', INDEX_FIELDS, (b) => indexCodec.decode(b), indexCodec.size],
  ['namespace label', LABEL_FIELDS, (b) => labelCodec.decode(b), labelCodec.size],
];

describe('the tables say which integers count bytes', () => {
  test.each([
    ['pfn', PFN_FIELDS, ['startPad', 'endTrunc', 'align', 'pageSize', 'pageStructSize']],
    ['btt', BTT_FIELDS, ['externalLbasize', 'internalLbasize', 'infosize']],
    // The label formats' byte quantities are all u64 already (myoff, mysize, lbasize, dpa, rawsize);
    // labelsize is a code (0: 128-byte labels, 1: 256), not a byte count.
    ['namespace index', INDEX_FIELDS, []],
    ['namespace label', LABEL_FIELDS, []],
  ] as const)('%s', (_name, table, expected) => {
    expect((table as readonly FieldDef[]).filter(isBytes).map((f) => f.name)).toEqual(expected);
  });

  test('only integer fields below 64 bits carry the unit (a u64 is a bigint anyway)', () => {
    for (const [, table] of TABLES)
      for (const f of table.filter(isBytes))
        expect([f.name, f.kind]).toEqual([f.name, expect.stringMatching(/^u(8|16|32)$/)]);
  });
});

describe('decode: a byte quantity is a bigint, every other integer below 64 bits a number', () => {
  test.each(TABLES)('%s', (_name, table, decode, size) => {
    const d = decode(new Uint8Array(size).fill(0xa5));
    const ints = table.filter((f) => INTS.has(f.kind));
    expect(ints.length).toBeGreaterThan(0);
    for (const f of ints) {
      const want = f.kind === 'u64' || isBytes(f) ? 'bigint' : 'number';
      expect([f.name, typeof d[f.name]]).toEqual([f.name, want]);
    }
    // The value is the stored one, whatever its type: 0xa5 in every byte.
    for (const f of ints.filter(isBytes)) {
      const width = f.kind === 'u8' ? 1 : f.kind === 'u16' ? 2 : 4;
      expect([f.name, d[f.name]]).toEqual([f.name, BigInt(`0x${'a5'.repeat(width)}`)]);
    }
  });

  test('effectiveFields: the gated values are bigints too, the before values included', () => {
    const f = pfnFields({ versionMinor: 0, startPad: 0x1000n, pageSize: 0x10000n });
    const e = effectiveFields(f, 16384n);
    expect(e).toEqual({ startPad: 0n, endTrunc: 0n, align: 0n, pageSize: 16384n, pageStructSize: 64n });
    expect(effectiveFields({ ...f, versionMinor: 4 })).toEqual({
      startPad: 0x1000n,
      endTrunc: 0n,
      align: 0x200000n,
      pageSize: 0x10000n,
      pageStructSize: 64n,
    });
  });
});

/** The refusal every codec gives a bad value: InvalidFieldError at the field's offset, naming it. */
function expectRefused(fn: () => unknown, field: string, offset: number, message: RegExp): void {
  const e = thrownBy(fn);
  expect(e).toBeInstanceOf(InvalidFieldError);
  expect(e).toMatchObject({ code: 'invalid-field', field, offset });
  expect((e as Error).message).toMatch(new RegExp(`^at 0x${offset.toString(16)} \\(${field}\\): `));
  expect((e as Error).message).toMatch(message);
}

const PFN_BYTES = PFN_FIELDS.filter(isBytes).map(
  (f) => [f.name as keyof PfnFields, f.offset, f.kind === 'u16' ? 16 : 32] as const,
);
const BTT_BYTES = BTT_FIELDS.filter(isBytes).map((f) => [f.name as keyof BttFields, f.offset] as const);

describe('encode: a byte quantity must be a bigint of the field width', () => {
  test.each(PFN_BYTES)('pfn %s (offset %d, u%d)', (field, offset, bits) => {
    const max = (1n << BigInt(bits)) - 1n;
    const cases: [unknown, RegExp][] = [
      [max + 1n, new RegExp(`^at .*: ${max + 1n} is not a u${bits}$`)],
      [1n << 64n, new RegExp(`is not a u${bits}$`)],
      [-1n, new RegExp(`^at .*: -1 is not a u${bits}$`)],
      [4096, new RegExp(`4096 is not a u${bits} \\(a bigint\\): pass 4096n$`)],
      [0, /0 is not a u\d+ \(a bigint\): pass 0n$/],
      [1.5, /1\.5 is not a u\d+ \(a bigint\)$/],
      ['4096', /4096 is not a u\d+ \(a bigint\)$/],
      [undefined, /undefined is not a u\d+ \(a bigint\)$/],
    ];
    for (const [v, message] of cases) {
      const f = { ...pfnFields(), [field]: v };
      expectRefused(() => encodePfnBlock(f), field, offset, message);
      expectRefused(() => patchPfnBlock(encodePfnBlock(pfnFields()), { [field]: v }), field, offset, message);
    }
    // The extremes of the width are accepted and read back exactly.
    for (const v of [0n, max]) {
      expect(decodePfnBlock(encodePfnBlock(pfnFields({ [field]: v }))).fields[field]).toBe(v);
      expect(decodePfnBlock(patchPfnBlock(encodePfnBlock(pfnFields()), { [field]: v })).fields[field]).toBe(v);
    }
  });

  test.each(BTT_BYTES)('btt %s (offset %d)', (field, offset) => {
    expectRefused(() => encodeBttBlock({ ...bttFields(), [field]: 1n << 32n }), field, offset, /is not a u32$/);
    expectRefused(() => encodeBttBlock({ ...bttFields(), [field]: -1n }), field, offset, /-1 is not a u32$/);
    const asNumber = { ...bttFields(), [field]: 512 };
    expectRefused(() => encodeBttBlock(asNumber), field, offset, /512 is not a u32 \(a bigint\): pass 512n$/);
    expect(decodeBttBlock(encodeBttBlock(bttFields({ [field]: 0xffffffffn }))).fields[field]).toBe(0xffffffffn);
  });

  test('a count or a mode stays a number: a bigint there is refused', () => {
    const mode = PFN_FIELDS.find((f) => f.name === 'mode');
    expectRefused(
      () => encodePfnBlock({ ...pfnFields(), mode: 2n } as unknown as PfnFields),
      'mode',
      mode?.offset ?? -1,
      /^at 0x48 \(mode\): 2 is not a u32$/,
    );
    expectRefused(
      () => encodeBttBlock({ ...bttFields(), nfree: 256n } as unknown as BttFields),
      'nfree',
      72,
      /2?56 is not a u32$/,
    );
  });
});

describe('the wire forms do not change', () => {
  test("ndctl's JSON prints the u32 byte fields as plain integers (and BTT's as signed 32-bit)", () => {
    const pfn = encodePfnBlock(pfnFields({ startPad: 0x100000n, endTrunc: 0xffffffffn, pageStructSize: 0xffffn }));
    const [found] = findBlocks(headWithBlock(pfn));
    if (found === undefined) throw new Error('no block');
    const text = ndctlJson([{ file: 'x', block: found }]);
    expect(text).toContain('"start_pad":1048576,\n');
    expect(text).toContain('"end_trunc":4294967295,\n');
    expect(text).toContain('"align":2097152,\n');
    expect(text).toContain('"page_size":4096,\n');
    expect(text).toContain('"page_struct_size":65535\n');
    const human = ndctlJson([{ file: 'x', block: found }], { human: true });
    expect(human).toContain('"start_pad":"0x100000",\n');
    expect(human).toContain('"end_trunc":"0xffffffff",\n');
    const btt = encodeBttBlock(bttFields({ externalLbasize: 0xfffffe00n }));
    const [b] = findBlocks(headWithBlock(btt));
    if (b === undefined) throw new Error('no block');
    expect(ndctlJson([{ file: 'x', block: b }])).toContain('"external_lbasize":-512,\n');
  });
});

// Type level: these lines fail `npx tsc -p tsconfig.json --noEmit` when a byte quantity regresses to number.
describe('types', () => {
  test('PfnFields, EffectiveFields and BttFields type their byte quantities as bigint', () => {
    const d = decodePfnBlock(encodePfnBlock(pfnFields({ startPad: 1n << 20n })));
    const startPad: bigint = d.fields.startPad;
    const endTrunc: bigint = d.fields.endTrunc;
    const align: bigint = d.fields.align;
    const pageSize: bigint = d.fields.pageSize;
    const pageStructSize: bigint = d.fields.pageStructSize;
    const effective: Record<keyof EffectiveFields, bigint> = d.effective;
    const lbasize: bigint = decodeBttBlock(encodeBttBlock(bttFields())).fields.externalLbasize;
    // The counts and codes stay numbers.
    const mode: number = d.fields.mode;
    const nfree: number = decodeBttBlock(encodeBttBlock(bttFields())).fields.nfree;
    // @ts-expect-error a byte quantity is not a number
    const asNumber: number = d.fields.startPad;
    // @ts-expect-error a PfnFields literal takes bigint byte quantities
    const literal: Partial<PfnFields> = { align: 4096 };
    expect([startPad, endTrunc, align, pageSize, pageStructSize, lbasize]).toEqual([
      1n << 20n,
      0n,
      0x200000n,
      4096n,
      64n,
      4096n,
    ]);
    expect(effective.startPad).toBe(1n << 20n);
    expect([mode, nfree, typeof asNumber, literal.align]).toEqual([2, 256, 'bigint', 4096]);
  });
});
