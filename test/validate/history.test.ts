// The rule table by version: profiles from kernel versions, each rule's eras,
// the probe-fallback eras, message formats, geometry, and the side-by-side
// kernel comparison.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/format/errors';
import { headWithBlock } from '../../src/format/head';
import { encodePfnBlock, patchPfnBlock, type PfnFields } from '../../src/format/pfn';
import { recipeFields, type WriteParams } from '../../src/format/recipe';
import { checkHead, type CheckOptions, type Verdict } from '../../src/validate/check';
import { dataStartFor, gateFields, geometryOf, kernelAlign } from '../../src/validate/geometry';
import {
  eraOf,
  probeFailureLine,
  reserveBytes,
  RULE_TABLE,
  validationFailureRefuses,
} from '../../src/validate/history';
import { checkKernels } from '../../src/validate/check-kernels';
import { archParams } from '../../src/validate/arch';
import { profileForKernel } from '../../src/validate/profiles';
import { formatResource } from '../../src/validate/rules';
import { compareSeries, KNOWN_SERIES, resolveKernel, resolveKernels } from '../../src/validate/versions';

const U = '11111111-2222-3333-4444-555555555555';
const M = 1n << 20n;
const G = 1n << 30n;
const legacy = (p: Partial<WriteParams> = {}): PfnFields =>
  recipeFields({ size: 64n * M, uuid: U, meaning: 'legacy', ...p });
const head = (f: PfnFields, patch: Partial<PfnFields> = {}): Uint8Array =>
  headWithBlock(patchPfnBlock(encodePfnBlock(f), patch));
const check = (h: Uint8Array, o: Partial<CheckOptions>): Verdict => checkHead(h, { nsSize: 64n * M, ...o });
const brief = (v: Verdict): [string, string | null, number | null, string | null] => [
  v.outcome,
  v.failedRule,
  v.errno,
  v.message,
];

