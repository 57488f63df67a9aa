// The validator, rule by rule: one table case per rule and outcome, with the
// kernel's exact message (docs/kernel-agreement.md, src/validate/history.ts).
import fc from 'fast-check';
import { encodePfnBlock, patchPfnBlock, type PfnFields, DAX_SIGNATURE } from '../../src/format/pfn';
import { bttFields } from '../support/fixtures';
import { encodeBttBlock } from '../../src/format/btt';
import { headWithBlock } from '../../src/format/head';
import { recipeFields, type WriteParams } from '../../src/format/recipe';
import { checkHead, type CheckOptions, type Verdict } from '../../src/validate/check';

const U = '11111111-2222-3333-4444-555555555555';
const P = '99999999-8888-7777-6666-555555555555';
const G = 1n << 30n;
const M = 1n << 20n;

function legacy(p: Partial<WriteParams> = {}): PfnFields {
  return recipeFields({ size: G, uuid: U, meaning: 'legacy', ...p });
}

function head(fields: PfnFields, patch: Partial<PfnFields> = {}): Uint8Array {
  return headWithBlock(patchPfnBlock(encodePfnBlock(fields), patch));
}

function check(h: Uint8Array, o: Partial<CheckOptions> = {}): Verdict {
  return checkHead(h, { nsSize: G, ...o });
}

interface Case {
  name: string;
  head: () => Uint8Array;
  opts?: Partial<CheckOptions>;
  outcome: Verdict['outcome'];
  rule: string | null;
  errno: number | null;
  message: string | null;
}

