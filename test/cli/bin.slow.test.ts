// The built bin (dist/cli.js) as a real process: real exit codes, and `-c`
// delivering exactly 8192 bytes through a pipe.
import { execFileSync, spawnSync } from 'node:child_process';
import { cli, CLI, ROOT } from '../support/spawn';
import { useTmpDir } from '../support/tmp';

const U = '11111111-2222-3333-4444-555555555555';
const tmp = useTmpDir('bin');

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

const node = (args: string[], input?: Buffer): ReturnType<typeof cli> =>
  cli(args, { input: input ?? Buffer.alloc(0), cwd: tmp.dir, encoding: 'buffer' });

test('write -c to a pipe: exactly 8192 bytes, exit 0', () => {
  const r = node(['write', '-c', '-s', '1G', '-u', U]);
  expect(r.status).toBe(0);
  expect(r.stdoutBytes.length).toBe(8192);
  expect(r.stderr).toBe('wrote 1 infoblock\n');
});

test('write -c through a shell pipe into wc -c', () => {
  const out = execFileSync('sh', ['-c', `"${process.execPath}" "${CLI}" write -c -s 1G 2>/dev/null | wc -c`])
    .toString()
    .trim();
  expect(out).toBe('8192');
});

test('the piped head reads back through stdin, and matches ndctl when ndctl is here', () => {
  const head = node(['write', '-c', '-s', '1G', '-u', U, '--meaning', 'ndctl']).stdoutBytes;
  const r = node(['read', '-j'], head);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ file: '<stdin>', uuid: U })]);
  const nd = spawnSync('ndctl', ['write-infoblock', '-c', '-s', '1G', '-u', U]);
  if (nd.error === undefined && nd.status === 0) expect(head.equals(nd.stdout)).toBe(true);
});

// The real process's exit code and its one stderr line, as the in-process runner sees them (test/cli/errors.test.ts).
test.each([
  [['read', 'no-such-file'], 2, /^infoblock: cannot open 'no-such-file': no such file or directory/],
  [['read', '-j', '/'], 2, /^infoblock: .*'\/'.*directory/],
  [['write', '-s', '1G'], 2, /^infoblock: .*(-o|--output).*(-c|--stdout)/],
  [['write', '-c'], 2, /^infoblock: .*(-s|--size)/],
  [['write', '-c', '-s', '1G', '-a', '3M'], 2, /^infoblock: .*align/],
  [['write', '-c', '-s', '16E'], 2, /^infoblock: .*16E/],
  [['frobnicate'], 2, /^infoblock: unknown command 'frobnicate'$/],
  [['--bogus'], 2, /^infoblock: unknown option '--bogus'$/],
  [['--help'], 0, null],
  [['write', '--help'], 0, null],
  [['--version'], 0, null],
])('%j exits %d', (args, code, line) => {
  const r = node(args);
  expect(r.status).toBe(code);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (line !== null) {
    const lines = r.errLines.filter((l) => l.startsWith('infoblock: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  }
});

// Regression: see errors.test.ts (`read --help` once exited 3 on a BigInt default; fixed in 1db4a6a).
test('read --help exits 0', () => {
  const r = node(['read', '--help']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('read of a short stdin exits 2', () => {
  const r = node(['read', '-j'], Buffer.alloc(100));
  expect(r.status).toBe(2);
  expect(r.errLines[0]).toMatch(/^infoblock: .*8192/);
  expect(r.stdoutBytes.length).toBe(0);
});