describe('kernel values', () => {
  test.each([
    ['6.12', 'linux-6.12', '6.12', true],
    ['5.15', 'linux-5.15', '5.15', false],
    ['5.15.178', 'linux-5.15', '5.15', false],
    ['linux-6.1', 'linux-6.1', '6.1', true],
    ['linux-6.8.0', 'linux-6.8', '6.8', false],
    ['linux-latest', 'linux-7.2', '7.2', true],
    ['linux-4.x', 'linux-4.19', '4.19', false],
    ['4.19', 'linux-4.19', '4.19', false],
    ['7.2', 'linux-7.2', '7.2', true],
    ['map', 'map', '7.2', false],
  ] as const)('%s resolves to %s', (spec, id, version, observed) => {
    expect(resolveKernel(spec)).toMatchObject({ id, version, observed });
  });

  test.each(['4.18', '7.3', '8.0', '6.20', '5.20', 'linux-9', '6', '6.x', '', 'latest-ish', '6.1.2.3', 'linux-'])(
    '%j is an invalid-argument error',
    (spec) => {
      let err: unknown = null;
      try {
        resolveKernel(spec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).toBe('invalid-argument');
      expect((err as Error).message).toMatch(/4\.19\.\.7\.2/);
    },
  );

  test('a non-string or unknown kernel, or an unknown arch, is an InfoblockError, not a TypeError', () => {
    expect(() => checkHead(head(legacy()), { nsSize: 64n * M, kernel: 42 as unknown as string })).toThrow(
      InvalidArgumentError,
    );
    expect(() => checkHead(head(legacy()), { nsSize: 64n * M, kernel: 'linux-9' })).toThrow(InvalidArgumentError);
    expect(() => checkHead(head(legacy()), { nsSize: 64n * M, arch: 'sparc' as never })).toThrow(InvalidArgumentError);
  });

  test('resolveKernels: all = the booted kernels; lists keep order and drop duplicates', () => {
    expect(resolveKernels('all').map((k) => k.id)).toEqual(['linux-5.10', 'linux-6.1', 'linux-6.12', 'linux-7.2']);
    expect(resolveKernels('6.1, linux-6.1,4.19,map').map((k) => k.id)).toEqual(['linux-6.1', 'linux-4.19', 'map']);
    expect(() => resolveKernels('')).toThrow(InvalidArgumentError);
    expect(() => resolveKernels('6.1,,7.2')).toThrow(InvalidArgumentError);
    expect(() => resolveKernels('6.1,9.9')).toThrow(InvalidArgumentError);
  });

  test('known series run 4.19 .. 7.2 in order', () => {
    expect(KNOWN_SERIES[0]).toBe('4.19');
    expect(KNOWN_SERIES.at(-1)).toBe('7.2');
    for (let i = 1; i < KNOWN_SERIES.length; i++)
      expect(compareSeries(KNOWN_SERIES[i - 1] as string, KNOWN_SERIES[i] as string)).toBeLessThan(0);
  });
});

describe('the rule table', () => {
  test('every entry has exactly one era for every known series', () => {
    for (const r of RULE_TABLE) {
      for (const v of KNOWN_SERIES) {
        const n = r.eras.filter(
          (e) => compareSeries(v, e.from) >= 0 && (e.to === null || compareSeries(v, e.to) <= 0),
        ).length;
        expect(`${r.id}@${v}: ${n}`).toBe(`${r.id}@${v}: 1`);
      }
    }
  });

  test.each([
    ['R7', '5.3', 'absent', null],
    ['R7', '5.4', 'fail', 95],
    ['R10', '5.6', 'fail', 22],
    ['R10', '5.7', 'fail', 95],
    ['R11', '4.19', 'fail', 16],
    ['R12', '4.19', 'fail', 6],
    ['R12', '5.7', 'fail', 95],
    ['R13', '5.6', 'absent', null],
    ['R14', '5.7', 'fail', 95],
    ['R15', '6.5', 'absent', null],
    ['R15', '6.6', 'fail', 95],
    ['S4', '5.10', 'setup', 12],
    ['F3', '7.1', 'absent', null],
  ] as const)('%s in %s: %s, errno %s', (id, v, effect, errno) => {
    expect(eraOf(id, v)).toMatchObject({ effect, errno });
  });

  test('profiles list only the rules their version runs', () => {
    expect(profileForKernel('4.19').rules.map((r) => r.id)).toEqual([
      'R1',
      'R2',
      'R3',
      'R4',
      'R5',
      'R6',
      'R10',
      'R11',
      'R12',
      'S1',
      'S1b',
      'S2',
      'S3',
      'S4',
    ]);
    expect(profileForKernel('6.1').rules.map((r) => r.id)).not.toContain('R15');
    expect(profileForKernel('6.6').rules.map((r) => r.id)).toContain('R15');
    expect(
      profileForKernel('map')
        .rules.map((r) => r.id)
        .slice(0, 6),
    ).toEqual(['R1', 'R2', 'R3', 'M1', 'R4', 'R5']);
  });

  test('probe fallback: through 5.3 nothing refuses, 5.4-5.6 only -EOPNOTSUPP', () => {
    expect(validationFailureRefuses('5.3', 95)).toBe(false);
    expect(validationFailureRefuses('5.4', 95)).toBe(true);
    expect(validationFailureRefuses('5.6', 6)).toBe(false);
    expect(validationFailureRefuses('5.7', 95)).toBe(true);
  });

  test('the driver-core probe-failure line in both formats; silent for -ENODEV/-ENXIO', () => {
    expect(probeFailureLine('6.1', 'nd_pmem', 'namespace0.0', 95)).toBe(
      'nd_pmem: probe of namespace0.0 failed with error -95',
    );
    expect(probeFailureLine('6.12', 'nd_pmem', 'namespace0.0', 95)).toBe(
      'nd_pmem namespace0.0: probe with driver nd_pmem failed with error -95',
    );
    expect(probeFailureLine('7.2', 'nd_pmem', 'namespace0.0', 6)).toBeNull();
  });

  test('%pR: 0x-prefixed, at least 8 hex digits (as 6.1, 6.12 and 7.2 print it)', () => {
    expect(formatResource(0x100000000n, 0x103ffffffn)).toBe('[mem 0x100000000-0x103ffffff]');
    expect(formatResource(0x1000n, 0xfffffn)).toBe('[mem 0x00001000-0x000fffff]');
  });

  test('reserve: 8 KiB (+128 KiB dax_label_reserve for devdax through 5.0), then ALIGN(8K, PAGE_SIZE)', () => {
    expect(reserveBytes('4.19', 4096n, 'dax')).toBe(136n * 1024n);
    expect(reserveBytes('4.19', 65536n, 'pfn')).toBe(8192n);
    expect(reserveBytes('5.1', 4096n, 'dax')).toBe(8192n);
    expect(reserveBytes('6.1', 65536n, 'pfn')).toBe(65536n);
  });
});

describe('verdicts by version', () => {
  const zeroSize = head(legacy(), { dataoff: 62n * M, endTrunc: 2n << 20n });
  test.each([
    ['4.19', ['claimed', null, null, 'number of pfns truncated from 15872 to 0']],
    ['6.5', ['claimed', null, null, 'number of pfns truncated from 15872 to 0']],
    ['6.6', ['refused', 'R15', 95, 'bad offset with small namespace']],
    ['7.2', ['refused', 'R15', 95, 'bad offset with small namespace']],
  ] as const)('zero-size data area under %s', (kernel, want) => {
    expect(brief(check(zeroSize, { kernel }))).toEqual(want);
  });

  const badOffset = head(legacy(), { dataoff: 0x201000n });
  test.each([
    ['4.19', ['raw', 'R12', 6, 'bad offset: 0x201000 dax disabled align: 0x200000']],
    ['5.3', ['raw', 'R12', 6, 'bad offset: 0x201000 dax disabled align: 0x200000']],
    ['5.6', ['raw', 'R12', 6, 'bad offset: 0x201000 dax disabled align: 0x200000']],
    ['5.7', ['refused', 'R12', 95, 'bad offset: 0x201000 dax disabled align: 0x200000']],
  ] as const)('rule 12 failure under %s (fallback era)', (kernel, want) => {
    const v = check(badOffset, { kernel });
    expect(brief(v)).toEqual(want);
    if (v.outcome === 'raw') {
      expect([v.dataStart, v.dataSize]).toEqual([0n, 64n * M]);
      expect(v.hazards.map((h) => h.kind)).toContain('metadata-exposed');
    }
  });

  test('4.19 rule 12 is the physical-address form: dataoff aligned but the data start is not', () => {
    const h = head(legacy({ offset: M, align: 4096n }), { align: 2n << 20n, startPad: 0n, dataoff: 4n * M });
    expect(brief(check(h, { kernel: '4.19', nsBase: M }))).toEqual([
      'raw',
      'R12',
      6,
      'bad offset: 0x400000 dax disabled align: 0x200000',
    ]);
  });

  test('page size rule: absent in 5.3, refused from 5.4 (-EOPNOTSUPP refuses already)', () => {
    const h = head(legacy(), { pageSize: 8192n });
    expect(check(h, { kernel: '5.3' }).outcome).toBe('claimed');
    expect(brief(check(h, { kernel: '5.4' }))).toEqual(['refused', 'R7', 95, 'init failed, page size mismatch 8192']);
  });

  test('start misaligned: no rule before 5.7', () => {
    const h = head(legacy({ align: 4096n, offset: M }), { startPad: 0n });
    expect(check(h, { kernel: '5.6', nsBase: M }).outcome).toBe('claimed');
    expect(brief(check(h, { kernel: '5.7', nsBase: M }))).toEqual(['refused', 'R13', 95, 'resource start misaligned']);
  });

  test('rule 15 wraps when start_pad + end_trunc > size: then -EINVAL at setup (fsdax, mode PMEM)', () => {
    const h = head(legacy({ align: 4096n }), { startPad: 2n << 20n, endTrunc: 64n << 20n, dataoff: 2n * M });
    const v = check(h, { kernel: '6.12' });
    expect(brief(v)).toEqual(['refused', 'S1b', 22, null]);
    expect(v.rules.find((r) => r.id === 'R15')?.detail).toMatch(/wraps around/);
  });

  test('7.2 logs the wrapped devdax region as a conflict', () => {
    const h = head(legacy({ align: 4096n, mode: 'devdax' }), {
      startPad: 2n << 20n,
      endTrunc: 64n << 20n,
      dataoff: 2n * M,
    });
    expect(brief(check(h, { kernel: '6.12', nsBase: 4n * G }))).toEqual(['refused', 'S1b', 12, null]);
    expect(brief(check(h, { kernel: '7.2', nsBase: 4n * G }))).toEqual([
      'refused',
      'S1b',
      12,
      'dax_region resource conflict for [mem 0x100400000-0xffffffff]',
    ]);
  });

  test('basis: booted versions are observed on x86-64, others interpolated from source', () => {
    const h = head(legacy());
    expect(check(h, { kernel: '6.12' })).toMatchObject({ kernel: '6.12', observed: true });
    expect(check(h, { kernel: '6.12' }).rules.every((r) => r.basis === 'observed')).toBe(true);
    expect(check(h, { kernel: '5.15' }).rules.every((r) => r.basis === 'source')).toBe(true);
    expect(check(h, { kernel: '6.12', arch: 'ppc64-radix' }).observed).toBe(false);
    expect(check(h, { kernel: 'map' }).rules.find((r) => r.id === 'M1')?.basis).toBe('convention');
  });

  test('ppc64 is ppc64-hash; radix has a 2 MiB compat align', () => {
    expect(archParams('ppc64')).toEqual(archParams('ppc64-hash'));
    expect(archParams('ppc64-hash').compatAlign).toBe(16n * M);
    expect(archParams('ppc64-radix').compatAlign).toBe(2n * M);
  });
});

describe('several kernels side by side', () => {
  test('zero-size data area: claimed by 6.1, refused by 6.12: one refused-by-newer hazard', () => {
    const r = checkKernels(head(legacy(), { dataoff: 62n * M, endTrunc: 2n << 20n }), { nsSize: 64n * M }, 'all');
    expect(r.kernels).toEqual(['linux-5.10', 'linux-6.1', 'linux-6.12', 'linux-7.2']);
    expect(r.agree).toBe(false);
    expect(r.hazards.map((h) => [h.kind, h.from, h.to])).toEqual([['refused-by-newer', 'linux-6.1', 'linux-6.12']]);
  });
  test('devdax align 64K: claimed by 4.19 only', () => {
    const r = checkKernels(head(legacy({ mode: 'devdax', align: 64n << 10n })), { nsSize: 64n * M }, '7.2,4.19,5.10');
    expect(r.kernels).toEqual(['linux-4.19', 'linux-5.10', 'linux-7.2']);
    expect(r.hazards.map((h) => h.kind)).toEqual(['refused-by-newer']);
  });
  test('a map block: refused by the kernels, claimed by the map convention', () => {
    const f = recipeFields({ size: G, uuid: U, meaning: 'map', offset: 0x100100000n });
    const r = checkKernels(headWithBlock(encodePfnBlock(f)), { nsSize: G, nsBase: 0x100100000n }, 'map,6.1');
    expect(r.kernels).toEqual(['linux-6.1', 'map']);
    expect(r.hazards.map((h) => h.kind)).toEqual(['refused-by-older']);
  });
  test('an ordinary block agrees everywhere', () => {
    const r = checkKernels(head(legacy()), { nsSize: 64n * M }, '4.19,5.4,5.10,6.1,6.12,7.2');
    expect([r.agree, r.hazards]).toEqual([true, []]);
  });
});

describe('geometry', () => {
  test('data start by meaning; rule 6 default align', () => {
    expect(dataStartFor('legacy', 0x200000n, 0x100000n)).toBe(0x300000n);
    expect(dataStartFor('map', 0x200000n, 0x100000n)).toBe(0x200000n);
    expect(kernelAlign(0n, 0x300000n)).toBe(0x200000n);
    expect(kernelAlign(4096n, 0x300000n)).toBe(4096n);
  });
  test("property: a map block with dataoff + start_pad has the legacy block's data start and size", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        fc.bigInt({ min: 0n, max: 1n << 30n }),
        fc.bigInt({ min: 1n << 21n, max: 1n << 41n }),
        (dataoff, sp, size) => {
          const f = { ...legacy(), dataoff, startPad: sp };
          const e = gateFields(f, { pageSize: 4096n, knowsMinor4: true });
          const l = geometryOf({ fields: f, effective: e, base: 0n, size, meaning: 'legacy' });
          const m = geometryOf({
            fields: { ...f, dataoff: dataoff + sp },
            effective: e,
            base: 0n,
            size,
            meaning: 'map',
          });
          expect([m.dataStart, m.dataSize, m.offset]).toEqual([l.dataStart, l.dataSize, l.offset]);
        },
      ),
      { numRuns: 200, seed: 9 },
    );
  });
  test('gating: a pre-5.4 reader ignores page_size and page_struct_size', () => {
    const f = { ...legacy(), pageSize: 8192n, pageStructSize: 32n };
    expect(gateFields(f, { pageSize: 4096n, knowsMinor4: false })).toMatchObject({
      pageSize: 4096n,
      pageStructSize: 64n,
    });
    expect(gateFields(f, { pageSize: 4096n, knowsMinor4: true })).toMatchObject({
      pageSize: 8192n,
      pageStructSize: 32n,
    });
  });
  test('src/validate imports no node: module', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'validate');
    for (const f of fs.readdirSync(dir))
      expect(`${f}: ${/from 'node:/.test(fs.readFileSync(path.join(dir, f), 'utf8'))}`).toBe(`${f}: false`);
  });
});
