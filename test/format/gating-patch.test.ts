// Minor-version gating (docs/format.md: readers gate on version_minor only)
// and patchPfnBlock's promise: every byte but the patched fields and the
// checksum is preserved (what migration relies on).
import fc from 'fast-check';
import {
  PFN_FIELDS,
  blockChecksum,
  decodePfnBlock,
  effectiveFields,
  encodePfnBlock,
  patchPfnBlock,
  storedChecksum,
  verifyChecksum,
  type PfnFields,
} from '../../src/index';
import { pfnFields } from '../support/fixtures';

function fields(over: Partial<PfnFields> = {}): PfnFields {
  return pfnFields({
    dataoff: 0x400000n,
    npfns: 1000n,
    startPad: 0x100000n,
    endTrunc: 0x1000n,
    align: 0x40000000n,
    pageSize: 0x10000n,
    pageStructSize: 128n,
    ...over,
  });
}

describe('effectiveFields gates on version_minor', () => {
  // raw: start_pad 1M, end_trunc 4K, align 1G, page_size 64K, page_struct_size 128
  test.each([
    [0, { startPad: 0n, endTrunc: 0n, align: 0n, pageSize: 4096n, pageStructSize: 64n }],
    [1, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0n, pageSize: 4096n, pageStructSize: 64n }],
    [2, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0x40000000n, pageSize: 4096n, pageStructSize: 64n }],
    [3, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0x40000000n, pageSize: 4096n, pageStructSize: 64n }],
    [4, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0x40000000n, pageSize: 0x10000n, pageStructSize: 128n }],
    [5, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0x40000000n, pageSize: 0x10000n, pageStructSize: 128n }],
    [65535, { startPad: 0x100000n, endTrunc: 0x1000n, align: 0x40000000n, pageSize: 0x10000n, pageStructSize: 128n }],
  ])('minor %d', (minor, expected) => {
    const f = fields({ versionMinor: minor });
    expect(effectiveFields(f)).toEqual(expected);
    expect(decodePfnBlock(encodePfnBlock(f)).effective).toEqual(expected);
  });

  test.each([0, 1, 2, 3])('minor %d: page_size is the reader page size', (minor) => {
    expect(effectiveFields(fields({ versionMinor: minor }), 65536n).pageSize).toBe(65536n);
    expect(decodePfnBlock(encodePfnBlock(fields({ versionMinor: minor })), 16384n).effective.pageSize).toBe(16384n);
  });

  test('the major version never gates (0.2 image-builder blocks, 2.4 map blocks, 65535.4)', () => {
    for (const major of [0, 1, 2, 3, 65535]) {
      expect(effectiveFields(fields({ versionMajor: major, versionMinor: 4 }))).toEqual(
        effectiveFields(fields({ versionMinor: 4 })),
      );
      expect(effectiveFields(fields({ versionMajor: major, versionMinor: 0 }))).toEqual(
        effectiveFields(fields({ versionMinor: 0 })),
      );
    }
  });

  test('gating never changes the raw fields', () => {
    const d = decodePfnBlock(encodePfnBlock(fields({ versionMinor: 0 })));
    expect(d.fields.startPad).toBe(0x100000n);
    expect(d.fields.pageStructSize).toBe(128n);
  });

  test('each field\'s table "since" agrees with the gating', () => {
    const since = Object.fromEntries(PFN_FIELDS.map((f) => [f.name, f.since]));
    expect(since).toMatchObject({ startPad: 1, endTrunc: 1, align: 2, pageSize: 4, pageStructSize: 4 });
  });
});

describe('patchPfnBlock', () => {
  const arbBlock = fc.uint8Array({ minLength: 4096, maxLength: 4096 }).map((noise) => {
    // Real fields with random bytes in the padding (and random stale checksum).
    const b = encodePfnBlock(fields());
    b.set(noise.subarray(94, 4096), 94);
    return b;
  });

  const arbChanges: fc.Arbitrary<Partial<PfnFields>> = fc.record(
    {
      dataoff: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      versionMajor: fc.integer({ min: 0, max: 0xffff }),
      versionMinor: fc.integer({ min: 0, max: 0xffff }),
      startPad: fc.bigInt({ min: 0n, max: 0xffffffffn }),
      flags: fc.integer({ min: 0, max: 0xffffffff }),
      uuid: fc.constantFrom('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', '00000000-0000-0000-0000-000000000001'),
    },
    { requiredKeys: [] },
  );

  const spans: Record<string, [number, number]> = Object.fromEntries(
    PFN_FIELDS.map((f) => [
      f.name,
      [
        f.offset,
        f.offset +
          (f.kind === 'pad' ? (f as { size: number }).size : { sig16: 16, uuid: 16, u16: 2, u32: 4, u64: 8 }[f.kind]),
      ],
    ]),
  );

  test('preserves every byte except the patched fields and the checksum, on Buffer/Uint8Array/sub-array', () => {
    fc.assert(
      fc.property(arbBlock, arbChanges, fc.constantFrom(0, 3, 8), fc.boolean(), (block, changes, off, asBuffer) => {
        const host = asBuffer ? Buffer.alloc(4096 + off + 4) : new Uint8Array(4096 + off + 4);
        host.fill(0x77);
        host.set(block, off);
        const input = host.subarray(off, off + 4096);
        const hostBefore = Uint8Array.from(host);
        const out = patchPfnBlock(input, changes);
        expect(Uint8Array.from(host)).toEqual(hostBefore); // input untouched
        expect(out.byteLength).toBe(4096);
        const touched = new Set<number>();
        for (const name of [...Object.keys(changes), 'checksum']) {
          const [a, z] = spans[name] as [number, number];
          for (let i = a; i < z; i++) touched.add(i);
        }
        for (let i = 0; i < 4096; i++) if (!touched.has(i) && out[i] !== block[i]) throw new Error(`byte ${i} changed`);
        expect(verifyChecksum(out)).toBe(true);
        expect(storedChecksum(out)).toBe(blockChecksum(out));
        const d = decodePfnBlock(out).fields as unknown as Record<string, unknown>;
        for (const [k, v] of Object.entries(changes)) expect(d[k]).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  test('an explicit checksum is stored as given (no fresh checksum)', () => {
    const out = patchPfnBlock(encodePfnBlock(fields()), { flags: 1, checksum: 42n });
    expect(storedChecksum(out)).toBe(42n);
    expect(verifyChecksum(out)).toBe(false);
  });

  test('an empty patch only refreshes the checksum', () => {
    const b = encodePfnBlock(fields(), { checksum: 'keep' });
    b[200] = 9;
    const out = patchPfnBlock(b, {});
    expect(Buffer.from(out.subarray(0, 4088))).toEqual(Buffer.from(b.subarray(0, 4088)));
    expect(verifyChecksum(out)).toBe(true);
  });

  test('reads only the first 4096 bytes of a longer input and returns 4096', () => {
    const b = new Uint8Array(8192).fill(1);
    expect(patchPfnBlock(b, {}).byteLength).toBe(4096);
  });
});
