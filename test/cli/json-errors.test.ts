// The central failure path of runCli (src/cli/index.ts) under --json: for
// every command that takes --json as the JSON contract, a failure keeps its
// exit code and its one `infoblock: …` stderr line, and stdout carries one
// `error` document (schemas/error.schema.json) with the same words. Usage
// errors are code `usage`. A `--json` after `--` is an operand, not the
// option; commands without the option (write, corpus) or with ndctl's (read)
// print no error document.
import * as fs from 'node:fs';
import { json, looksLikeStack, run, type Run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('json-errors');
const p = (name: string): string => tmp.path(name);

beforeAll(async () => {
  tmp.file('head', (await run(['write', '-c', '-s', '1G'])).stdout);
  fs.writeFileSync(p('big.img'), '');
  fs.truncateSync(p('big.img'), 64 << 20);
});

interface ErrorDoc {
  schema: string;
  schema_version: number;
  error: { code: string; message: string; exit_code: number; hint?: unknown };
}

/** The run's stderr line and error document, checked against each other and the schema. */
function errorOf(r: Run): { line: string; doc: ErrorDoc } {
  expect(looksLikeStack(r.stderr)).toBe(false);
  expect(r.errLines).toHaveLength(1);
  const line = r.errLines[0] as string;
  expect(line).toMatch(/^infoblock: \S/);
  expect(r.out.endsWith('}\n')).toBe(true);
  const doc = json(r) as ErrorDoc;
  expectSchema('error', doc);
  expect(doc.error.message).toBe(line.slice('infoblock: '.length));
  expect(doc.error.exit_code).toBe(r.code);
  return { line, doc };
}

const NO_FILE = (f: string): RegExp =>
  new RegExp(`^cannot open '${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': no such file or directory; check the path$`);
const BARE_HEAD = /^'.*head' holds 8192 bytes from offset 0, less than any namespace .*; pass --ns-size <BYTES>$/;

// [name, argv (without --json), error code, message]. --json goes right after the command's words.
const withJson = (argv: string[]): string[] => {
  const at = argv[0] === 'labels' ? 2 : 1;
  return [...argv.slice(0, at), '--json', ...argv.slice(at)];
};

const FAILURES: [string, () => string[], string, () => RegExp][] = [
  ['check: missing file', () => ['check', p('nope')], 'io', () => NO_FILE(p('nope'))],
  ['check: a bare head', () => ['check', p('head')], 'invalid-argument', () => BARE_HEAD],
  [
    'check: unknown kernel',
    () => ['check', p('head'), '--ns-size', '1G', '--kernel', '9.9'],
    'invalid-argument',
    () => /^unknown kernel '9\.9' \(newer than 7\.2, the newest known\): use a kernel version/,
  ],
  ['check: missing FILE', () => ['check'], 'usage', () => /^missing required argument 'FILE'$/],
  ['check: unknown option', () => ['check', p('head'), '--bogus'], 'usage', () => /^unknown option '--bogus'$/],
  [
    'check: option without its value',
    () => ['check', p('head'), '--ns-size'],
    'usage',
    () => /^option '--ns-size <BYTES>' argument missing$/,
  ],
  [
    'check: a mistyped option',
    () => ['check', p('head'), '--kernal', '6.1'],
    'usage',
    () => /^unknown option '--kernal' \(did you mean --kernel\?\)$/,
  ],
  ['explain: missing file', () => ['explain', p('nope')], 'io', () => NO_FILE(p('nope'))],
  ['explain: a bare head', () => ['explain', p('head')], 'invalid-argument', () => BARE_HEAD],
  ['explain: missing FILE', () => ['explain'], 'usage', () => /^missing required argument 'FILE'$/],
  [
    'migrate: missing file',
    () => ['migrate', p('nope'), '--ns-base', '0x100000000', '--to', 'map'],
    'io',
    () => NO_FILE(p('nope')),
  ],
  [
    'migrate: no --ns-base',
    () => ['migrate', p('head'), '--to', 'map'],
    'invalid-argument',
    () => /^--ns-base ADDR is required \(the physical address of the namespace\)$/,
  ],
  [
    'migrate: bad --to',
    () => ['migrate', p('head'), '--ns-base', '0x100000000', '--to', 'sideways'],
    'invalid-argument',
    () => /^invalid meaning 'sideways' \(expected legacy, map\)$/,
  ],
  [
    'migrate: bad --ns-base',
    () => ['migrate', p('head'), '--ns-base', 'foo', '--to', 'map'],
    'invalid-argument',
    () => /^failed to parse namespace base 'foo': unknown suffix 'foo' \(use K, M, G or T\)$/,
  ],
  ['restore: missing file', () => ['restore', p('nope')], 'io', () => NO_FILE(p('nope'))],
  [
    'restore: no backup',
    () => ['restore', p('head')],
    'io',
    () =>
      /^cannot read backup '.*head\.infoblock-backup': no such file or directory; give the backup record migrate or recover wrote; pass --backup <FILE>$/,
  ],
  [
    'kernel-check: no image',
    () => ['kernel-check'],
    'invalid-argument',
    () => /^give at least one IMG@ADDR, or --compare MANIFEST$/,
  ],
  [
    'kernel-check: no @ADDR',
    () => ['kernel-check', p('head')],
    'bad-base',
    () => /^bad image spec '.*head': expected IMG@ADDR, e\.g\. ns\.img@0x100000000$/,
  ],
  [
    'kernel-check: a kernel it cannot boot',
    () => ['kernel-check', `${p('head')}@0x100000000`, '--kernel', '6.6'],
    'kernel-unknown',
    () => /^unknown kernel version '6\.6': use one of 5\.10, 6\.1, 6\.12, 7\.2$/,
  ],
  ['scan: missing file', () => ['scan', p('nope')], 'io', () => NO_FILE(p('nope'))],
  ['scan: missing TARGET', () => ['scan'], 'usage', () => /^missing required argument 'TARGET'$/],
  [
    'scan: bad --from',
    () => ['scan', p('big.img'), '--from', 'foo'],
    'invalid-argument',
    () => /^failed to parse scan start 'foo': unknown suffix 'foo'/,
  ],
  [
    'scan: bad --chunk',
    () => ['scan', p('big.img'), '--chunk', '0'],
    'invalid-argument',
    () => /^--chunk must be a multiple of 4096 between 8K and 1G$/,
  ],
  ['recover: missing file', () => ['recover', p('nope'), '--ns-base', '0x100000000'], 'io', () => NO_FILE(p('nope'))],
  [
    'recover: no --ns-base',
    () => ['recover', p('big.img')],
    'usage',
    () => /^required option '--ns-base <ADDR>' not specified$/,
  ],
  [
    'recover: bad --pick',
    () => ['recover', p('big.img'), '--ns-base', '0x100000000', '--pick', 'x'],
    'invalid-argument',
    () => /^invalid --pick 'x' \(a candidate number from the list, 1 or more\)$/,
  ],
  [
    'labels read: no --label-size',
    () => ['labels', 'read', p('head')],
    'invalid-argument',
    () => /^--label-size is required$/,
  ],
  [
    'labels read: missing file',
    () => ['labels', 'read', p('nope'), '--label-size', '128K'],
    'io',
    () => NO_FILE(p('nope')),
  ],
  [
    'labels read: an image smaller than its label area',
    () => ['labels', 'read', p('head'), '--label-size', '128K'],
    'invalid-argument',
    () => /^a 8192-byte image leaves no capacity beside a 131072-byte label area$/,
  ],
];

describe('a failure under --json: exit code and stderr line unchanged, one error document on stdout', () => {
  test.each(FAILURES)('%s', async (_name, argv, code, message) => {
    const plain = await run(argv());
    const r = await run(withJson(argv()));
    const { line, doc } = errorOf(r);
    expect({ exit: r.code, code: doc.error.code }).toEqual({ exit: 2, code });
    expect(doc.error.message).toMatch(message());
    // Without --json: the same code and line, and nothing on stdout.
    expect({ code: plain.code, err: plain.errLines, out: plain.out }).toEqual({ code: 2, err: [line], out: '' });
  });

  test('--json before the command words fails the same way (the option may come anywhere before --)', async () => {
    const r = await run(['check', '--json', p('nope')]);
    expect(errorOf(r).doc.error.code).toBe('io');
  });
});

describe('a refusal under --json (exit 1): the same stderr line and an error document with exit_code 1', () => {
  const migrate = (name: string, sample: string, ...rest: string[]): string[] => [
    'migrate',
    tmp.file(name, fs.readFileSync(`samples/${sample}`)),
    '--ns-size',
    '1G',
    '--to',
    'map',
    '--dry-run',
    ...rest,
  ];
  const REFUSALS: [string, () => string[], string, RegExp, unknown][] = [
    [
      'migrate: no pfn/dax block (a BTT head)',
      () => migrate('btt.head', 'btt.head', '--ns-base', '0'),
      'precondition',
      /^signature: no NVDIMM_PFN_INFO \/ NVDIMM_DAX_INFO signature at 4096: nothing to migrate here$/,
      undefined,
    ],
    [
      'migrate: an ndctl -O block whose meaning is ambiguous',
      () => migrate('o.head', 'ndctl-O.head', '--ns-base', '0x100100000'),
      'ambiguous',
      /^version 1\.4 says the legacy meaning, but only the map meaning .*; pass --from map$/,
      { pass: { from: 'map' } },
    ],
  ];

  test.each(REFUSALS)('%s', async (_name, argv, code, message, hint) => {
    const r = await run(withJson(argv()));
    const { doc } = errorOf(r);
    expect({ exit: r.code, code: doc.error.code, hint: doc.error.hint }).toEqual({ exit: 1, code, hint });
    expect(doc.error.message).toMatch(message);
  });
});

describe('no error document', () => {
  test.each([
    ['`-- --json` is an operand (a file named --json), not the option', () => ['check', '--', '--json']],
    ['`--json` after `--` with another operand', () => ['check', p('nope'), '--', '--json']],
    ["read's --json is ndctl's -j: ndctl's failure, no document", () => ['read', '--json', p('nope')]],
    ['read --json with a usage error', () => ['read', '--json', '--bogus', p('head')]],
    ['write takes no --json', () => ['write', '-c', '-s', '1G', '--json']],
    ['corpus takes no --json', () => ['corpus', '--json']],
    ['labels write takes no --json', () => ['labels', 'write', p('big.img'), '--json']],
    ['an unknown command', () => ['frobnicate', '--json']],
    ['--json alone', () => ['--json']],
  ])('%s', async (_name, argv) => {
    const r = await run(argv());
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.errLines[0]).toMatch(/^infoblock: \S/);
  });

  test('the file named --json is what check looked for', async () => {
    const r = await run(['check', '--', '--json']);
    expect(r.errLines).toEqual([`infoblock: cannot open '--json': no such file or directory; check the path`]);
  });

  test('help and version under --json exit 0 with no error document', async () => {
    for (const argv of [
      ['check', '--json', '--help'],
      ['scan', '--help', '--json'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: infoblock /);
    }
  });
});

describe('the error schema can fail', () => {
  const good = {
    schema: 'urn:nd-infoblock:schema:error',
    schema_version: 1,
    error: { code: 'io', message: 'x', exit_code: 2 },
  };
  test('a real-shaped document passes', () => {
    expect(schemaErrors('error', good)).toEqual([]);
  });
  test.each([
    ['exit code 0 (success is never an error)', { ...good, error: { ...good.error, exit_code: 0 } }],
    ['no message', { ...good, error: { code: 'io', exit_code: 2 } }],
    ['an empty code', { ...good, error: { ...good.error, code: '' } }],
    ['camelCase exitCode', { ...good, error: { code: 'io', message: 'x', exitCode: 2 } }],
    ['an extra member', { ...good, stack: 'at x' }],
    ['another schema id', { ...good, schema: 'urn:nd-infoblock:schema:check' }],
    ['version 2', { ...good, schema_version: 2 }],
    ['a hint with an unknown member', { ...good, error: { ...good.error, hint: { flags: '--x' } } }],
  ])('%s is rejected', (_name, doc) => {
    expect(schemaErrors('error', doc)).not.toEqual([]);
  });
});