const base = legacy();
const cases: Case[] = [
  { name: 'valid legacy block', head: () => head(base), outcome: 'claimed', rule: null, errno: null, message: null },
  {
    name: 'R1 signature garbage',
    head: () => head(base, { signature: new Uint8Array(16).fill(0x41) }),
    outcome: 'raw',
    rule: 'R1',
    errno: null,
    message: null,
  },
  {
    name: 'R1 --expect dax on an fsdax block',
    head: () => head(base),
    opts: { expect: 'dax' },
    outcome: 'raw',
    rule: 'R1',
    errno: null,
    message: null,
  },
  {
    name: 'R2 bad checksum',
    head: () => head(base, { checksum: 1n }),
    outcome: 'raw',
    rule: 'R2',
    errno: null,
    message: null,
  },
  {
    name: 'R3 parent uuid mismatch (label-less namespace)',
    head: () => head(base, { parentUuid: P }),
    outcome: 'raw',
    rule: 'R3',
    errno: null,
    message: null,
  },
  {
    name: 'R3 parent uuid matches --parent-uuid',
    head: () => head(base, { parentUuid: P }),
    opts: { parentUuid: P },
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: null,
  },
  { name: 'R5 mode 0', head: () => head(base, { mode: 0 }), outcome: 'raw', rule: 'R5', errno: null, message: null },
  { name: 'R5 mode 3', head: () => head(base, { mode: 3 }), outcome: 'raw', rule: 'R5', errno: null, message: null },
  {
    name: 'R6 align 0 becomes 1 << ilog2(dataoff), then R12',
    head: () => head(base, { align: 0n }),
    outcome: 'refused',
    rule: 'R12',
    errno: 95,
    message: 'bad offset: 0x1200000 dax disabled align: 0x1000000',
  },
  {
    name: 'R7 page_size 8192 in mode PMEM',
    head: () => head(base, { pageSize: 8192n }),
    outcome: 'refused',
    rule: 'R7',
    errno: 95,
    message: 'init failed, page size mismatch 8192',
  },
  {
    name: 'R7 page_size 8192 in mode RAM is fine',
    head: () => head(legacy({ map: 'mem' }), { pageSize: 8192n }),
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: null,
  },
  {
    name: 'R7 gated off below minor 4',
    head: () => head(base, { pageSize: 8192n, versionMinor: 3 }),
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: null,
  },
  {
    name: 'R8 page_struct_size 32',
    head: () => head(base, { pageStructSize: 32n }),
    outcome: 'refused',
    rule: 'R8',
    errno: 95,
    message: 'init failed, struct page size mismatch 32',
  },
  {
    name: 'R9 devdax align 64K unsupported',
    head: () => head(legacy({ mode: 'devdax', align: 64n << 10n })),
    outcome: 'refused',
    rule: 'R9',
    errno: 95,
    message: 'init failed, alignment mismatch: 2097152:65536',
  },
  {
    name: 'R9 devdax align 1G supported',
    head: () => head(legacy({ mode: 'devdax', align: G, size: 4n * G }), {}),
    opts: { nsSize: 4n * G },
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: null,
  },
  {
    name: 'R10 align above capacity',
    head: () => head(base, { align: 0x80000000n }),
    outcome: 'refused',
    rule: 'R10',
    errno: 95,
    message: 'alignment: 80000000 exceeds capacity 40000000',
  },
  {
    name: 'R11 dataoff = size',
    head: () => head(base, { dataoff: G }),
    outcome: 'refused',
    rule: 'R11',
    errno: 95,
    message: 'pfn array size exceeds capacity of namespace0.0',
  },
  {
    name: 'R12 data start misaligned',
    head: () => head(base, { dataoff: 0x1201000n }),
    outcome: 'refused',
    rule: 'R12',
    errno: 95,
    message: 'bad offset: 0x1201000 dax disabled align: 0x200000',
  },
  {
    name: 'R12 dataoff not page aligned',
    head: () => head(base, { dataoff: 0x1200800n, align: 2048n }),
    outcome: 'refused',
    rule: 'R12',
    errno: 95,
    message: 'bad offset: 0x1200800 dax disabled align: 0x800',
  },
  {
    name: 'R13 base + start_pad off 2M',
    head: () => head(legacy({ align: 4096n })),
    opts: { nsBase: M },
    outcome: 'refused',
    rule: 'R13',
    errno: 95,
    message: 'resource start misaligned',
  },
  {
    name: 'R14 end off 2M',
    head: () => head(base),
    opts: { nsSize: G + M },
    outcome: 'refused',
    rule: 'R14',
    errno: 95,
    message: 'resource end misaligned',
  },
  {
    name: 'R15 absent from 6.1: a zero-byte data area is claimed (npfns recomputed to 0)',
    head: () => head(base, { dataoff: G - 2n * M, endTrunc: 2n * 1048576n }),
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: 'number of pfns truncated from 257536 to 0',
  },
  {
    name: 'R15 linux-latest: bad offset with small namespace',
    head: () => head(base, { dataoff: G - 2n * M, endTrunc: 2n * 1048576n }),
    opts: { kernel: 'linux-latest' },
    outcome: 'refused',
    rule: 'R15',
    errno: 95,
    message: 'bad offset with small namespace',
  },
  {
    name: 'S1 mode RAM with dataoff below the reserve',
    head: () => head(legacy({ map: 'mem' }), { dataoff: 4096n, align: 4096n }),
    outcome: 'refused',
    rule: 'S1',
    errno: 22,
    message: null,
  },
  {
    name: 'S1 mode PMEM with dataoff 4K below the reserve (observed on 6.1)',
    head: () => head(base, { dataoff: 4096n, align: 4096n }),
    outcome: 'refused',
    rule: 'S1',
    errno: 22,
    message: null,
  },
  {
    name: 'S1 mode PMEM with dataoff 0: the region cannot be reserved',
    head: () => head(base, { dataoff: 0n, align: 4096n }),
    opts: { nsBase: 0x100000000n, nsSize: 64n * M },
    outcome: 'refused',
    rule: 'S1',
    errno: 16,
    message: 'could not reserve region [mem 0x100000000-0x103ffffff]',
  },
  // On 64 MiB no whole 128 MiB section is mapped: the memmap comes from system memory (observed on 6.1).
  {
    name: 'S1 mode PMEM with dataoff 8K is enough (64 MiB)',
    head: () => head(base, { dataoff: 8192n, align: 4096n }),
    opts: { nsSize: 64n * M },
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: 'number of pfns truncated from 257536 to 16382',
  },
  {
    name: 'S4 mode PMEM with dataoff 8K on 1 GiB: the memmap does not fit',
    head: () => head(base, { dataoff: 8192n, align: 4096n }),
    outcome: 'refused',
    rule: 'S4',
    errno: 12,
    message: null,
  },
  {
    name: 'S4 devdax memmap does not fit: refused by 6.1',
    head: () => head(legacy({ mode: 'devdax' }), { dataoff: 2n * M }),
    outcome: 'refused',
    rule: 'S4',
    errno: 12,
    message: null,
  },
  {
    name: 'S4 devdax memmap does not fit: refused by 6.12 too (observed)',
    head: () => head(legacy({ mode: 'devdax' }), { dataoff: 2n * M }),
    opts: { kernel: '6.12' },
    outcome: 'refused',
    rule: 'S4',
    errno: 12,
    message: null,
  },
  {
    name: 'S4 fsdax memmap does not fit: refused by 7.2',
    head: () => head(base, { dataoff: 2n * M }),
    opts: { kernel: '7.2' },
    outcome: 'refused',
    rule: 'S4',
    errno: 12,
    message: null,
  },
  {
    name: 'S4 mode RAM needs no memmap room',
    head: () => head(legacy({ map: 'mem' }), { dataoff: 2n * M }),
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: null,
  },
  {
    name: 'S1b negative data area, mode PMEM: -EINVAL',
    head: () => head(legacy({ offset: M, align: 4096n }), { dataoff: G - M }),
    opts: { nsBase: M },
    outcome: 'refused',
    rule: 'S1b',
    errno: 22,
    message: null,
  },
  {
    name: 'S1b negative data area, mode RAM: the kernel oopses',
    head: () => head(legacy({ offset: M, align: 4096n, map: 'mem' }), { dataoff: G - M }),
    opts: { nsBase: M },
    outcome: 'crashed',
    rule: 'S1b',
    errno: null,
    message: 'kernel crash: BUG: unable to handle page fault (pmem_do_read)',
  },
  {
    name: 'S1b mode RAM with an empty mapped range (end_trunc = size): -EINVAL, no oops',
    head: () => head(legacy({ map: 'mem' }), { endTrunc: 1n << 30n, dataoff: 2n * M }),
    outcome: 'refused',
    rule: 'S1b',
    errno: 22,
    message: null,
  },
  {
    name: 'S1b negative data area, devdax: -ENOMEM (found by a corpus run under kernel-check)',
    head: () => head(legacy({ mode: 'devdax', offset: M, align: 4096n }), { dataoff: G - M }),
    opts: { nsBase: M },
    outcome: 'refused',
    rule: 'S1b',
    errno: 12,
    message: null,
  },
  {
    name: 'S3 devdax with align 0: the dax region fails (-ENOMEM)',
    head: () => head(legacy({ mode: 'devdax' }), { align: 0n, dataoff: 2n * M }),
    outcome: 'refused',
    rule: 'S3',
    errno: 12,
    message: null,
  },
  {
    name: 'S3 devdax 1.1 block: align gated to 0',
    head: () => head(legacy({ mode: 'devdax' }), { versionMinor: 1, dataoff: 2n * M }),
    outcome: 'refused',
    rule: 'S3',
    errno: 12,
    message: null,
  },
  {
    name: 'S3 fsdax with align 0 is claimed (64 MiB)',
    head: () => head(base, { align: 0n, dataoff: 2n * M }),
    opts: { nsSize: 64n * M },
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: 'number of pfns truncated from 257536 to 15872',
  },
  {
    name: 'S3 devdax data length not a multiple of a 1 GiB align: -ENOMEM',
    head: () => head(legacy({ mode: 'devdax', align: G, size: 4n * G }), { endTrunc: 0n }),
    opts: { nsSize: 4n * G + 2n * M },
    outcome: 'refused',
    rule: 'S3',
    errno: 12,
    message: null,
  },
  {
    name: 'S2 npfns truncated (info)',
    head: () => head(base, { npfns: 300000n }),
    outcome: 'claimed',
    rule: null,
    errno: null,
    message: 'number of pfns truncated from 300000 to 257536',
  },
  {
    name: 'linux-4.x: bad offset leaves the namespace raw',
    head: () => head(base, { dataoff: 0x1201000n }),
    opts: { kernel: 'linux-4.x' },
    outcome: 'raw',
    rule: 'R12',
    errno: 6,
    message: 'bad offset: 0x1201000 dax disabled align: 0x200000',
  },
  {
    name: 'map: major 3 refused (minimum-version rule)',
    head: () => head(base, { versionMajor: 3 }),
    opts: { kernel: 'map' },
    outcome: 'refused',
    rule: 'M1',
    errno: 95,
    message: 'unsupported info-block version 3.4',
  },
  {
    name: 'map: dataoff below start_pad',
    head: () => head(legacy({ meaning: 'map', offset: M }), { dataoff: 4096n }),
    opts: { kernel: 'map', nsBase: M },
    outcome: 'refused',
    rule: 'M2',
    errno: 95,
    message: 'bad offset: 0x1000 below start_pad 0x100000',
  },
];

