// The label area's byte quantities (its size, the label and index-block sizes, where slot 0 and each block
// or label sit) are bigints in every exported type, like the block fields' (byte-fields.test.ts): a number
// where one is required is refused naming the field, and the type-level lines at the end make a regression
// to number fail `tsc --noEmit`. Counts (nslot, slot numbers) stay numbers.
import {
  InvalidArgumentError,
  LABEL_SIZE,
  decodeLabelArea,
  encodeLabelArea,
  interleaveSetCookie,
  labelGeometry,
  qemuDimm,
  type DecodedIndex,
  type DecodedLabel,
  type EncodeAreaOptions,
  type LabelGeometry,
} from '../../src/format/index';
import { INDEX_ALIGN, MAX_LABEL_SIZE, areaIndexes } from '../../src/format/labels';
import { MAX_LABEL_SIZE as SPEC_MAX } from '../../src/format/labels-spec';
import { thrownBy } from '../support/errors';

const KiB = 1024n;
const MiB = KiB * KiB;
const U1 = '11111111-2222-3333-4444-555555555555';
const U2 = '66666666-7777-8888-9999-aaaaaaaaaaaa';

function area(version: '1.1' | '1.2', areaSize = 128n * KiB): Uint8Array {
  const specs = [
    { uuid: U1, size: 4n * MiB, dpa: 0n },
    { uuid: U2, size: 4n * MiB, dpa: 4n * MiB },
  ];
  const cookie = interleaveSetCookie(qemuDimm(0), version);
  return encodeLabelArea(specs, { areaSize, version, cookie, capacity: 16n * MiB });
}

describe('which label-area quantities are bytes (bigint) and which counts (number)', () => {
  test.each(['1.1', '1.2'] as const)('v%s: the decoded geometry, index blocks and labels', (version) => {
    const d = decodeLabelArea(area(version));
    const g = d.geometry!;
    const kinds = {
      areaSize: typeof g.areaSize,
      labelSize: typeof g.labelSize,
      indexSize: typeof g.indexSize,
      labelOffset: typeof g.labelOffset,
      nslot: typeof g.nslot,
      indexOffsets: d.indexes.map((ix) => typeof ix.offset),
      labelOffsets: d.labels.map((l) => typeof l.offset),
      slots: d.labels.map((l) => typeof l.slot),
    };
    expect(kinds).toEqual({
      areaSize: 'bigint',
      labelSize: 'bigint',
      indexSize: 'bigint',
      labelOffset: 'bigint',
      nslot: 'number',
      indexOffsets: ['bigint', 'bigint'],
      labelOffsets: ['bigint', 'bigint'],
      slots: ['number', 'number'],
    });
  });

  test.each([
    // area, version, label size, index block bytes, slots: the kernel's formula for QEMU's minimum area.
    ['1.1', 128n, 256n, 1020],
    ['1.2', 256n, 256n, 510],
  ] as const)('v%s: the values, and each offset where the bytes are', (version, labelSize, indexSize, nslot) => {
    const a = area(version);
    const d = decodeLabelArea(a);
    expect(LABEL_SIZE[version]).toBe(labelSize);
    expect(d.geometry).toEqual({ areaSize: 128n * KiB, labelSize, indexSize, nslot, labelOffset: 2n * indexSize });
    expect(d.indexes.map((ix) => ix.offset)).toEqual([0n, indexSize]);
    expect(d.labels.map((l) => l.offset)).toEqual([2n * indexSize, 2n * indexSize + labelSize]);
    // Each index offset is where that block's own myoff says it is, each label offset where its slot field is.
    expect(d.indexes.map((ix) => ix.fields.myoff)).toEqual([0n, indexSize]);
    for (const l of d.labels) expect(new DataView(a.buffer, Number(l.offset) + 120, 4).getUint32(0, true)).toBe(l.slot);
  });

  test('the byte constants', () => {
    expect([LABEL_SIZE['1.1'], LABEL_SIZE['1.2'], INDEX_ALIGN, MAX_LABEL_SIZE]).toEqual([128n, 256n, 256n, 1n << 31n]);
    // labels-spec re-exports the one constant.
    expect(SPEC_MAX).toBe(MAX_LABEL_SIZE);
  });

  test('areaIndexes: the numbers to index bytes with, equal to the bigints', () => {
    const g = labelGeometry(256n * KiB, 256n)!;
    expect(areaIndexes(g)).toEqual({ areaSize: 262144, labelSize: 256, indexSize: 256, nslot: 1022, labelOffset: 512 });
    const big: LabelGeometry = { ...g, areaSize: MAX_LABEL_SIZE + 1n };
    const e = thrownBy(() => areaIndexes(big));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe('a 2147483649-byte label area is above 2147483648 bytes');
  });
});

