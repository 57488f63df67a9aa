// Differential: `infoblock write --meaning ndctl` against ndctl 76
// `write-infoblock` (facts in docs/ndctl-76.md). Same argv to both tools; the
// 8 KiB heads must be byte-identical when ndctl succeeds, and ours must fail
// (exit 2, one `infoblock: ...` line) wherever ndctl fails.
import * as fs from 'node:fs';
import fc from 'fast-check';
import { describeWithNdctl, runNdctl } from '../support/ndctl';
import { useTmpDir } from '../support/tmp';
import { run } from '../support/run';

const U1 = '11111111-2222-3333-4444-555555555555';
const P1 = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** Run both tools on the same write options (no -c/-o: caller adds them). */
async function both(opts: string[]) {
  const theirs = runNdctl(['write-infoblock', ...opts]);
  const ours = await run(['write', '--meaning', 'ndctl', ...opts]);
  return { theirs, ours };
}

function describeRun(opts: string[], r: Awaited<ReturnType<typeof both>>): string {
  return (
    `argv: ${JSON.stringify(opts)}\n` +
    `ndctl: status ${r.theirs.status}, ${r.theirs.stdout.length} bytes, stderr ${JSON.stringify(r.theirs.stderr)}\n` +
    `ours:  status ${r.ours.status}, ${r.ours.stdout.length} bytes, stderr ${JSON.stringify(r.ours.stderr)}`
  );
}

/** First differing byte offset with both values, for readable failures. */
function firstDiff(a: Buffer, b: Buffer): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `first difference at byte ${i} (0x${i.toString(16)}): ndctl ${a[i]}, ours ${b[i]}`;
  }
  return 'identical';
}

function expectSameOutcome(opts: string[], r: Awaited<ReturnType<typeof both>>): void {
  const ctx = describeRun(opts, r);
  if (r.theirs.status === 0) {
    expect({ ctx, status: r.ours.status }).toEqual({ ctx, status: 0 });
    expect({ ctx, length: r.ours.stdout.length }).toEqual({ ctx, length: 8192 });
    if (!r.ours.stdout.equals(r.theirs.stdout)) {
      throw new Error(`heads differ: ${firstDiff(r.theirs.stdout, r.ours.stdout)}\n${ctx}`);
    }
  } else {
    expectOurFailure(ctx, r.ours);
  }
}

function expectOurFailure(ctx: string, ours: { status: number; stdout: Buffer; stderr: string }): void {
  expect({ ctx, status: ours.status }).toEqual({ ctx, status: 2 });
  expect({ ctx, stdoutBytes: ours.stdout.length }).toEqual({ ctx, stdoutBytes: 0 });
  expect({ ctx, stderrShape: /^infoblock: [^\n]+\n?$/.test(ours.stderr) }).toEqual({ ctx, stderrShape: true });
}

// ---- generators ----------------------------------------------------------

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const TiB = 1n << 40n;

/** A size as text in one of the spellings ndctl accepts for that value. */
function spell(v: bigint, style: number): string {
  const units: [bigint, string][] = [
    [TiB, 'T'],
    [GiB, 'G'],
    [MiB, 'M'],
    [1024n, 'K'],
  ];
  switch (style % 4) {
    case 0:
      return v.toString();
    case 1:
      return `0x${v.toString(16)}`;
    default: {
      for (const [u, s] of units) {
        if (v !== 0n && v % u === 0n) return `${v / u}${style % 4 === 2 ? s : s.toLowerCase()}`;
      }
      return v.toString();
    }
  }
}

const sizeArb = fc.oneof(
  // any size 16 MiB .. 1 TiB, not necessarily page-aligned
  fc.bigInt({ min: 16n * MiB, max: TiB }),
  // page-aligned
  fc.bigInt({ min: 4096n, max: 256n * 1024n * 1024n }).map((n) => n * 4096n),
  // round sizes
  fc.constantFrom(16n * MiB, 64n * MiB, 1n * GiB, 3n * GiB, 100n * GiB, TiB, 4n * MiB, 2n * MiB + 8192n),
);

const alignArb = fc.oneof(
  { arbitrary: fc.integer({ min: 12, max: 30 }).map((e) => 1n << BigInt(e)), weight: 8 },
  { arbitrary: fc.constantFrom(1n << 31n, 1n << 32n, 1n << 33n), weight: 1 },
);

