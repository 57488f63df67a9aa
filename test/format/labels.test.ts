import fc from 'fast-check';

import { InvalidArgumentError } from '../../src/format/errors';
import { fieldSize } from '../../src/format/struct';
import {
  INDEX_FIELDS,
  INDEX_HEADER_SIZE,
  LABEL_FIELDS,
  guidBytesText,
  indexCodec,
  interleaveSetCookie,
  labelGeometry,
  newerSeq,
  nextSeq,
  qemuDimm,
  type LabelVersion,
  type NamespaceSpec,
} from '../../src/format/labels';
import { decodeLabelArea, encodeLabelArea } from '../../src/format/labels-area';
import type * as Fletcher64 from '../../src/format/fletcher64';

const KiB = 1024n;
const MiB = 1024n * 1024n;

describe('field tables', () => {
  test.each([
    ['index header', INDEX_FIELDS, INDEX_HEADER_SIZE],
    ['label v1.2', LABEL_FIELDS, 256],
  ])('%s fields tile %d bytes without gaps', (_n, table, size) => {
    let pos = 0;
    for (const f of table) {
      expect(f.offset).toBe(pos);
      pos += fieldSize(f);
    }
    expect(pos).toBe(size);
  });
  test('v1.1 labels end at the slot field (128 bytes)', () => {
    const last = LABEL_FIELDS.filter((f) => f.since === 1).at(-1)!;
    expect(last.offset + fieldSize(last)).toBe(124);
  });
});

describe('geometry', () => {
  // Figures the kernel's formula gives for QEMU's minimum area and a larger one.
  test.each([
    [128n * KiB, 128n, 256n, 1020],
    [128n * KiB, 256n, 256n, 510],
    [256n * KiB, 256n, 256n, 1022],
    [1024n * KiB, 128n, 1280n, 8172],
  ])('%d bytes, %d-byte labels: index %d bytes, %d slots', (area, label, index, nslot) => {
    const g = labelGeometry(area, label)!;
    expect(g).toEqual({ areaSize: area, labelSize: label, indexSize: index, nslot, labelOffset: 2n * index });
    expect(2n * g.indexSize + BigInt(g.nslot) * label).toBeLessThanOrEqual(area);
  });
  test.each([0n, 100n, 511n, 767n, -1n])('%d bytes hold no index pair and two 128-byte labels', (area) => {
    expect(labelGeometry(area, 256n)).toBeNull();
  });
  test('the largest area QEMU takes has a geometry, one byte more none', () => {
    expect(labelGeometry(1n << 31n, 256n)).toMatchObject({ areaSize: 1n << 31n, nslot: 8380414 });
    expect(labelGeometry((1n << 31n) + 1n, 256n)).toBeNull();
  });
});

describe('sequence numbers', () => {
  test('1 → 2 → 3 → 1', () => expect([1, 2, 3].map(nextSeq)).toEqual([2, 3, 1]));
  test.each([
    [1, 2, 2],
    [2, 3, 3],
    [3, 1, 1],
    [2, 1, 2],
    [0, 2, 2],
    [3, 0, 3],
    [2, 2, 2],
  ])('newer of %d and %d is %d', (a, b, n) => expect(newerSeq(a, b)).toBe(n));
});

test('guid byte order swaps the first three groups both ways', () => {
  const g = '66f0d379-b4f3-4074-ac43-0d3318b78cdb';
  expect(guidBytesText(g)).toBe('79d3f066-f3b4-7440-ac43-0d3318b78cdb');
  expect(guidBytesText(guidBytesText(g))).toBe(g);
});

test('v1.1 cookie of one QEMU DIMM: serial in the low word, twice it in the high word', () => {
  const s = 0x123456n;
  expect(interleaveSetCookie(qemuDimm(0), '1.1')).toBe(((2n * s) << 32n) | s);
});

const arbSpecs = fc
  .uniqueArray(
    fc.record({
      uuid: fc.uuid(),
      mib: fc.integer({ min: 1, max: 8 }),
      gap: fc.integer({ min: 0, max: 3 }),
      name: fc.string({ maxLength: 20 }),
    }),
    { minLength: 0, maxLength: 4, selector: (r: { uuid: string }) => r.uuid },
  )
  .map((xs) => {
    let dpa = 0n;
    return xs.map((x): NamespaceSpec => {
      dpa += BigInt(x.gap) * 2n * MiB;
      const s = { uuid: x.uuid, size: BigInt(x.mib) * 2n * MiB, dpa, name: x.name.replace(/\0/g, '') };
      dpa += s.size;
      return s;
    });
  });

