// The JSON contract of `check`, `check --kernels`, `check --label-size` and
// `explain`: real outputs of the CLI over the samples, the kernel matrix's
// generated heads, every kernel, a labelled DIMM and the crashed outcome
// validate against schemas/*.schema.json; u64 values come out exact; a
// tampered document fails its schema.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePfnBlock, patchPfnBlock } from '../../src/format/pfn';
import { headWithBlock } from '../../src/format/head';
import { recipeFields } from '../../src/format/recipe';
import { KNOWN_SERIES } from '../../src/validate/versions';
import { matrixCases } from '../kernel/matrix-cases';
import { caseHead } from '../support/matrix-head';
import { json, run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('json-contract');
const SAMPLES = path.join(__dirname, '..', '..', 'samples');
const samples = fs
  .readdirSync(SAMPLES)
  .filter((n) => n.endsWith('.head'))
  .sort();
const KERNELS = [...KNOWN_SERIES, 'map'];
const M = 1n << 20n;
const G = 1n << 30n;

/** Every line of a JSON Lines stdout, parsed. */
const lines = (out: string): unknown[] =>
  out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

/** The documents of a check over `n` FILEs: one indented document for one FILE, JSON Lines for several. */
const docsOf = (out: string, n: number): unknown[] => (n === 1 ? [JSON.parse(out) as unknown] : lines(out));

/** Samples made for 0x100100000 (start_pad 1 MiB) are judged there; the others at an aligned base. */
const baseOf = (name: string): string => (/startpad|ndctl-O/.test(name) ? '0x100100000' : '0x100000000');

describe('samples/*.head', () => {
  test.each(samples)('%s: check, check --kernels all and explain follow their schemas', async (name) => {
    const file = path.join('samples', name);
    const ns = ['--ns-base', baseOf(name), '--ns-size', '1G'];
    const c = await run(['check', file, ...ns, '--json']);
    expect([0, 1]).toContain(c.code);
    const doc = json(c) as Record<string, unknown>;
    expectSchema('check', doc);
    expect([doc['file'], doc['offset'], doc['ns_base'], doc['ns_size']]).toEqual([
      file,
      '0x0',
      baseOf(name),
      '0x40000000',
    ]);
    const k = await run(['check', file, ...ns, '--kernels', 'all', '--json']);
    expectSchema('check-kernels', json(k));
    const e = await run(['explain', file, ...ns, '--json']);
    expect(e.code).toBe(0);
    expectSchema('explain', json(e));
  });

  test.each(KERNELS)('--kernel %s over every sample, at 64 MiB and 1 GiB', async (kernel) => {
    for (const size of ['64M', '1G']) {
      const files = samples.map((n) => path.join('samples', n));
      const r = await run([
        'check',
        ...files,
        '--ns-base',
        '0x100100000',
        '--ns-size',
        size,
        '--kernel',
        kernel,
        '--json',
      ]);
      const docs = lines(r.out);
      expect(docs).toHaveLength(files.length);
      docs.forEach((d, i) => {
        expectSchema('check', d);
        expect((d as { file: string }).file).toBe(files[i]);
      });
    }
  });
});

describe('the kernel matrix heads (generated cases)', () => {
  const cases = matrixCases();
  // One file per case, checked in groups of the same base and size (one JSON Lines run per group and kernel).
  const groups = new Map<string, { base: bigint; size: bigint; files: string[] }>();
  beforeAll(() => {
    for (const c of cases) {
      const file = tmp.file(`${c.id}.head`, caseHead(c));
      const key = `${c.base}:${c.size}`;
      const g = groups.get(key) ?? { base: c.base, size: c.size, files: [] };
      g.files.push(file);
      groups.set(key, g);
    }
  });

  test('there are a few hundred of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
  });

  test('check --json (three kernels a group), --kernels all --json: every document fits its schema', async () => {
    let checked = 0;
    let i = 0;
    for (const g of groups.values()) {
      const ns = ['--ns-base', `0x${g.base.toString(16)}`, '--ns-size', g.size.toString()];
      for (const kernel of [KERNELS[i % KERNELS.length], '6.1', 'map'] as string[]) {
        const r = await run(['check', ...g.files, ...ns, '--kernel', kernel, '--json']);
        const docs = docsOf(r.out, g.files.length);
        expect(docs).toHaveLength(g.files.length);
        for (const d of docs) expectSchema('check', d);
        checked += docs.length;
      }
      const k = await run(['check', ...g.files, ...ns, '--kernels', 'all', '--json']);
      for (const d of docsOf(k.out, g.files.length)) expectSchema('check-kernels', d);
      i++;
    }
    expect(checked).toBe(cases.length * 3);
  });

  test('every outcome occurs among them, crashed included', async () => {
    const seen = new Set<string>();
    for (const g of groups.values()) {
      const ns = ['--ns-base', g.base.toString(), '--ns-size', g.size.toString()];
      const r = await run(['check', ...g.files, ...ns, '--json']);
      for (const d of docsOf(r.out, g.files.length)) seen.add((d as { outcome: string }).outcome);
    }
    expect([...seen].sort()).toEqual(['claimed', 'crashed', 'raw', 'refused']);
  });

  test('explain --json on every third case', async () => {
    let n = 0;
    for (const g of groups.values()) {
      for (const file of g.files.filter((_, j) => j % 3 === 0)) {
        const r = await run([
          'explain',
          file,
          '--ns-base',
          g.base.toString(),
          '--ns-size',
          g.size.toString(),
          '--json',
        ]);
        expect(r.code).toBe(0);
        const d = json(r) as { regions: { start: string; end: string }[]; ns_size: string };
        expectSchema('explain', d);
        expect([d.regions[0]?.start, d.regions.at(-1)?.end]).toEqual(['0x0', d.ns_size]);
        n++;
      }
    }
    expect(n).toBeGreaterThan(100);
  });
});

