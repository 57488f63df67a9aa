// Item 11 of issue 18: an address plus a size that passes 2^64 names bytes
// that do not exist. Every command refuses it (exit 2, one line) before any
// output, the library throws a typed InvalidArgumentError, and no schema
// accepts a u64 string of more than 16 hex digits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkBlock,
  decodePfnBlock,
  expectSpan,
  InvalidArgumentError,
  migrate,
  planRecovery,
  SCHEMAS,
  type SchemaName,
} from '../../src/index';
import { run, json } from '../support/run';
import { thrownBy } from '../support/errors';
import { expectSchema, schemaErrors, SCHEMA_DIR } from '../support/schema';
import { legacyBlock } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';
import { headWithBlock } from '../../src/format/head';

const tmp = useTmpDir('u64-span');
const GIB = 1n << 30n;
const PAST = '0xfffffffffff00000'; // + 1 GiB = 0x1000000003ff00000
const EXACT = '0xffffffffc0000000'; // + 1 GiB = 2^64 exactly: the last byte is 2^64 - 1
let img: string;

beforeAll(() => {
  img = tmp.path('ns.img');
  fs.writeFileSync(img, headWithBlock(legacyBlock(GIB, 0x100000000n)));
  fs.truncateSync(img, Number(GIB));
});

// recover said it in its own words before (test/recover/bad-input.test.ts): the same refusal.
const LINE =
  /^infoblock: (the (namespace|target) at 0xfffffffffff00000 of 0x40000000 bytes would end at 0x1000000003ff00000, past the 64-bit address space \(2\^64\): no such address exists|a namespace of 1073741824 bytes at 0xfffffffffff00000 runs past the 64-bit physical address space)$/;

test.each([
  ['check', (): string[] => ['check', img, '--ns-base', PAST]],
  ['check --kernels all', (): string[] => ['check', img, '--ns-base', PAST, '--kernels', 'all']],
  ['check --json', (): string[] => ['check', img, '--ns-base', PAST, '--json']],
  ['explain', (): string[] => ['explain', img, '--ns-base', PAST]],
  ['migrate --dry-run', (): string[] => ['migrate', img, '--ns-base', PAST, '--to', 'map', '--dry-run']],
  ['recover', (): string[] => ['recover', img, '--ns-base', PAST]],
  ['scan', (): string[] => ['scan', img, '--ns-base', PAST]],
])('%s --ns-base 0xfffffffffff00000 on 1 GiB: exit 2, one line, no verdict printed', async (name, argv) => {
  const r = await run(argv());
  expect(r.code).toBe(2);
  expect(r.errLines).toEqual([expect.stringMatching(LINE)]);
  if (name.endsWith('--json')) expect(json(r)).toMatchObject({ error: { code: 'invalid-argument', exit_code: 2 } });
  else expect(r.out).toBe('');
});

test('ending exactly at 2^64 is a real range: claimed, map_base below 2^64, and the document validates', async () => {
  const r = await run(['check', img, '--ns-base', EXACT, '--json']);
  expect(r.code).toBe(0);
  const doc = json(r) as { map_base: string };
  expect(doc.map_base).toBe(EXACT);
  expectSchema('check', doc);
});

describe('the library: a typed InvalidArgumentError', () => {
  const block = decodePfnBlock(legacyBlock(GIB, 0x100000000n));
  test.each([
    ['checkBlock', (): unknown => checkBlock(block, { nsBase: BigInt(PAST), nsSize: GIB })],
    ['migrate', (): unknown => migrate(legacyBlock(), { to: 'map', nsBase: BigInt(PAST), nsSize: GIB })],
    [
      'planRecovery',
      (): unknown => planRecovery(new Uint8Array(8192), [], { nsBase: BigInt(PAST), nsSize: GIB, kernel: 'linux-6.1' }),
    ],
    ['expectSpan (2^64 - 1 + 2)', (): unknown => expectSpan((1n << 64n) - 1n, 2n)],
  ])('%s', (_n, f) => {
    const e = thrownBy(f);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).code).toBe('invalid-argument');
  });

  test('the end at exactly 2^64 passes', () => {
    expect(() => expectSpan((1n << 64n) - GIB, GIB)).not.toThrow();
  });
});

describe('schemas: u64 strings are at most 16 hex digits', () => {
  test('every pattern over 0x… hex digits in every schema file is bounded to {1,16}', () => {
    const files = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    expect(files.length).toBe(Object.keys(SCHEMAS).length);
    let patterns = 0;
    for (const f of files) {
      const text = fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8');
      for (const m of text.matchAll(/0x\[0-9a-f\]([^"\\]*)/g)) {
        patterns++;
        expect(`${f}: ${m[1]?.slice(0, 6)}`).toBe(`${f}: {1,16}`);
      }
    }
    expect(patterns).toBeGreaterThanOrEqual(10);
  });

  test('a real check document with a 17-digit map_base is rejected; 16 digits pass', async () => {
    const doc = json(await run(['check', img, '--ns-base', EXACT, '--json'])) as Record<string, unknown>;
    const name: SchemaName = 'check';
    expect(schemaErrors(name, doc)).toEqual([]);
    doc['map_base'] = '0x10000000000000000';
    expect(schemaErrors(name, doc).join('\n')).toMatch(/map_base.*must match pattern/);
  });
});
