// The DAX verdict: the rule eras as data, the ranges it computes over the
// device (properties), the observed cases per kernel (tables), and its place
// on check's verdicts.
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/format/errors';
import { headWithBlock } from '../../src/format/head';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { checkHead } from '../../src/validate/check';
import {
  DAX_RULES,
  daxEraOf,
  daxIsHazard,
  daxVerdictOf,
  type DaxInput,
  type DaxRange,
  type DaxVerdict,
} from '../../src/validate/dax-verdict';
import { KNOWN_SERIES } from '../../src/validate/versions';
import { thrownBy } from '../support/errors';

const K = 1n << 10n;
const M = 1n << 20n;
const G = 1n << 30n;
const U = '11111111-2222-3333-4444-555555555555';
const KERNELS = [...KNOWN_SERIES, 'map'];
const ARCHES = ['x86_64', 'ppc64-hash', 'ppc64-radix'] as const;
const fsdax = (p: Partial<DaxInput>): DaxVerdict =>
  daxVerdictOf({ kernel: '6.1', kind: 'pfn', mode: 'ram', startPad: M, dataoff: 2n * M, dataSize: 60n * M, ...p });
const hx = (rs: DaxRange[]): string[] => rs.map((r) => `${r.start.toString(16)}-${r.end.toString(16)}`);

describe('the DAX rule table', () => {
  test('every rule covers 4.19 to the newest with no gap or overlap', () => {
    for (const r of DAX_RULES) {
      for (const v of KNOWN_SERIES) {
        const eras = r.eras.filter((e) => daxEraOf(r.id, v) === e);
        expect([r.id, v, eras.length]).toEqual([r.id, v, 1]);
      }
    }
  });

  test.each([
    ['D2', '4.19', 'first-page'],
    ['D2', '5.0', 'first-page'],
    ['D2', '5.1', 'refuse'],
    ['D2', '5.16', 'refuse'],
    ['D2', '5.17', 'enable'],
    ['D2', '7.2', 'enable'],
    ['D4', '6.14', 'misplaced'],
    // Source said a reference on an uninitialised struct page would oops from 6.15; booted 7.2 misplaced.
    ['D4', '6.15', 'misplaced'],
    ['D3', '6.1', 'crashes'],
  ])('%s in %s: %s', (id, v, effect) => {
    expect(daxEraOf(id, v).effect).toBe(effect);
  });

  test('an unknown rule is a RangeError', () => {
    expect(() => daxEraOf('D9', '6.1')).toThrow(RangeError);
  });

  test.each([
    [{ startPad: -1n }, 'startPad must be a non-negative bigint'],
    [{ dataSize: 5 as unknown as bigint }, 'dataSize must be a non-negative bigint'],
    [{ mode: 'none' as 'ram' }, "unknown mode 'none'"],
    [{ kind: 'btt' as 'pfn' }, "unknown kind 'btt'"],
  ])('bad input %p: invalid-argument', (p, text) => {
    const e = thrownBy(() => fsdax(p));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).code).toBe('invalid-argument');
    expect((e as Error).message).toContain(text);
  });
});