describe('linux-6.1 and friends, one case per rule', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const v = check(c.head(), c.opts);
    expect({ outcome: v.outcome, rule: v.failedRule, errno: v.errno, message: v.message }).toEqual({
      outcome: c.outcome,
      rule: c.rule,
      errno: c.errno,
      message: c.message,
    });
  });
});

describe('verdict details', () => {
  test('zero-byte data area under 6.1: data_size 0', () => {
    const v = check(head(base, { dataoff: G - 2n * M, endTrunc: 2n * 1048576n }));
    expect(v.dataStart).toBe(G - 2n * M);
    expect(v.dataSize).toBe(0n);
  });
  test('claimed legacy block: data at start_pad + dataoff, size to end - end_trunc', () => {
    const v = check(head(base));
    expect(v.dataStart).toBe(0x1200000n);
    expect(v.dataSize).toBe(G - 0x1200000n);
    expect(v.mapBase).toBe(0n);
    expect(v.mapOffset).toBe(0x1200000n);
    expect(v.align).toBe(2n * M);
    expect(v.kind).toBe('pfn');
    expect(v.mode).toBe('pmem');
    expect(v.meaning).toBe('legacy');
  });
  test('devdax block: kind dax', () => {
    expect(check(head(legacy({ mode: 'devdax' }))).kind).toBe('dax');
    expect(check(head(base, { signature: DAX_SIGNATURE.slice() })).kind).toBe('dax');
  });
  test('no block at all: raw, R1; the whole namespace is the data', () => {
    const v = check(new Uint8Array(8192));
    expect(v.outcome).toBe('raw');
    expect(v.failedRule).toBe('R1');
    expect(v.kind).toBeNull();
    expect([v.dataStart, v.dataSize]).toEqual([0n, G]);
  });
  test('refused: no data range', () => {
    const v = check(head(base, { dataoff: 0x1201000n }));
    expect([v.dataStart, v.dataSize]).toEqual([null, null]);
  });
  test('every evaluated rule is reported, in kernel order, stopping at the deciding one', () => {
    const v = check(head(base, { dataoff: 0x1201000n }));
    expect(v.rules.map((r) => r.id)).toEqual([
      'R1',
      'R2',
      'R3',
      'R4',
      'R5',
      'R6',
      'R7',
      'R8',
      'R9',
      'R10',
      'R11',
      'R12',
    ]);
    expect(v.rules.at(-1)?.passed).toBe(false);
  });
  test('hazard: a 2.x block that 6.1 would claim with the data misplaced', () => {
    // start_pad 2 MiB keeps base + start_pad aligned, so the legacy reading passes too.
    const h = head(base, { versionMajor: 2, startPad: 2n * 1048576n, dataoff: 0x1400000n });
    const mapV = check(h, { kernel: 'map' });
    expect(mapV.outcome).toBe('claimed');
    expect(mapV.dataStart).toBe(0x1400000n);
    const v = check(h);
    expect(v.outcome).toBe('claimed');
    expect(v.dataStart).toBe(0x1600000n);
    expect(v.hazards.find((z) => z.kind === 'misplacement' && z.profile === 'linux-6.1')).toBeDefined();
  });
  test('hazard: an ndctl -O block at its misaligned base is recognised', () => {
    const h = head(recipeFields({ size: G, uuid: U, meaning: 'ndctl', offset: 0x100100000n }));
    const v = check(h, { nsBase: 0x100100000n });
    expect(v.outcome).toBe('refused');
    expect(v.hazards.map((z) => z.kind)).toContain('ndctl-offset-block');
  });
});

