// The built bin (dist/cli.js) as a real process: real exit codes, and `-c`
// delivering exactly 8192 bytes through a pipe.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '../..');
const bin = path.join(root, 'dist/cli.js');
const U = '11111111-2222-3333-4444-555555555555';
let dir: string;

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bin-'));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function node(args: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input: input ?? Buffer.alloc(0), cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

test('write -c to a pipe: exactly 8192 bytes, exit 0', () => {
  const r = node(['write', '-c', '-s', '1G', '-u', U]);
  expect(r.status).toBe(0);
  expect(r.stdout.length).toBe(8192);
  expect(r.stderr).toBe('wrote 1 infoblock\n');
});

test('write -c through a shell pipe into wc -c', () => {
  const out = execFileSync('sh', ['-c', `"${process.execPath}" "${bin}" write -c -s 1G 2>/dev/null | wc -c`])
    .toString()
    .trim();
  expect(out).toBe('8192');
});

test('the piped head reads back through stdin, and matches ndctl when ndctl is here', () => {
  const head = node(['write', '-c', '-s', '1G', '-u', U, '--meaning', 'ndctl']).stdout;
  const r = node(['read', '-j'], head);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.toString())).toEqual([expect.objectContaining({ file: '<stdin>', uuid: U })]);
  const nd = spawnSync('ndctl', ['write-infoblock', '-c', '-s', '1G', '-u', U]);
  if (nd.error === undefined && nd.status === 0) expect(head.equals(nd.stdout)).toBe(true);
});

test.each([
  [['read', 'no-such-file'], 2],
  [['read', '-j', '/'], 2],
  [['write', '-s', '1G'], 2],
  [['write', '-c'], 2],
  [['write', '-c', '-s', '1G', '-a', '3M'], 2],
  [['write', '-c', '-s', '16E'], 2],
  [['frobnicate'], 2],
  [['--bogus'], 2],
  [['--help'], 0],
  [['write', '--help'], 0],
  [['--version'], 0],
])('%j exits %d', (args, code) => {
  const r = node(args);
  expect(r.status).toBe(code);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (code === 2) expect(r.stderr.split('\n').filter((l) => l.startsWith('infoblock: '))).toHaveLength(1);
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
  expect(r.stdout.length).toBe(0);
});