describe('observed cases', () => {
  // A 1 MiB start_pad with dataoff 2 MiB (memmap in RAM), as the harness boots it.
  test.each([
    ['5.10', 'refused', 0n, 'observed', 'mount-fails', 'mounts-without-dax'],
    ['6.1', 'misplaced', M, 'observed', 'dax', 'dax'],
    ['6.12', 'misplaced', M, 'observed', 'dax', 'dax'],
    ['7.2', 'misplaced', M, 'observed', 'dax', 'dax'],
    ['5.4', 'refused', 0n, 'source', 'mount-fails', 'mounts-without-dax'],
    ['5.17', 'misplaced', M, 'source', 'dax', 'dax'],
    ['4.19', 'misplaced', M, 'source', 'dax', 'dax'],
    ['map', 'consistent', 0n, 'source', 'dax', 'dax'],
  ])('1 MiB pad on %s: %s', (kernel, outcome, shift, basis, ext4, xfs) => {
    const d = fsdax({ kernel });
    expect([d.outcome, d.shift, d.basis, d.filesystems.ext4, d.filesystems.xfs, d.filesystems.ext2]).toEqual([
      outcome,
      shift,
      basis,
      ext4,
      xfs,
      xfs,
    ]);
  });

  test('1 MiB pad on 6.1: the whole device misplaced, mmap finds page 0 at dataoff', () => {
    const d = fsdax({});
    expect([hx(d.misplaced), hx(d.crashes), d.readAt, d.mmapAt]).toEqual([['0-3c00000'], [], 3n * M, 2n * M]);
    expect(d.message).toBe('mmap sees data 0x100000 bytes below read(2); writes through mmap corrupt the filesystem');
  });

  test('1 MiB pad on 5.10: the message says why and that the data is safe', () => {
    expect(fsdax({ kernel: '5.10' }).message).toBe(
      'start_pad 0x100000 would put DAX page frames below the data, so the kernel does not enable DAX: ' +
        'ext4 fails a DAX mount, xfs and ext2 mount without DAX; the data is safe',
    );
  });

  // 4.x-era padding: start_pad 64 MiB above dataoff.
  test.each([
    ['5.10', 'ram', 'refused', [], [], 'observed'],
    ['6.1', 'ram', 'crashes', ['0-3e00000'], ['3e00000-1c000000'], 'observed'],
    ['7.2', 'ram', 'crashes', ['0-3e00000'], ['3e00000-1c000000'], 'observed'],
    ['4.19', 'ram', 'refused', [], [], 'source'],
    // memmap on the device (dataoff 18 MiB): the 8 KiB reserve above the crash range is uninitialised but
    // a fault there misplaces (observed on 6.1, 6.12 and 7.2 by kernel-check --dax); below it, a crash.
    ['6.12', 'pmem', 'crashes', ['0-2e00000'], ['2e00000-1c000000'], 'observed'],
    ['7.2', 'pmem', 'crashes', ['0-2e00000'], ['2e00000-1c000000'], 'observed'],
  ])('64 MiB pad on %s, memmap %s: %s', (kernel, mode, outcome, crashes, misplaced, basis) => {
    const dataoff = mode === 'ram' ? 2n * M : 18n * M;
    const d = fsdax({ kernel, mode: mode as 'ram' | 'pmem', startPad: 64n * M, dataoff, dataSize: 448n * M });
    expect([d.outcome, hx(d.crashes), hx(d.misplaced), d.basis]).toEqual([outcome, crashes, misplaced, basis]);
  });

  test('64 MiB pad on 6.1: the crash range leads the message', () => {
    expect(fsdax({ startPad: 64n * M, dataSize: 448n * M }).message).toBe(
      'the first mmap fault on device bytes 0x0-0x3e00000 oopses the kernel (no initialised struct page ' +
        'behind the shifted page frame); elsewhere mmap sees data 0x4000000 bytes below read(2)',
    );
  });

  test.each(['5.10', '6.1', '6.12', '7.2'])('start_pad 0 on %s: consistent, observed', (kernel) => {
    const d = fsdax({ kernel, startPad: 0n });
    expect([d.outcome, d.shift, d.basis, d.readAt, d.mmapAt, d.misplaced, d.crashes]).toEqual([
      'consistent',
      0n,
      'observed',
      2n * M,
      2n * M,
      [],
      [],
    ]);
  });

  test('ppc64 is never observed', () => {
    expect(fsdax({ arch: 'ppc64-radix', startPad: 0n }).basis).toBe('source');
  });

  test('devdax: consistent on every kernel, nothing mounts it', () => {
    for (const kernel of ['4.19', '5.10', '6.1', '7.2']) {
      const d = fsdax({ kernel, kind: 'dax', startPad: 64n * M });
      expect([d.outcome, d.shift, d.filesystems.ext4, d.basis]).toEqual(['consistent', 0n, 'not-mountable', 'source']);
    }
  });

  test('daxIsHazard: misplaced and crashes only', () => {
    expect([undefined, fsdax({}), fsdax({ kernel: '5.10' }), fsdax({ startPad: 0n })].map(daxIsHazard)).toEqual([
      false,
      true,
      false,
      false,
    ]);
  });
});