const offsetArb = fc.oneof(
  { arbitrary: fc.constant(0n), weight: 3 },
  { arbitrary: fc.bigInt({ min: 0n, max: TiB / 4096n }).map((n) => n * 4096n), weight: 3 }, // page-aligned
  { arbitrary: fc.bigInt({ min: 0n, max: TiB }), weight: 2 }, // misaligned
  { arbitrary: fc.constantFrom(MiB, 3n * MiB, 1n, 100n, 64n * MiB + 4096n), weight: 2 },
  { arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }), weight: 1 }, // wraps 2^64 in ndctl's arithmetic
);

const uuidArb = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
);

interface WriteParams {
  size: bigint;
  sizeStyle: number;
  mode: string | undefined;
  map: string | undefined;
  align: bigint | undefined;
  alignStyle: number;
  offset: bigint | undefined;
  offsetStyle: number;
  uuid: string;
  parent: string | undefined;
}

const paramsArb: fc.Arbitrary<WriteParams> = fc.record({
  size: sizeArb,
  sizeStyle: fc.nat(3),
  mode: fc.constantFrom(undefined, 'fsdax', 'devdax'),
  map: fc.constantFrom(undefined, 'dev', 'mem'),
  align: fc.option(alignArb, { nil: undefined }),
  alignStyle: fc.nat(3),
  offset: fc.option(offsetArb, { nil: undefined }),
  offsetStyle: fc.nat(3),
  uuid: uuidArb,
  parent: fc.option(uuidArb, { nil: undefined }),
});

function toOpts(p: WriteParams): string[] {
  const o = ['-s', spell(p.size, p.sizeStyle)];
  if (p.mode !== undefined) o.push('-m', p.mode);
  if (p.map !== undefined) o.push('-M', p.map);
  if (p.align !== undefined) o.push('-a', spell(p.align, p.alignStyle));
  if (p.offset !== undefined) o.push('-O', spell(p.offset, p.offsetStyle));
  o.push('-u', p.uuid);
  if (p.parent !== undefined) o.push('-p', p.parent);
  return o;
}