describe('the crashed outcome', () => {
  // S1b: a negative data area in mode RAM (the rules test's case): the kernel oopses.
  const crashHead = (): Uint8Array => {
    const f = recipeFields({
      size: G,
      uuid: '11111111-2222-3333-4444-555555555555',
      meaning: 'legacy',
      offset: M,
      align: 4096n,
      map: 'mem',
    });
    return headWithBlock(patchPfnBlock(encodePfnBlock(f), { dataoff: G - M }));
  };
  test('check --json: outcome crashed, the BUG headline, schema-valid; text says CRASHES; exit 1', async () => {
    const file = tmp.file('crash.head', crashHead());
    const r = await run(['check', file, '--ns-base', '1M', '--ns-size', '1G', '--json']);
    expect(r.code).toBe(1);
    const d = json(r) as Record<string, unknown>;
    expectSchema('check', d);
    expect([d['outcome'], d['failed_rule'], d['errno'], d['message'], d['data_start']]).toEqual([
      'crashed',
      'S1b',
      null,
      'kernel crash: BUG: unable to handle page fault (pmem_do_read)',
      null,
    ]);
    const t = await run(['check', file, '--ns-base', '1M', '--ns-size', '1G']);
    expect(t.code).toBe(1);
    expect(t.out.split('\n').slice(0, 2)).toEqual([
      `${file}: CRASHES linux-6.1 as fsdax: the kernel oopses while it sets the namespace up`,
      '  kernel says: "kernel crash: BUG: unable to handle page fault (pmem_do_read)"',
    ]);
    const k = await run(['check', file, '--ns-base', '1M', '--ns-size', '1G', '--kernels', '6.1,6.12', '--json']);
    const kd = json(k) as { verdicts: Record<string, { outcome: string }> };
    expectSchema('check-kernels', kd);
    expect(kd.verdicts['linux-6.1']?.outcome).toBe('crashed');
    const e = await run(['explain', file, '--ns-base', '1M', '--ns-size', '1G', '--json']);
    expectSchema('explain', json(e));
    expect((json(e) as { outcome: string }).outcome).toBe('crashed');
  });
});

describe('check --label-size on a labelled DIMM', () => {
  const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
  const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';
  test('one check-labels document: a claimed devdax namespace and a raw one, exact u64 strings', async () => {
    const img = tmp.path('dimm.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 66 * 1024 * 1024);
    const nsArgs = ['--namespace', `uuid=${U1},size=16M,name=db`, '--namespace', `uuid=${U2},size=16M,dpa=32M`];
    expect((await run(['labels', 'write', img, '--label-size', '128K', ...nsArgs])).code).toBe(0);
    const w = await run(['write', '-c', '-s', '16M', '-m', 'devdax', '-O', '0x100000000', '-p', U1]);
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, w.stdout, 0, w.stdout.length, 0);
    fs.closeSync(fd);
    const r = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100000000', '--json']);
    expect(r.code).toBe(1);
    const d = json(r) as {
      file: string;
      dimm_base: string;
      label_size: string;
      namespaces: { uuid: string; dpa: string; size: string; verdict: { outcome: string; ns_base: string } }[];
    };
    expectSchema('check-labels', d);
    expect([d.file, d.dimm_base, d.label_size]).toEqual([img, '0x100000000', '0x20000']);
    expect(d.namespaces.map((n) => [n.uuid, n.dpa, n.size, n.verdict.outcome, n.verdict.ns_base])).toEqual([
      [U1, '0x0', '0x1000000', 'claimed', '0x100000000'],
      [U2, '0x2000000', '0x1000000', 'raw', '0x102000000'],
    ]);
    // The all-zero DIMM: no valid index, one label-less namespace.
    const zero = tmp.path('zero.img');
    fs.writeFileSync(zero, '');
    fs.truncateSync(zero, 66 * 1024 * 1024);
    const z = await run(['check', zero, img, '--label-size', '128K', '--json']);
    const docs = lines(z.out) as { fallback: boolean; namespaces: unknown[] }[];
    docs.forEach((x) => expectSchema('check-labels', x));
    expect(docs.map((x) => [x.fallback, x.namespaces.length])).toEqual([
      [true, 1],
      [false, 2],
    ]);
  });
});

