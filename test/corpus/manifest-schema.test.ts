// The corpus manifest's JSON contract: every row of real manifests (several
// seeds, kernels and formats; hundreds of rows) is a corpus-manifest document
// with u64 values as exact "0x…" strings, the library's default writer gives
// the CLI's bytes, tampered rows fail the schema, and the public entry points
// take bigints only.
import * as fs from 'node:fs';
import { CorpusGenerator, generateCorpus } from '../../src/corpus/generate';
import { manifestRow, writeCorpus } from '../../src/corpus/write-corpus';
import { InvalidArgumentError } from '../../src/format/errors';
import { headWithBlock } from '../../src/format/head';
import { jsonText } from '../../src/format/json';
import { checkHead } from '../../src/validate/check';
import { run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import { thrownBy } from '../support/errors';

const tmp = useTmpDir('manifest-schema');

function rowsOf(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const CASES: [string, string[]][] = [
  ['seed 1, linux-6.1, heads', ['--seed', '1', '--count', '300']],
  [
    'seed 0xffffffffffffffff, linux-latest, blocks',
    ['--seed', '0xffffffffffffffff', '--kernel', 'linux-latest', '--count', '200', '--format', 'block'],
  ],
  [
    'seed 7, map, images of 64M',
    ['--seed', '7', '--kernel', 'map', '--count', '150', '--format', 'image', '--ns-size', '64M'],
  ],
  ['seed 99, 5.10, heads', ['--seed', '99', '--kernel', '5.10', '--count', '150']],
  [
    'seed 3, linux-4.x, images',
    ['--seed', '3', '--kernel', 'linux-4.x', '--count', '100', '--format', 'image', '--ns-size', '16M'],
  ],
];

describe('every row of real manifests follows schemas/corpus-manifest.schema.json', () => {
  const all: Record<string, unknown>[] = [];
  test.each(CASES)('%s', async (name, args) => {
    const out = tmp.path(name.replace(/\W+/g, '-'));
    const r = await run(['corpus', '--out', out, ...args]);
    expect(r.code).toBe(0);
    const rows = rowsOf(`${out}/manifest.jsonl`);
    expect(rows.length).toBe(Number(args[args.indexOf('--count') + 1]));
    for (const row of rows) expectSchema('corpus-manifest', row);
    all.push(...rows);
  });
  test('they cover every outcome and carry exact hex strings for every u64', () => {
    expect(all.length).toBe(900);
    expect(new Set(all.map((r) => r['outcome']))).toEqual(new Set(['claimed', 'raw', 'refused', 'crashed']));
    for (const r of all) {
      expect(r['ns_base']).toMatch(/^0x[0-9a-f]+$/);
      if (r['outcome'] === 'claimed') expect(r['data_size']).toMatch(/^0x[0-9a-f]+$/);
    }
  });
  test('--manifest PATH writes the same rows elsewhere', async () => {
    const out = tmp.path('elsewhere');
    const m = tmp.path('elsewhere.jsonl');
    expect((await run(['corpus', '--out', out, '--count', '50', '--manifest', m])).code).toBe(0);
    const rows = rowsOf(m);
    expect(rows).toHaveLength(50);
    for (const row of rows) expectSchema('corpus-manifest', row);
  });
});

describe('the schema can fail', () => {
  let good: Record<string, unknown>;
  beforeAll(() => {
    const g = new CorpusGenerator({ seed: 5n });
    const input = g.input(0);
    const v = checkHead(headWithBlock(input.block), { nsBase: input.nsBase, nsSize: input.nsSize });
    good = JSON.parse(jsonText('corpus-manifest', manifestRow(input, 'aaaaaaaaaaaaaaaa.head', v, 'head'), 0)) as Record<
      string,
      unknown
    >;
  });
  test('the untampered row passes', () => {
    expect(good['schema_version']).toBe(3);
    expectSchema('corpus-manifest', good);
  });
  test.each<[string, (r: Record<string, unknown>) => void]>([
    ['ns_base as a number (the old writer)', (r) => void (r['ns_base'] = 4294967296)],
    ['ns_base as bare digits', (r) => void (r['ns_base'] = '4294967296')],
    ['camelCase key', (r) => void ((r['nsSize'] = r['ns_size']), delete r['ns_size'])],
    ['unknown outcome', (r) => void (r['outcome'] = 'maybe')],
    ['extra member', (r) => void (r['extra'] = 1)],
    ['wrong schema', (r) => void (r['schema'] = 'urn:nd-infoblock:schema:check')],
    ['schema_version 1 (the version before per-kernel dax)', (r) => void (r['schema_version'] = 1)],
    ['schema_version 2 (the version before only, allow_hazard and hazard)', (r) => void (r['schema_version'] = 2)],
    ['schema_version 4', (r) => void (r['schema_version'] = 4)],
    ['schema_version as a string', (r) => void (r['schema_version'] = '3')],
    ['missing hazard', (r) => void delete r['hazard']],
    ['unknown hazard label', (r) => void (r['hazard'] = 'maybe')],
    ['empty only list', (r) => void (r['only'] = [])],
    ['missing data_size', (r) => void delete r['data_size']],
    ['upper-case hex', (r) => void (r['ns_size'] = '0xABC')],
  ])('%s is rejected', (_name, tamper) => {
    const bad = structuredClone(good);
    tamper(bad);
    expect(schemaErrors('corpus-manifest', bad)).not.toEqual([]);
  });
});

describe('the library writes the CLI bytes', () => {
  test('writeCorpus writes the same manifest as the command', async () => {
    const a = tmp.path('lib');
    writeCorpus({ dir: a, count: 120, seed: 8n });
    const b = tmp.path('cli');
    expect((await run(['corpus', '--out', b, '--count', '120', '--seed', '8'])).code).toBe(0);
    expect(fs.readFileSync(`${a}/manifest.jsonl`, 'utf8')).toBe(fs.readFileSync(`${b}/manifest.jsonl`, 'utf8'));
  });
});

describe('public entry points take bigints only', () => {
  test.each<[string, () => unknown, string]>([
    ['generateCorpus seed', () => generateCorpus({ seed: 1 as unknown as bigint, count: 1 }), 'seed'],
    [
      'generateCorpus nsSize',
      () => generateCorpus({ seed: 1n, nsSize: 67108864 as unknown as bigint, count: 1 }),
      'nsSize',
    ],
    ['new CorpusGenerator seed', () => new CorpusGenerator({ seed: 2 as unknown as bigint }), 'seed'],
    ['CorpusGenerator negative seed', () => new CorpusGenerator({ seed: -1n }), 'seed'],
    [
      'writeCorpus nsSize',
      () => writeCorpus({ dir: tmp.path('never'), count: 1, seed: 1n, nsSize: 1 as unknown as bigint }),
      'nsSize',
    ],
    [
      'writeCorpus seed',
      () => writeCorpus({ dir: tmp.path('never'), count: 1, seed: (2 ** 64) as unknown as bigint }),
      'seed',
    ],
  ])('%s', (_name, call, field) => {
    const err = thrownBy(() => call());
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
    expect(fs.existsSync(tmp.path('never'))).toBe(false);
  });
});