describe('properties', () => {
  const page = (n: number): bigint => BigInt(n) * 4n * K;
  const input = fc.record({
    kernel: fc.constantFrom(...KERNELS),
    arch: fc.constantFrom(...ARCHES),
    mode: fc.constantFrom('ram' as const, 'pmem' as const),
    startPad: fc.oneof(fc.constant(0n), fc.integer({ min: 1, max: 40000 }).map(page)),
    dataoff: fc.integer({ min: 2, max: 40000 }).map(page),
    dataSize: fc.integer({ min: 0, max: 200000 }).map(page),
  });

  test('misplaced and crashes partition the device when DAX misplaces, and are empty otherwise', () => {
    fc.assert(
      fc.property(input, (p) => {
        const d = daxVerdictOf({ ...p, kind: 'pfn' });
        const all = [...d.misplaced, ...d.crashes].sort((a, b) => (a.start < b.start ? -1 : 1));
        if (d.outcome === 'consistent' || d.outcome === 'refused') return all.length === 0 && d.shift === 0n;
        let at = 0n;
        for (const r of all) {
          if (r.start !== at || r.end <= r.start) return false;
          at = r.end;
        }
        return at === p.dataSize;
      }),
    );
  });

  test('shift is start_pad on every kernel that enables DAX, and mmap finds page 0 start_pad lower', () => {
    fc.assert(
      fc.property(input, (p) => {
        const d = daxVerdictOf({ ...p, kind: 'pfn' });
        const shifted = d.outcome === 'misplaced' || d.outcome === 'crashes';
        return shifted
          ? d.shift === p.startPad && d.mmapAt === d.readAt - p.startPad
          : d.shift === 0n && d.mmapAt === d.readAt;
      }),
    );
  });

  test('start_pad 0: consistent on every kernel and architecture', () => {
    fc.assert(fc.property(input, (p) => daxVerdictOf({ ...p, kind: 'pfn', startPad: 0n }).outcome === 'consistent'));
  });

  test('5.1-5.16 refuse any start_pad; 5.17 and later never refuse', () => {
    fc.assert(
      fc.property(input, (p) => {
        if (p.startPad === 0n || p.dataSize === 0n || p.kernel === 'map') return true;
        const d = daxVerdictOf({ ...p, kind: 'pfn' });
        const gate = daxEraOf('D2', p.kernel).effect;
        if (gate === 'refuse') return d.outcome === 'refused';
        if (gate === 'enable') return d.outcome === 'misplaced' || d.outcome === 'crashes';
        return d.outcome === (p.startPad > p.dataoff ? 'refused' : 'misplaced');
      }),
    );
  });

  test('the crash range is exactly the bytes whose shifted frame lies below the mapped base', () => {
    fc.assert(
      fc.property(input, (p) => {
        const d = daxVerdictOf({ ...p, kind: 'pfn' });
        if (d.outcome !== 'crashes' || daxEraOf('D4', p.kernel === 'map' ? '7.2' : p.kernel).effect === 'crashes') {
          return true;
        }
        const below = p.startPad - p.dataoff;
        return hx(d.crashes).join() === hx([{ start: 0n, end: below < p.dataSize ? below : p.dataSize }]).join();
      }),
    );
  });
});

describe('on check verdicts', () => {
  const head = (offset: bigint, map: 'mem' | 'dev' = 'mem'): Uint8Array =>
    headWithBlock(encodePfnBlock(recipeFields({ size: G, uuid: U, offset, map })));

  test('a claimed fsdax verdict carries the DAX verdict of its geometry', () => {
    // A namespace whose base is 1 MiB off 2 MiB: start_pad 1 MiB.
    const h = headWithBlock(encodePfnBlock({ ...recipeFields({ size: G, uuid: U, meaning: 'legacy', offset: M }) }));
    const v = checkHead(h, { nsSize: G, nsBase: 0x100000000n + M, kernel: '6.1' });
    expect(v.outcome).toBe('claimed');
    expect([v.dax?.outcome, v.dax?.shift, v.dax?.mmapAt, v.dax?.readAt]).toEqual([
      'misplaced',
      M,
      (v.dataStart ?? 0n) - M,
      v.dataStart,
    ]);
  });

  test('an aligned namespace is consistent; a refused or raw one has no DAX verdict', () => {
    expect(checkHead(head(0n), { nsSize: G, kernel: '7.2' }).dax?.outcome).toBe('consistent');
    const raw = checkHead(new Uint8Array(8192), { nsSize: G, kernel: '7.2' });
    expect([raw.outcome, raw.dax]).toEqual(['raw', undefined]);
  });
});