describe('u64 values above 2^53 are exact', () => {
  test('--ns-base 0xffffffff00100000: ns_base, map_base and the regions print every digit', async () => {
    const f = recipeFields({
      size: G,
      uuid: '11111111-2222-3333-4444-555555555555',
      meaning: 'legacy',
      offset: 0xffffffff00100000n,
    });
    const file = tmp.file('high.head', headWithBlock(encodePfnBlock(f)));
    const ns = ['--ns-base', '0xffffffff00100000', '--ns-size', '1G'];
    const r = await run(['check', file, ...ns, '--json']);
    // 1 MiB off 2 MiB: start_pad 1 MiB, which Linux 6.1 misplaces under DAX (exit 1 unless --no-dax).
    expect(r.code).toBe(1);
    expect((await run(['check', file, ...ns, '--json', '--no-dax'])).code).toBe(0);
    const d = json(r) as Record<string, string>;
    expectSchema('check', d);
    expect(d['ns_base']).toBe('0xffffffff00100000');
    expect((d['dax'] as unknown as Record<string, string>)['shift']).toBe('0x100000');
    expect(BigInt(d['map_base'] ?? '')).toBe(0xffffffff00100000n + f.startPad);
    expect(BigInt(d['map_base'] ?? '') > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const k = json(await run(['check', file, ...ns, '--kernels', '5.10,7.2', '--json'])) as Record<string, unknown>;
    expectSchema('check-kernels', k);
    expect(k['ns_base']).toBe('0xffffffff00100000');
    const e = json(await run(['explain', file, ...ns, '--json'])) as Record<string, unknown>;
    expectSchema('explain', e);
    expect(e['ns_base']).toBe('0xffffffff00100000');
  });
});

describe('JSON Lines: several FILEs, one of them unreadable', () => {
  test('one check document per readable FILE, an error document in place of the other; exit 2', async () => {
    const a = path.join('samples', 'fsdax.head');
    const b = tmp.path('missing.img');
    const c = path.join('samples', 'ndctl-O.head');
    const r = await run(['check', a, b, c, '--ns-base', '0x100100000', '--ns-size', '1G', '--json']);
    expect(r.code).toBe(2);
    const [da, db, dc] = lines(r.out) as Record<string, unknown>[];
    expectSchema('check', da);
    expectSchema('error', db);
    expectSchema('check', dc);
    expect([da?.['file'], dc?.['file']]).toEqual([a, c]);
    expect(db).toEqual({
      schema: 'urn:nd-infoblock:schema:error',
      schema_version: 1,
      error: { code: 'io', message: `cannot open '${b}': no such file or directory; check the path`, exit_code: 2 },
    });
    expect(r.errLines).toEqual([`infoblock: cannot open '${b}': no such file or directory; check the path`]);
    expect(r.out.split('\n').filter((l) => l !== '')).toHaveLength(3);
  });
});

describe('the schemas can fail', () => {
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    doc = json(
      await run(['check', 'samples/ndctl-O.head', '--ns-base', '0x100100000', '--ns-size', '1G', '--json']),
    ) as Record<string, unknown>;
  });
  test('the untampered document is valid', () => expectSchema('check', doc));
  test.each([
    ['ns_base as a number', (d: Record<string, unknown>) => ({ ...d, ns_base: 4296015872 })],
    ['data_start in decimal digits', (d: Record<string, unknown>) => ({ ...d, data_start: '18874368' })],
    ['an unknown outcome', (d: Record<string, unknown>) => ({ ...d, outcome: 'exploded' })],
    ['an extra member', (d: Record<string, unknown>) => ({ ...d, dataStart: '0x0' })],
    ['file missing', ({ file: _f, ...d }: Record<string, unknown>) => d],
    ['another schema', (d: Record<string, unknown>) => ({ ...d, schema: 'urn:nd-infoblock:schema:explain' })],
    [
      'a hazard with a flag-shaped fix',
      (d: Record<string, unknown>) => ({
        ...d,
        hazards: [
          {
            kind: 'ndctl-offset-block',
            profile: null,
            message: 'x',
            fix: { operation: 'migrate', params: { from: 'map', to: 'legacy', force: true } },
          },
        ],
      }),
    ],
  ])('%s: rejected', (_n, tamper) => {
    expect(schemaErrors('check', tamper(doc)).length).toBeGreaterThan(0);
  });
  test('check-kernels with a verdict missing its outcome, explain with a number: rejected', async () => {
    const k = json(await run(['check', 'samples/fsdax.head', '--ns-size', '1G', '--kernels', 'all', '--json'])) as {
      verdicts: Record<string, Record<string, unknown>>;
    };
    expectSchema('check-kernels', k);
    const { outcome: _o, ...v } = k.verdicts['linux-6.1'] ?? {};
    expect(schemaErrors('check-kernels', { ...k, verdicts: { ...k.verdicts, 'linux-6.1': v } }).length).toBeGreaterThan(
      0,
    );
    const e = json(await run(['explain', 'samples/fsdax.head', '--ns-size', '1G', '--json'])) as { regions: object[] };
    expectSchema('explain', e);
    expect(schemaErrors('explain', { ...e, regions: [{ ...e.regions[0], size: 4096 }] }).length).toBeGreaterThan(0);
  });
});