describeWithNdctl('differential: write --meaning ndctl vs ndctl write-infoblock', () => {
  test('default parameters, 64 MiB, explicit uuid', async () => {
    const opts = ['-c', '-s', '64M', '-u', U1];
    expectSameOutcome(opts, await both(opts));
  });

  test.each([
    ['fsdax dev', ['-m', 'fsdax', '-M', 'dev']],
    ['fsdax mem', ['-m', 'fsdax', '-M', 'mem']],
    ['devdax dev', ['-m', 'devdax', '-M', 'dev']],
    ['devdax mem', ['-m', 'devdax', '-M', 'mem']],
    ['1G align on 16G', ['-a', '1G', '-s', '16G']],
    ['4K align', ['-a', '4K']],
    ['4096 align, decimal', ['-a', '4096']],
    ['hex align', ['-a', '0x1000']],
    ['4G align on 64G (align field truncates to 32 bits)', ['-a', '4G', '-s', '64G']],
    ['offset 1M (start_pad and end_trunc)', ['-O', '1M']],
    ['offset 1 byte', ['-O', '1']],
    ['offset 100 bytes, mem', ['-O', '100', '-M', 'mem']],
    ['parent uuid', ['-p', P1]],
    ['upper-case uuid', ['-u', U1.toUpperCase().replace('11111111', 'ABCDEF12')]],
    ['1T', ['-s', '1T']],
    ['size 4M (smallest that fits)', ['-s', '4M']],
    ['npfns wraps: 2.5M, offset 1M, mem', ['-s', '2621440', '-O', '1M', '-M', 'mem']],
    ['mode names are case-insensitive: DevDax', ['-m', 'DevDax']],
    ['mode alias dax', ['-m', 'dax']],
    ['mode alias memory', ['-m', 'memory']],
    ['size lower-case suffix', ['-s', '64m']],
    ['size hex', ['-s', '0x4000000']],
    ['size hex with suffix', ['-s', '0x10M']],
    ['size octal (leading zero)', ['-s', '010M']],
    ['size with leading space', ['-s', ' 64M']],
    ['size with plus sign', ['-s', '+64M']],
    ['size -2 wraps to 2^64-2', ['-s', '-2']],
    ['size 2^64-2', ['-s', '18446744073709551614']],
    ['suffix multiplication wraps but is accepted', ['-s', '0x3fffffffffffffffK']],
    ['align 2^40', ['-a', String(1n << 40n), '-s', '4T']],
    ['align 2^63 on size 2^64-2', ['-a', '9223372036854775808', '-s', '18446744073709551614']],
    ['offset near 2^64', ['-O', '18446744073709551614']],
  ])('accepted by ndctl: %s', async (_name, extra) => {
    const opts = ['-c', '-s', '64M', '-u', U1, ...extra];
    // later -s wins in both tools; keep one -s to avoid depending on that
    const dedup = dedupeSize(opts);
    const r = await both(dedup);
    expect(r.theirs.status).toBe(0);
    expectSameOutcome(dedup, r);
  });

  test.each([
    ['no size with -c', ['-c', '-u', U1]],
    ['align not a power of two', ['-c', '-s', '64M', '-a', '3M']],
    ['align below 4K', ['-c', '-s', '64M', '-a', '2K']],
    ['align zero', ['-c', '-s', '64M', '-a', '0']],
    ['align unparsable', ['-c', '-s', '64M', '-a', 'xyz']],
    ['align 1G larger than 64M size', ['-c', '-s', '64M', '-a', '1G']],
    ['size too small: 8K', ['-c', '-s', '8K']],
    ['size too small: 12K', ['-c', '-s', '12K']],
    ['size too small: 2M', ['-c', '-s', '2M']],
    ['size zero', ['-c', '-s', '0']],
    ['size empty string', ['-c', '-s', '']],
    ['size octal 067 = 55 bytes', ['-c', '-s', '067']],
    ['size MiB suffix', ['-c', '-s', '64MiB']],
    ['size MB suffix', ['-c', '-s', '64MB']],
    ['size E suffix', ['-c', '-s', '16E']],
    ['size -1', ['-c', '-s', '-1']],
    ['size 2^64-1', ['-c', '-s', '18446744073709551615']],
    ['size 2^64', ['-c', '-s', '18446744073709551616']],
    ['size trailing space', ['-c', '-s', '64M ']],
    ['size double suffix', ['-c', '-s', '64MM']],
    ['size 1e6', ['-c', '-s', '1e6']],
    ['size 0x', ['-c', '-s', '0x']],
    ['size multiplication wraps to 0', ['-c', '-s', '17179869184G']],
    ['size 2^62 with align 2^63', ['-c', '-s', '4611686018427387904', '-a', '9223372036854775808']],
    ['offset unparsable', ['-c', '-s', '64M', '-O', '16E']],
    ['offset -1', ['-c', '-s', '64M', '-O', '-1']],
    ['uuid garbage', ['-c', '-s', '64M', '-u', 'bogus']],
    ['uuid without hyphens', ['-c', '-s', '64M', '-u', '11111111222233334444555555555555']],
    ['uuid in braces', ['-c', '-s', '64M', '-u', `{${U1}}`]],
    ['uuid non-hex digit', ['-c', '-s', '64M', '-u', '11111111-2222-3333-4444-55555555555G']],
    ['parent uuid garbage', ['-c', '-s', '64M', '-p', 'bogus']],
    ['mode sector', ['-c', '-s', '64M', '-m', 'sector']],
    ['mode raw', ['-c', '-s', '64M', '-m', 'raw']],
    ['mode safe', ['-c', '-s', '64M', '-m', 'safe']],
    ['mode pmem', ['-c', '-s', '64M', '-m', 'pmem']],
    ['map foo', ['-c', '-s', '64M', '-M', 'foo']],
    ['map MEM (case-sensitive)', ['-c', '-s', '64M', '-M', 'MEM']],
    ['neither -c nor -o', ['-s', '64M']],
    ['extra positional argument', ['-c', '-s', '64M', 'extra']],
  ])('rejected by ndctl, rejected by us: %s', async (_name, opts) => {
    const r = await both(opts);
    expect(r.theirs.status).not.toBe(0);
    expect(r.theirs.stdout.length).toBe(0);
    expectOurFailure(describeRun(opts, r), r.ours);
  });

  test('property: random valid-range parameters give identical 8 KiB heads (or both fail)', async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb, async (p) => {
        const opts = ['-c', ...toOpts(p)];
        expectSameOutcome(opts, await both(opts));
      }),
      { numRuns: 300, seed: 0x1b10c4 },
    );
  });

  test('property: sizes around the failure boundary (4 KiB .. 8 MiB) agree on success/failure and bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 8n * MiB }),
        fc.constantFrom('dev', 'mem'),
        fc.option(fc.bigInt({ min: 0n, max: 4n * MiB }), { nil: undefined }),
        fc.option(
          fc.integer({ min: 12, max: 23 }).map((e) => 1n << BigInt(e)),
          { nil: undefined },
        ),
        async (size, map, offset, align) => {
          const opts = ['-c', '-s', size.toString(), '-M', map, '-u', U1];
          if (offset !== undefined) opts.push('-O', offset.toString());
          if (align !== undefined) opts.push('-a', align.toString());
          expectSameOutcome(opts, await both(opts));
        },
      ),
      { numRuns: 200, seed: 0x5eed },
    );
  });

  test('property: arbitrary align values (powers of two or not) agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 1n << 31n }), async (align) => {
        const opts = ['-c', '-s', '4G', '-a', align.toString(), '-u', U1];
        expectSameOutcome(opts, await both(opts));
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  describe('-o FILE', () => {
    const tmp = useTmpDir('diff-write');

    test('new file with -s: both create the same 8 KiB file', async () => {
      const a = tmp.path('new-ndctl.img');
      const b = tmp.path('new-ours.img');
      const t = runNdctl(['write-infoblock', '-o', a, '-s', '64M', '-u', U1]);
      const o = await run(['write', '--meaning', 'ndctl', '-o', b, '-s', '64M', '-u', U1]);
      expect(t.status).toBe(0);
      expect(o.status).toBe(0);
      const ta = fs.readFileSync(a);
      const ob = fs.readFileSync(b);
      expect(ta.length).toBe(8192);
      expect(ob.length).toBe(ta.length);
      expect(firstDiff(ta, ob)).toBe('identical');
    });

    function patterned(file: string, len: number): void {
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, len);
      const pat = Buffer.alloc(3 * 8192);
      for (let i = 0; i < pat.length; i++) pat[i] = (i * 7 + 3) & 0xff;
      fs.writeSync(fd, pat, 0, pat.length, 0);
      fs.writeSync(fd, pat, 0, 4096, len - 4096);
      fs.closeSync(fd);
    }

    test.each([
      ['size from the file (no -s)', [] as string[]],
      ['explicit smaller -s (file length kept)', ['-s', '32M']],
      ['-s 0 means the file size', ['-s', '0']],
      ['devdax, mem, offset 1M', ['-m', 'devdax', '-M', 'mem', '-O', '1M']],
    ])('existing 64 MiB file, %s: identical files afterwards', async (_name, extra) => {
      const a = tmp.path(`ex-ndctl-${_name.length}.img`);
      const b = tmp.path(`ex-ours-${_name.length}.img`);
      patterned(a, 64 * 1024 * 1024);
      patterned(b, 64 * 1024 * 1024);
      const t = runNdctl(['write-infoblock', '-o', a, '-u', U1, ...extra]);
      const o = await run(['write', '--meaning', 'ndctl', '-o', b, '-u', U1, ...extra]);
      expect(t.status).toBe(0);
      expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      const ta = fs.readFileSync(a);
      const ob = fs.readFileSync(b);
      expect(ob.length).toBe(ta.length);
      expect(firstDiff(ta, ob)).toBe('identical');
    });

    test('existing empty file without -s: both fail', async () => {
      const a = tmp.path('empty-ndctl.img');
      const b = tmp.path('empty-ours.img');
      fs.writeFileSync(a, '');
      fs.writeFileSync(b, '');
      const t = runNdctl(['write-infoblock', '-o', a, '-u', U1]);
      const o = await run(['write', '--meaning', 'ndctl', '-o', b, '-u', U1]);
      expect(t.status).not.toBe(0);
      expectOurFailure(`ndctl stderr: ${t.stderr}`, o);
    });

    test('directory as output: both fail', async () => {
      const t = runNdctl(['write-infoblock', '-o', tmp.dir, '-s', '64M']);
      const o = await run(['write', '--meaning', 'ndctl', '-o', tmp.dir, '-s', '64M']);
      expect(t.status).not.toBe(0);
      expectOurFailure(`ndctl stderr: ${t.stderr}`, o);
    });
  });
});

/** Keep only the last `-s VALUE` pair (tests append an override). */
function dedupeSize(opts: string[]): string[] {
  let last = -1;
  for (let i = 0; i < opts.length - 1; i++) if (opts[i] === '-s') last = i;
  const out: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    if (opts[i] === '-s' && i !== last) {
      i++;
      continue;
    }
    out.push(opts[i] as string);
  }
  return out;
}
