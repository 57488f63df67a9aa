// The namespace base (issue 22, items 1, 2 and 7): without --ns-base the output says 0 is assumed; a
// block whose start_pad rules 0 out gets the bases it fits and a request for --ns-base instead of a
// rule's blame; --kernels keeps the block's hazards and their repair; an unaligned base is refused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { baseFits, basesFittingBlock } from '../../src/validate/geometry';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const U = '11111111-2222-3333-4444-555555555555';
const tmp = useTmpDir('ns-base');
let legacy: string;
let ndctlO: string;

beforeAll(async () => {
  for (const [name, extra] of [
    ['legacy.img', []],
    ['ndctl-O.img', ['--meaning', 'ndctl']],
  ] as const) {
    const f = tmp.path(name);
    fs.writeFileSync(f, '');
    fs.truncateSync(f, 1 << 30);
    expect((await run(['write', '-o', f, '-u', U, '-O', '0x100100000', '--allow-hazard', ...extra])).code).toBe(0);
  }
  legacy = tmp.path('legacy.img');
  ndctlO = tmp.path('ndctl-O.img');
});

/** The 8 KiB head of a file (never the whole 1 GiB image). */
function headOf(file: string): Buffer {
  const b = Buffer.alloc(8192);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, 8192, 0);
  } finally {
    fs.closeSync(fd);
  }
  return b;
}

const FIT_LINES = [
  "  start_pad 0x100000: the kernel pads a namespace's base up to a 0x200000 boundary, so this block was " +
    'written for a base 0x100000 past one',
  '  bases that fit: 0x100000 + k * 0x200000 (e.g. 0x100100000); give --ns-base ADDR',
  '  the base: QEMU -device nvdimm addr=, /sys/bus/nd/devices/namespaceX.Y/resource, ndctl list -N, ' +
    '/proc/iomem (README: "Finding the namespace base")',
];

describe('no --ns-base on a block written for 0x100100000', () => {
  test.each([
    ['legacy (write -O)', () => legacy],
    ['ndctl -O', () => ndctlO],
  ])('%s: check asks for the base, names the bases that fit, blames no rule', async (_what, file) => {
    const f = file();
    const r = await run(['check', f]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      [
        `${f}: NEEDS --ns-base: the block does not fit the assumed namespace base 0`,
        ...FIT_LINES,
        '  namespace: 1 GiB at 0x0 (assumed: an aligned base; give --ns-base for the real address)',
        '  kernel: Linux 6.1, observed on a booted kernel (x86-64)',
        '',
      ].join('\n'),
    );
    expect(r.out).not.toMatch(/rule R1\d|HAZARD/);
  });

  test('--json says the base was assumed and which bases fit', async () => {
    const doc = json(await run(['check', legacy, '--json'])) as Record<string, unknown>;
    expectSchema('check', doc);
    expect(doc).toMatchObject({
      ns_base: '0x0',
      ns_base_assumed: true,
      bases_fitting: { modulus: '0x200000', residue: '0x100000', example: '0x100100000' },
      hazards: [],
    });
    const k = json(await run(['check', legacy, '--kernels', 'all', '--json'])) as Record<string, unknown>;
    expectSchema('check-kernels', k);
    expect(k).toMatchObject({ ns_base_assumed: true, bases_fitting: { residue: '0x100000' }, block_hazards: [] });
    const e = json(await run(['explain', legacy, '--json'])) as Record<string, unknown>;
    expectSchema('explain', e);
    expect(e).toMatchObject({ ns_base_assumed: true, bases_fitting: { example: '0x100100000' } });
  });

  test('--kernels prints the same request above the table', async () => {
    const r = await run(['check', legacy, '--kernels', '6.1,7.2']);
    expect(r.out.split('\n').slice(1, 4)).toEqual(FIT_LINES);
  });

  test('with the base given, the legacy block is claimed and the documents say it was not assumed', async () => {
    const r = await run(['check', legacy, '--ns-base', '0x100100000', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ns_base_assumed: false, bases_fitting: null, outcome: 'claimed' });
  });

  test('a block with start_pad 0 fits base 0: the ordinary verdict, assumption stated', async () => {
    const f = tmp.path('aligned.img');
    fs.writeFileSync(f, '');
    fs.truncateSync(f, 1 << 30);
    expect((await run(['write', '-o', f, '-u', U])).code).toBe(0);
    const r = await run(['check', f, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ns_base_assumed: true, bases_fitting: null, outcome: 'claimed' });
  });
});

