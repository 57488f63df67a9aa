// Every bad input: exit 2, exactly one `infoblock: ...` line on stderr (the
// specific sentence for that input), no stack trace, nothing on stdout. (read
// also closes with ndctl's "read N infoblocks" summary line, which is allowed
// after the error line.) read and write print no --json error document: read's
// --json is ndctl's -j, and write takes none.
import * as fs from 'node:fs';
import { looksLikeStack, run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('cli-err');
const p = (name: string): string => tmp.path(name);

beforeAll(() => {
  fs.mkdirSync(p('adir'));
  tmp.file('empty', Buffer.alloc(0));
  tmp.file('4k', Buffer.alloc(4096));
  tmp.file('8191', Buffer.alloc(8191));
  tmp.file('8k', Buffer.alloc(8192));
});

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

const SHORT = (f: string, size: number, at = 0): string =>
  `'${f}' is too short: it is ${size} bytes, the 8192 bytes at offset ${at} need ${at + 8192}`;
const NO_FILE = (f: string): string => `cannot open '${f}': no such file or directory; check the path`;
const SUFFIX = (what: string, v: string, suffix: string): string =>
  `failed to parse ${what} '${v}': unknown suffix '${suffix}' (use K, M, G or T)`;
const TOO_BIG = (what: string, v: string): string => `failed to parse ${what} '${v}': does not fit in 64 bits`;

// Each row: the argv and the exact sentence after `infoblock: `.
describe('read: bad inputs', () => {
  test.each([
    ['missing file', () => ['read', p('nope')], () => NO_FILE(p('nope'))],
    ['missing file, -j', () => ['read', '-j', p('nope')], () => NO_FILE(p('nope'))],
    [
      'missing file, --json (ndctl -j: no error document)',
      () => ['read', '--json', p('nope')],
      () => NO_FILE(p('nope')),
    ],
    [
      'directory',
      () => ['read', p('adir')],
      () => `'${p('adir')}' is a directory, not a regular file or block device; give an image file or a block device`,
    ],
    [
      'empty file',
      () => ['read', '-j', p('empty')],
      () => `'${p('empty')}' is too short: offset 0 is at or past its end (0 bytes)`,
    ],
    ['4 KiB file', () => ['read', p('4k')], () => SHORT(p('4k'), 4096)],
    ['8191-byte file', () => ['read', '-j', p('8191')], () => SHORT(p('8191'), 8191)],
    ['--offset past the end', () => ['read', '--offset', '1', p('8k')], () => SHORT(p('8k'), 8192, 1)],
    ['--offset foo', () => ['read', '--offset', 'foo', p('8k')], () => SUFFIX('offset', 'foo', 'foo')],
    ['--offset 16E', () => ['read', '--offset', '16E', p('8k')], () => SUFFIX('offset', '16E', 'E')],
    [
      '--offset 0x10000000000000000',
      () => ['read', '--offset', '0x10000000000000000', p('8k')],
      () => TOO_BIG('offset', '0x10000000000000000'),
    ],
    ['a good file then a missing one', () => ['read', '-j', p('8k'), p('nope')], () => NO_FILE(p('nope'))],
    ['unknown option', () => ['read', '--bogus', p('8k')], () => "unknown option '--bogus'"],
    ['unknown short option', () => ['read', '-z', p('8k')], () => "unknown option '-z'"],
    [
      '--offset without a value',
      () => ['read', p('8k'), '--offset'],
      () => "option '--offset <BYTES>' argument missing",
    ],
  ])('%s', async (_name, argv, message) => {
    expect(await expectBadInput(argv())).toBe(`infoblock: ${message()}`);
  });

  test.each([0, 100, 8191])('stdin of %d bytes', async (n) => {
    expect(await expectBadInput(['read', '-j'], Buffer.alloc(n))).toBe(
      `infoblock: standard input is too short: need 8192 bytes at offset 0, got ${n}`,
    );
  });

  test('stdin long enough, but not at --offset', async () => {
    expect(await expectBadInput(['read', '--offset', '4096'], Buffer.alloc(8192))).toBe(
      'infoblock: standard input is too short: need 8192 bytes at offset 4096, got 4096',
    );
  });
});

const SIZE = 'namespace size';
const ALIGN = (n: number): string => `align must be a power-of-2 greater than 4096 (got ${n})`;

describe('write: bad inputs', () => {
  test.each([
    ['no -o and no -c', () => ['write', '-s', '1G'], () => 'specify --output FILE or --stdout'],
    ['nothing at all', () => ['write'], () => 'specify --output FILE or --stdout'],
    ['-c without -s', () => ['write', '-c'], () => '--size required with --stdout'],
    ['-c with -s foo', () => ['write', '-c', '-s', 'foo'], () => SUFFIX(SIZE, 'foo', 'foo')],
    ['-s 1k (no room)', () => ['write', '-c', '-s', '1k'], () => 'namespace of 1024 bytes at 0 does not fit'],
    [
      '-s 2M (no room for data)',
      () => ['write', '-c', '-s', '2M'],
      () => 'unable to satisfy requested alignment: no data area left in 2097152 bytes',
    ],
    ['-s 64MiB', () => ['write', '-c', '-s', '64MiB'], () => SUFFIX(SIZE, '64MiB', 'MiB')],
    ['-s 1.5G', () => ['write', '-c', '-s', '1.5G'], () => SUFFIX(SIZE, '1.5G', '.5G')],
    ['-s -1', () => ['write', '-c', '-s', '-1'], () => `failed to parse ${SIZE} '-1': a size has no sign`],
    ['-s 16E', () => ['write', '-c', '-s', '16E'], () => SUFFIX(SIZE, '16E', 'E')],
    ['-s 16777216T (2^64)', () => ['write', '-c', '-s', '16777216T'], () => TOO_BIG(SIZE, '16777216T')],
    [
      '-s 0x10000000000000000',
      () => ['write', '-c', '-s', '0x10000000000000000'],
      () => TOO_BIG(SIZE, '0x10000000000000000'),
    ],
    ['-a 3M', () => ['write', '-c', '-s', '1G', '-a', '3M'], () => ALIGN(3 << 20)],
    ['-a 1k', () => ['write', '-c', '-s', '1G', '-a', '1k'], () => ALIGN(1024)],
    ['-a foo', () => ['write', '-c', '-s', '1G', '-a', 'foo'], () => SUFFIX('namespace alignment', 'foo', 'foo')],
    ['-a 0', () => ['write', '-c', '-s', '1G', '-a', '0'], () => ALIGN(0)],
    ['-u foo', () => ['write', '-c', '-s', '1G', '-u', 'foo'], () => "failed to parse uuid: 'foo'"],
    ['-u 3M', () => ['write', '-c', '-s', '1G', '-u', '3M'], () => "failed to parse uuid: '3M'"],
    [
      '-u without hyphens',
      () => ['write', '-c', '-s', '1G', '-u', '11111111222233334444555555555555'],
      () => "failed to parse uuid: '11111111222233334444555555555555'",
    ],
    ['-p foo', () => ['write', '-c', '-s', '1G', '-u', U, '-p', 'foo'], () => "failed to parse parent uuid: 'foo'"],
    ['-O foo', () => ['write', '-c', '-s', '1G', '-O', 'foo'], () => SUFFIX('physical offset', 'foo', 'foo')],
    ['-O 16E', () => ['write', '-c', '-s', '1G', '-O', '16E'], () => SUFFIX('physical offset', '16E', 'E')],
    [
      '-O 0x10000000000000000',
      () => ['write', '-c', '-s', '1G', '-O', '0x10000000000000000'],
      () => TOO_BIG('physical offset', '0x10000000000000000'),
    ],
    [
      '-m sector',
      () => ['write', '-c', '-s', '1G', '-m', 'sector'],
      () => "unsupported mode 'sector' (expected fsdax or devdax)",
    ],
    [
      '-m foo',
      () => ['write', '-c', '-s', '1G', '-m', 'foo'],
      () => "unsupported mode 'foo' (expected fsdax or devdax)",
    ],
    ['-M foo', () => ['write', '-c', '-s', '1G', '-M', 'foo'], () => "invalid map location 'foo' (expected dev, mem)"],
    [
      '--meaning foo',
      () => ['write', '-c', '-s', '1G', '--meaning', 'foo'],
      () => "invalid meaning 'foo' (expected legacy, map, ndctl)",
    ],
    ['unknown option', () => ['write', '-c', '-s', '1G', '--bogus'], () => "unknown option '--bogus'"],
    [
      'stray argument',
      () => ['write', '-c', '-s', '1G', 'extra'],
      () => "too many arguments for 'write'. Expected 0 arguments but got 1.",
    ],
    [
      '-o a directory',
      () => ['write', '-o', p('adir')],
      () => `output '${p('adir')}' is a directory; it must be a regular file or block device: choose another path`,
    ],
    [
      '-o a directory with -s',
      () => ['write', '-o', p('adir'), '-s', '1G'],
      () => `output '${p('adir')}' is a directory; it must be a regular file or block device: choose another path`,
    ],
    [
      '-o a missing file without -s',
      () => ['write', '-o', p('not-there')],
      () => `'${p('not-there')}' does not exist: give --size to create it`,
    ],
    [
      '-o in a missing directory',
      () => ['write', '-o', p('no/such/dir/x'), '-s', '1G'],
      () => `cannot write '${p('no/such/dir/x')}': no such file or directory; check the path`,
    ],
    [
      '-o an empty file (no size to take)',
      () => ['write', '-o', p('empty')],
      () => 'namespace of 0 bytes at 0 does not fit',
    ],
  ])('%s', async (_name, argv, message) => {
    expect(await expectBadInput(argv())).toBe(`infoblock: ${message()}`);
  });

  test('a failed write leaves no file behind when it had to create one', async () => {
    expect(await expectBadInput(['write', '-o', p('created-by-failure'), '-s', '1G', '-a', '3M'])).toBe(
      `infoblock: ${ALIGN(3 << 20)}`,
    );
    expect(fs.existsSync(p('created-by-failure'))).toBe(false);
  });
});

describe('top level', () => {
  test.each([
    ['unknown command', ['frobnicate'], "unknown command 'frobnicate'"],
    ['unknown command with args', ['frobnicate', '-j', 'x'], "unknown command 'frobnicate'"],
    ['unknown option', ['--bogus'], "unknown option '--bogus'"],
  ])('%s', async (_name, argv, message) => {
    expect(await expectBadInput(argv)).toBe(`infoblock: ${message}`);
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
