// scripts/expand-sample.js: head at 0, sparse file of SIZE, refuses to
// overwrite without --force, clear one-line errors with exit 2.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTmpDir } from '../support/tmp';

const root = path.join(__dirname, '../..');
const script = path.join(root, 'scripts/expand-sample.js');
const sample = path.join(root, 'samples/fsdax.head');
const tmp = useTmpDir('expand');
const p = (n: string): string => tmp.path(n);

function expand(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('expands a head into a sparse 1 GiB image with the head at 0', () => {
  const r = expand(sample, p('a.img'), '1G');
  expect(r.status).toBe(0);
  const st = fs.statSync(p('a.img'));
  expect(st.size).toBe(1 << 30);
  expect(st.blocks * 512).toBeLessThan(1 << 20); // sparse
  const fd = fs.openSync(p('a.img'), 'r');
  const first = Buffer.alloc(8192 + 4096);
  fs.readSync(fd, first, 0, first.length, 0);
  const last = Buffer.alloc(4096);
  fs.readSync(fd, last, 0, 4096, (1 << 30) - 4096);
  fs.closeSync(fd);
  expect(first.subarray(0, 8192).equals(fs.readFileSync(sample))).toBe(true);
  expect(first.subarray(8192).every((b) => b === 0)).toBe(true);
  expect(last.every((b) => b === 0)).toBe(true);
});

test('refuses to overwrite an existing OUT without --force, and leaves it untouched', () => {
  fs.writeFileSync(p('exists.img'), 'keep me');
  const r = expand(sample, p('exists.img'), '64M');
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^expand-sample: .*already exists.*--force/);
  expect(fs.readFileSync(p('exists.img'), 'utf8')).toBe('keep me');
});

test('--force overwrites, and no old bytes survive', () => {
  fs.writeFileSync(p('old.img'), Buffer.alloc(100_000, 0xff));
  expect(expand(sample, p('old.img'), '64K', '--force').status).toBe(0);
  const b = fs.readFileSync(p('old.img'));
  expect(b.length).toBe(65536);
  expect(b.subarray(8192).every((x) => x === 0)).toBe(true);
});

test.each([
  ['no arguments', [], /^expand-sample: expected HEAD OUT\.img SIZE$/],
  ['two arguments', ['HEAD', 'OUT'], /^expand-sample: expected HEAD OUT\.img SIZE$/],
  [
    'bad size',
    ['SAMPLE', 'x.img', '1.5G'],
    /^expand-sample: bad SIZE '1\.5G' \(expected bytes with an optional K\/M\/G\/T/,
  ],
  ['size foo', ['SAMPLE', 'x.img', 'foo'], /^expand-sample: bad SIZE 'foo'/],
  [
    'size smaller than the head',
    ['SAMPLE', 'x.img', '4096'],
    /^expand-sample: SIZE 4096 is smaller than the 8192-byte head$/,
  ],
  [
    'missing head',
    ['NOPE', 'x.img', '1G'],
    /^expand-sample: cannot read head '.*nope\.head': no such file or directory$/,
  ],
  [
    'a head that is not 8 KiB',
    ['SHORT', 'x.img', '1G'],
    /^expand-sample: '.*short\.head' is 4096 bytes, not an 8192-byte/,
  ],
  ['a head that is a directory', ['DIR', 'x.img', '1G'], /^expand-sample: cannot read head '.*': is a directory$/],
  [
    'OUT in a missing directory',
    ['SAMPLE', 'no/such/dir/x.img', '1G'],
    /^expand-sample: cannot create '.*no\/such\/dir\/x\.img': no such file or directory$/,
  ],
  ['unknown option', ['SAMPLE', 'x.img', '1G', '--sparse'], /^expand-sample: unknown option '--sparse'$/],
])('%s: exit 2, one clear line', (_n, args, line) => {
  tmp.file('short.head', Buffer.alloc(4096));
  const map: Record<string, string> = { SAMPLE: sample, NOPE: p('nope.head'), SHORT: p('short.head'), DIR: tmp.dir };
  const r = expand(...args.map((a) => map[a] ?? (a.includes('/') || a.endsWith('.img') ? p(a) : a)));
  expect(r.status).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(fs.existsSync(p('x.img'))).toBe(false);
});