// Sizes 16M..64G in 2 MiB steps, bases aligned or 1 MiB off 2 MiB.
const sizeArb = fc.bigInt({ min: 8n, max: 32768n }).map((k) => k * 2n * M);
const alignArb = fc.integer({ min: 21, max: 30 }).map((e) => 1n << BigInt(e));

describe('properties', () => {
  test('every write --meaning legacy block at an aligned base is claimed by linux-6.1 at data_start = dataoff', () => {
    fc.assert(
      fc.property(
        sizeArb,
        fc.integer({ min: 12, max: 30 }),
        fc.constantFrom('dev', 'mem'),
        fc.bigInt({ min: 0n, max: 1n << 20n }),
        (size, ae, map, k) => {
          const align = 1n << BigInt(ae);
          fc.pre(align * 4n <= size);
          const base = k * (align > 2n * M ? align : 2n * M);
          const f = recipeFields({ size, uuid: U, meaning: 'legacy', map: map, align, offset: base });
          const v = checkHead(headWithBlock(encodePfnBlock(f)), { nsSize: size, nsBase: base });
          expect(v.outcome).toBe('claimed');
          expect(v.dataStart).toBe(f.dataoff);
        },
      ),
      { numRuns: 300, seed: 61 },
    );
  });

  test(
    'every write --meaning ndctl block with start_pad != 0 (align >= 2M) is refused with "bad offset" at its ' + 'base',
    () => {
      fc.assert(
        fc.property(
          sizeArb,
          alignArb,
          fc.bigInt({ min: 1n, max: 1n << 12n }),
          fc.bigInt({ min: 1n, max: 511n }),
          (size, align, k, sub) => {
            fc.pre(align * 4n <= size);
            const base = k * align + sub * 4096n; // misaligned by a 4K multiple below align
            const f = recipeFields({ size, uuid: U, meaning: 'ndctl', align, offset: base });
            fc.pre(f.startPad !== 0n);
            const v = checkHead(headWithBlock(encodePfnBlock(f)), { nsSize: size, nsBase: base });
            expect(v.outcome).toBe('refused');
            expect(v.message).toMatch(/^bad offset: /);
          },
        ),
        { numRuns: 300, seed: 62 },
      );
    },
  );

  test('map claims every write --meaning map block at base + dataoff', () => {
    fc.assert(
      fc.property(
        sizeArb,
        alignArb,
        fc.bigInt({ min: 1n, max: 1n << 12n }),
        fc.boolean(),
        fc.constantFrom('dev', 'mem'),
        (size, align, k, off, map) => {
          fc.pre(align * 4n <= size);
          const base = k * align + (off ? M : 0n);
          const f = recipeFields({ size, uuid: U, meaning: 'map', align, offset: base, map: map });
          const v = checkHead(headWithBlock(encodePfnBlock(f)), { nsSize: size, nsBase: base, kernel: 'map' });
          expect(v.outcome).toBe('claimed');
          expect(v.meaning).toBe('map');
          expect(v.dataStart).toBe(f.dataoff);
          expect(v.dataSize).toBe(size - f.startPad - f.endTrunc - (f.dataoff - f.startPad));
        },
      ),
      { numRuns: 300, seed: 63 },
    );
  });
});