describe('check --kernels keeps the block hazards and their repair (item 2)', () => {
  test('text: the HAZARD line and the repair command, as without --kernels', async () => {
    const one = await run(['check', ndctlO, '--ns-base', '0x100100000']);
    const all = await run(['check', ndctlO, '--ns-base', '0x100100000', '--kernels', 'all']);
    expect(all.code).toBe(1);
    const hazard = one.out.split('\n').filter((l) => /^ {2}(HAZARD|repair)/.test(l));
    expect(hazard).toEqual([
      '  HAZARD (ndctl-offset-block): this looks like an ndctl -O block (dataoff measured from the raw base); ' +
        'Linux refuses it; migrating the block from the map meaning to the legacy meaning repairs it',
      `  repair: infoblock migrate ${ndctlO} --ns-base 0x100100000 --from map --to legacy`,
    ]);
    expect(all.out.split('\n').filter((l) => /^ {2}(HAZARD|repair)/.test(l))).toEqual(hazard);
    expect(all.out.split('\n')[0]).toBe(`${ndctlO}: 0 upgrade hazard(s), 1 hazard(s) in the block`);
  });

  test('JSON: block_hazards with its fix, and every verdict keeps its own', async () => {
    const doc = json(await run(['check', ndctlO, '--ns-base', '0x100100000', '--kernels', 'all', '--json'])) as {
      block_hazards: unknown[];
      verdicts: Record<string, { hazards: unknown[] }>;
    };
    expectSchema('check-kernels', doc);
    expect(doc.block_hazards).toEqual([
      expect.objectContaining({
        kind: 'ndctl-offset-block',
        profile: null,
        fix: { operation: 'migrate', params: { from: 'map', to: 'legacy' } },
      }),
    ]);
    for (const v of Object.values(doc.verdicts)) expect(v.hazards).toHaveLength(1);
  });
});

describe('an unaligned --ns-base is refused before any I/O (item 7)', () => {
  const LINE =
    "infoblock: namespace base '0x100100001' is not a multiple of 4 KiB: a namespace starts on a page boundary " +
    '(nearest: 0x100100000)';
  test.each([
    ['check', ['check', 'F', '--ns-base', '0x100100001']],
    ['explain', ['explain', 'F', '--ns-base', '0x100100001']],
    ['migrate', ['migrate', 'F', '--ns-base', '0x100100001', '--to', 'map']],
    ['recover', ['recover', 'F', '--ns-base', '0x100100001']],
    ['scan', ['scan', 'F', '--ns-base', '0x100100001']],
  ])('%s', async (_c, argv) => {
    const before = headOf(legacy);
    const r = await run(argv.map((a) => (a === 'F' ? legacy : a)));
    expect([r.code, r.errLines]).toEqual([2, [LINE]]);
    expect(headOf(legacy)).toEqual(before);
  });
});

describe('basesFittingBlock', () => {
  test('the base ndctl -O 0x100100000 was written for fits, 0 does not', () => {
    expect(basesFittingBlock(0x100000n)).toEqual({ modulus: 0x200000n, residue: 0x100000n, example: 0x100100000n });
    expect(basesFittingBlock(0n)).toBeNull();
    expect([baseFits(0x100000n, 0x100100000n), baseFits(0x100000n, 0n), baseFits(0n, 0n)]).toEqual([true, false, true]);
  });

  test('property: the start_pad the kernel computes for a page-aligned base always fits that base', () => {
    const M2 = 0x200000n;
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), (page) => {
        const base = page * 4096n;
        const startPad = (M2 - (base % M2)) % M2; // ALIGN(base, 2 MiB) - base
        const fit = basesFittingBlock(startPad);
        expect(baseFits(startPad, base)).toBe(true);
        expect(fit === null ? 0n : fit.residue).toBe(base % M2);
        if (fit !== null) expect(baseFits(startPad, fit.example)).toBe(true);
      }),
    );
  });
});

test('the README names each source of the base', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Finding the namespace base'));
  for (const source of ['nvdimm,', 'addr=', '/sys/bus/nd/devices/namespace', 'ndctl list -N', '/proc/iomem'])
    expect(section.slice(0, 3000)).toContain(source);
});
