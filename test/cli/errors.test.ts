// Every bad input: exit 2, exactly one `infoblock: ...` line on stderr, no
// stack trace, nothing on stdout. (read also closes with ndctl's
// "read N infoblocks" summary line, which is allowed after the error line.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { looksLikeStack, run } from '../support/run';

let dir: string;
const p = (name: string): string => path.join(dir, name);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-cli-err-'));
  fs.mkdirSync(p('adir'));
  fs.writeFileSync(p('empty'), Buffer.alloc(0));
  fs.writeFileSync(p('4k'), Buffer.alloc(4096));
  fs.writeFileSync(p('8191'), Buffer.alloc(8191));
  fs.writeFileSync(p('8k'), Buffer.alloc(8192));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SUMMARY = /^read \d+ infoblocks?$/;

async function expectBadInput(argv: string[], stdin?: Buffer): Promise<string> {
  const r = await run(argv, stdin);
  expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
  expect(looksLikeStack(r.stderr)).toBe(false);
  const errorLines = r.errLines.filter((l) => !SUMMARY.test(l));
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^infoblock: \S/);
  expect(r.errLines[0]).toBe(errorLines[0]); // the error comes first
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stdout.length).toBe(0);
  return errorLines[0] as string;
}

const U = '11111111-2222-3333-4444-555555555555';

describe('read: bad inputs', () => {
  test.each([
    ['missing file', () => ['read', p('nope')], /no such file/],
    ['missing file, -j', () => ['read', '-j', p('nope')], /no such file/],
    ['directory', () => ['read', p('adir')], /directory/],
    ['empty file', () => ['read', '-j', p('empty')], /short|8192/],
    ['4 KiB file', () => ['read', p('4k')], /short|8192/],
    ['8191-byte file', () => ['read', '-j', p('8191')], /short|8192/],
    ['--offset past the end', () => ['read', '--offset', '1', p('8k')], /short|8192/],
    ['--offset foo', () => ['read', '--offset', 'foo', p('8k')], /offset/],
    ['--offset 16E', () => ['read', '--offset', '16E', p('8k')], /offset/],
    ['--offset 0x10000000000000000', () => ['read', '--offset', '0x10000000000000000', p('8k')], /offset/],
    ['a good file then a missing one', () => ['read', '-j', p('8k'), p('nope')], /no such file/],
    ['unknown option', () => ['read', '--bogus', p('8k')], /bogus/],
    ['unknown short option', () => ['read', '-z', p('8k')], /-z/],
    ['--offset without a value', () => ['read', p('8k'), '--offset'], /offset/],
  ])('%s', async (_name, argv, message) => {
    expect(await expectBadInput(argv())).toMatch(message);
  });

  test.each([0, 100, 8191])('stdin of %d bytes', async (n) => {
    expect(await expectBadInput(['read', '-j'], Buffer.alloc(n))).toMatch(/short|8192/);
  });

  test('stdin long enough, but not at --offset', async () => {
    await expectBadInput(['read', '--offset', '4096'], Buffer.alloc(8192));
  });
});