describe('ndctl -O blocks with a small align field', () => {
  test('claimed by 6.1 with the data misplaced: reported as a misplacement hazard', () => {
    // -a 4K: the align field is 4K, so base + start_pad + dataoff passes rule 12,
    // but ndctl put the data at base + dataoff (2 MiB aligned), 1 MiB earlier.
    const f = recipeFields({ size: G, uuid: U, meaning: 'ndctl', offset: 0x100100000n, align: 4096n });
    const v = check(head(f), { nsBase: 0x100100000n });
    expect(v.outcome).toBe('claimed');
    expect(v.dataStart).toBe(f.dataoff + f.startPad);
    const h = v.hazards.find((z) => z.kind === 'misplacement');
    expect(h?.profile).toBe('linux-6.1');
    expect(h?.message).toContain('ndctl -O block');
  });
  test('a legacy block at the same base raises no hazard', () => {
    const f = recipeFields({ size: G, uuid: U, meaning: 'legacy', offset: 0x100100000n, align: 4096n });
    expect(check(head(f), { nsBase: 0x100100000n }).hazards).toEqual([]);
  });
});

describe('BTT arena blocks', () => {
  const bttHead = (parentUuid: string): Uint8Array => {
    const block = encodeBttBlock(bttFields({ parentUuid, mapoff: 0x500000n, logoff: 0x600000n, info2off: 0x700000n }));
    const h = new Uint8Array(8192);
    h.set(block, 0);
    h.set(block, 4096);
    return h;
  };
  test('label-less namespace: a valid BTT is not claimed, the namespace stays raw (observed on 6.1)', () => {
    const v = check(bttHead('00000000-0000-0000-0000-000000000000'));
    expect([v.outcome, v.failedRule, v.kind]).toEqual(['raw', 'B1', null]);
    expect([v.dataStart, v.dataSize]).toEqual([0n, G]);
  });
  test('labelled namespace whose uuid matches: claimed as btt, no linear data range', () => {
    const v = check(bttHead(P), { parentUuid: P });
    expect([v.outcome, v.kind, v.dataStart]).toEqual(['claimed', 'btt', null]);
  });
});