describe('a number where a byte quantity is required is refused, naming it', () => {
  const o = { areaSize: 128n * KiB, version: '1.2' as const, cookie: 1n, capacity: 16n * MiB };
  test.each([
    ['labelGeometry areaSize', () => labelGeometry(131072 as unknown as bigint, 256n), 'areaSize', '131072n'],
    ['labelGeometry labelSize', () => labelGeometry(131072n, 256 as unknown as bigint), 'labelSize', '256n'],
    [
      'encodeLabelArea areaSize',
      () => encodeLabelArea([], { ...o, areaSize: 131072 as unknown as bigint }),
      'areaSize',
      '131072n',
    ],
  ])('%s', (_name, call, field, hint) => {
    const e = thrownBy(call);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e).toMatchObject({ code: 'invalid-argument', field });
    expect((e as Error).message).toBe(`${field}: must be a bigint (got number): pass ${hint}`);
  });

  test('an area above the largest label area is refused before anything is allocated', () => {
    const e = thrownBy(() => encodeLabelArea([], { ...o, areaSize: MAX_LABEL_SIZE + 1n }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe('a 2147483649-byte label area is above 2147483648 bytes');
  });
});

// Type level: these lines fail `npx tsc -p tsconfig.json --noEmit` when a byte quantity regresses to number.
describe('types', () => {
  test('LabelGeometry, DecodedIndex, DecodedLabel, EncodeAreaOptions and LABEL_SIZE type bytes as bigint', () => {
    const d = decodeLabelArea(area('1.2'));
    const areaSize: bigint = labelGeometry(128n * KiB, LABEL_SIZE['1.2'])!.areaSize;
    const labelSize: bigint = d.geometry!.labelSize;
    const indexSize: bigint = d.geometry!.indexSize;
    const labelOffset: bigint = d.geometry!.labelOffset;
    const indexAt: DecodedIndex['offset'] = d.indexes[1]!.offset;
    const labelAt: DecodedLabel['offset'] = d.labels[0]!.offset;
    const sizeOf: bigint = LABEL_SIZE['1.1'];
    const wanted: EncodeAreaOptions['areaSize'] = 128n * KiB;
    // The counts stay numbers.
    const nslot: number = d.geometry!.nslot;
    const slot: number = d.labels[0]!.slot;
    // @ts-expect-error a byte quantity is not a number
    const asNumber: number = d.geometry!.indexSize;
    const fromNumbers = (): unknown =>
      // @ts-expect-error labelGeometry takes bigints
      labelGeometry(131072, 256);
    // @ts-expect-error an EncodeAreaOptions literal takes a bigint area size
    const literal: EncodeAreaOptions = { areaSize: 131072, version: '1.2', cookie: 1n, capacity: 1n };
    const bigints = [areaSize, labelSize, indexSize, labelOffset, indexAt, labelAt, sizeOf, wanted];
    expect(bigints).toEqual([131072n, 256n, 256n, 512n, 256n, 512n, 128n, 131072n]);
    expect([nslot, slot, typeof asNumber, literal.areaSize]).toEqual([510, 0, 'bigint', 131072]);
    expect(thrownBy(fromNumbers)).toBeInstanceOf(InvalidArgumentError);
  });
});