describe('write: bad inputs', () => {
  test.each([
    ['no -o and no -c', () => ['write', '-s', '1G']],
    ['nothing at all', () => ['write']],
    ['-c without -s', () => ['write', '-c']],
    ['-c with -s foo', () => ['write', '-c', '-s', 'foo']],
    ['-s 1k (no room)', () => ['write', '-c', '-s', '1k']],
    ['-s 2M (no room for data)', () => ['write', '-c', '-s', '2M']],
    ['-s 64MiB', () => ['write', '-c', '-s', '64MiB']],
    ['-s 1.5G', () => ['write', '-c', '-s', '1.5G']],
    ['-s -1', () => ['write', '-c', '-s', '-1']],
    ['-s 16E', () => ['write', '-c', '-s', '16E']],
    ['-s 16777216T (2^64)', () => ['write', '-c', '-s', '16777216T']],
    ['-s 0x10000000000000000', () => ['write', '-c', '-s', '0x10000000000000000']],
    ['-a 3M', () => ['write', '-c', '-s', '1G', '-a', '3M']],
    ['-a 1k', () => ['write', '-c', '-s', '1G', '-a', '1k']],
    ['-a foo', () => ['write', '-c', '-s', '1G', '-a', 'foo']],
    ['-a 0', () => ['write', '-c', '-s', '1G', '-a', '0']],
    ['-u foo', () => ['write', '-c', '-s', '1G', '-u', 'foo']],
    ['-u 3M', () => ['write', '-c', '-s', '1G', '-u', '3M']],
    ['-u without hyphens', () => ['write', '-c', '-s', '1G', '-u', '11111111222233334444555555555555']],
    ['-p foo', () => ['write', '-c', '-s', '1G', '-u', U, '-p', 'foo']],
    ['-O foo', () => ['write', '-c', '-s', '1G', '-O', 'foo']],
    ['-O 16E', () => ['write', '-c', '-s', '1G', '-O', '16E']],
    ['-O 0x10000000000000000', () => ['write', '-c', '-s', '1G', '-O', '0x10000000000000000']],
    ['-m sector', () => ['write', '-c', '-s', '1G', '-m', 'sector']],
    ['-m foo', () => ['write', '-c', '-s', '1G', '-m', 'foo']],
    ['-M foo', () => ['write', '-c', '-s', '1G', '-M', 'foo']],
    ['--meaning foo', () => ['write', '-c', '-s', '1G', '--meaning', 'foo']],
    ['unknown option', () => ['write', '-c', '-s', '1G', '--bogus']],
    ['stray argument', () => ['write', '-c', '-s', '1G', 'extra']],
    ['-o a directory', () => ['write', '-o', p('adir')]],
    ['-o a directory with -s', () => ['write', '-o', p('adir'), '-s', '1G']],
    ['-o a missing file without -s', () => ['write', '-o', p('not-there')]],
    ['-o in a missing directory', () => ['write', '-o', p('no/such/dir/x'), '-s', '1G']],
    ['-o an empty file (no size to take)', () => ['write', '-o', p('empty')]],
  ])('%s', async (_name, argv) => {
    await expectBadInput(argv());
  });

  test('a failed write leaves no file behind when it had to create one', async () => {
    await expectBadInput(['write', '-o', p('created-by-failure'), '-s', '1G', '-a', '3M']);
    expect(fs.existsSync(p('created-by-failure'))).toBe(false);
  });
});

describe('top level', () => {
  test.each([
    ['unknown command', ['frobnicate']],
    ['unknown command with args', ['frobnicate', '-j', 'x']],
    ['unknown option', ['--bogus']],
  ])('%s', async (_name, argv) => {
    await expectBadInput(argv);
  });
});

describe('help and version exit 0', () => {
  // Regression: `read --help` once exited 3 with "infoblock: internal error:
  // Do not know how to serialize a BigInt" (a 0n option default that
  // commander's help printed with JSON.stringify; fixed in 1db4a6a).
  test.each([
    [['--help']],
    [['-h']],
    [['help']],
    [['read', '--help']],
    [['read', '-h']],
    [['help', 'read']],
    [['write', '--help']],
    [['write', '-h']],
    [['help', 'write']],
  ])('%j prints usage', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: infoblock/m);
    expect(r.stderr).toBe('');
  });

  test('write --help names the write options', async () => {
    const r = await run(['write', '--help']);
    for (const opt of [
      '--output',
      '--stdout',
      '--size',
      '--mode',
      '--map',
      '--align',
      '--uuid',
      '--parent-uuid',
      '--offset',
      '--meaning',
    ])
      expect(r.out).toContain(opt);
  });

  test('read --help names the read options', async () => {
    const r = await run(['read', '--help']);
    for (const opt of ['--json', '--human', '--verify', '--offset']) expect(r.out).toContain(opt);
  });

  test.each([[['--version']], [['-V']]])('%j', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