describe('round trip', () => {
  function roundTrip(specs: NamespaceSpec[], version: LabelVersion, areaSize: bigint, slot: number): void {
    const cookie = interleaveSetCookie(qemuDimm(slot), version);
    // The generated specs reach at most 88 MiB.
    const area = encodeLabelArea(specs, { areaSize, version, cookie, capacity: 128n * MiB });
    const d = decodeLabelArea(area);
    expect(d.version).toBe(version);
    expect(d.current).toBe(0);
    expect(d.indexes.map((i) => i.problems)).toEqual([[], []]);
    const got = d.labels.map((l) => [l.fields.uuid, l.fields.dpa, l.fields.rawsize, l.name, l.fields.isetcookie]);
    expect(got).toEqual(specs.map((s) => [s.uuid.toLowerCase(), s.dpa, s.size, s.name ?? '', cookie]));
    expect(d.labels.map((l) => l.problems)).toEqual(specs.map(() => []));
  }
  test('encode then decode returns every namespace, index0 current', () => {
    const versions = fc.constantFrom<LabelVersion>('1.1', '1.2');
    const areas = fc.constantFrom(128n * KiB, 256n * KiB);
    fc.assert(fc.property(arbSpecs, versions, areas, fc.integer({ min: 0, max: 7 }), roundTrip), { numRuns: 60 });
  });
});

function fresh(version: LabelVersion = '1.2'): Uint8Array {
  const spec = { uuid: '11111111-2222-3333-4444-555555555555', size: 4n * MiB, dpa: 0n };
  return encodeLabelArea([spec], { areaSize: 128n * KiB, version, cookie: 1n, capacity: 16n * MiB });
}

describe('corruption: which index is current and why', () => {
  test('a flipped byte in index0 leaves index1 current', () => {
    const a = fresh();
    a[30]! ^= 1;
    const d = decodeLabelArea(a);
    expect(d.current).toBe(1);
    expect(d.why).toMatch(/index0 invalid \(.*checksum mismatch/);
    expect(d.labels).toHaveLength(1);
  });
  test('both indexes broken: no version, no labels', () => {
    const a = fresh();
    a[0] = 0;
    a[256] = 0;
    const d = decodeLabelArea(a);
    expect(d.current).toBeNull();
    expect(d.labels).toEqual([]);
  });
  test('index1 bumped to the next seq with a fresh checksum becomes current', () => {
    const a = fresh();
    const at = Number(labelGeometry(BigInt(a.byteLength), 256n)!.indexSize);
    const hdr = a.subarray(at, at + INDEX_HEADER_SIZE);
    indexCodec.writeFields(hdr, { seq: 1, checksum: 0n });
    const { fletcher64 } = jest.requireActual<typeof Fletcher64>('../../src/format/fletcher64');
    indexCodec.writeFields(hdr, { checksum: fletcher64(a.subarray(at, 2 * at), 64) });
    expect(decodeLabelArea(a)).toMatchObject({ current: 1, why: 'both valid, seq 3 vs 1: index1 is newer' });
  });
  test('a v1.2 label with a flipped byte is reported with a checksum problem', () => {
    const a = fresh('1.2');
    a[Number(labelGeometry(BigInt(a.byteLength), 256n)!.labelOffset) + 20]! ^= 0x40;
    expect(decodeLabelArea(a).labels[0]?.problems).toEqual(['checksum mismatch']);
  });
  test('a v1.1 label has no checksum: a flipped name byte still counts', () => {
    const a = fresh('1.1');
    const g = labelGeometry(BigInt(a.byteLength), 128n)!;
    a[Number(g.labelOffset) + 20]! ^= 0x40;
    expect(decodeLabelArea(a).labels[0]?.problems).toEqual([]);
  });
});

describe('bad requests', () => {
  const o = { areaSize: 128n * KiB, version: '1.2' as const, cookie: 1n, capacity: 16n * MiB };
  const u = (n: number): string => `00000000-0000-0000-0000-00000000000${n}`;
  test.each([
    [
      'overlap',
      [
        { uuid: u(1), size: 4n * MiB, dpa: 0n },
        { uuid: u(2), size: 4n * MiB, dpa: 2n * MiB },
      ],
      /overlap/,
    ],
    ['too large', [{ uuid: u(1), size: 32n * MiB, dpa: 0n }], /exceeds the DIMM capacity/],
    ['zero size', [{ uuid: u(1), size: 0n, dpa: 0n }], /must be positive/],
    [
      'same uuid',
      [
        { uuid: u(1), size: 2n * MiB, dpa: 0n },
        { uuid: u(1), size: 2n * MiB, dpa: 4n * MiB },
      ],
      /used twice/,
    ],
    ['long name', [{ uuid: u(1), size: 2n * MiB, dpa: 0n, name: 'x'.repeat(64) }], /longer than 63/],
  ])('%s', (_n, specs, msg) => {
    expect(() => encodeLabelArea(specs, o)).toThrow(InvalidArgumentError);
    expect(() => encodeLabelArea(specs, o)).toThrow(msg);
  });
  test('an area too small for the index pair', () => {
    expect(() => encodeLabelArea([], { ...o, areaSize: 512n })).toThrow(/cannot hold two index blocks/);
  });
});
