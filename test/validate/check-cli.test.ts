// `infoblock check` / `infoblock explain` through runCli: exit codes, JSON
// shape, --offset inside a larger image, the SVG file, and bad inputs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/index';

const U = '11111111-2222-3333-4444-555555555555';
let dir: string;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString('latin1')), stderr: (s) => void (err += s) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-check-'));
  for (const [name, extra] of [
    ['legacy.img', []],
    ['ndctl-O.img', ['--meaning', 'ndctl', '-O', '0x100100000']],
  ] as const) {
    const f = path.join(dir, name);
    fs.writeFileSync(f, '');
    fs.truncateSync(f, 1 << 30);
    expect((await run(['write', '-o', f, '-u', U, ...extra])).code).toBe(0);
  }
  // The legacy namespace again, 1 MiB into a larger image.
  const big = path.join(dir, 'big.img');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, (1 << 30) + (1 << 20));
  const head = fs.readFileSync(path.join(dir, 'legacy.img')).subarray(0, 8192);
  const fd = fs.openSync(big, 'r+');
  fs.writeSync(fd, head, 0, 8192, 1 << 20);
  fs.closeSync(fd);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('claimed: exit 0, JSON verdict with exact integers', async () => {
  const r = await run(['check', path.join(dir, 'legacy.img'), '--json']);
  expect(r.code).toBe(0);
  const v = JSON.parse(r.out) as Record<string, unknown>;
  expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem', errno: null, data_start: 0x1200000, data_size: (1 << 30) - 0x1200000, meaning: 'legacy' });
  expect(Object.keys(v)).toEqual(expect.arrayContaining(['outcome', 'kind', 'mode', 'errno', 'message', 'data_start', 'data_size', 'map_base', 'map_offset', 'align', 'meaning', 'rules', 'hazards']));
});

test('refused: exit 1 and the kernel message in the human output', async () => {
  const r = await run(['check', path.join(dir, 'ndctl-O.img'), '--ns-base', '0x100100000']);
  expect(r.code).toBe(1);
  expect(r.out).toContain('REFUSED by linux-6.1');
  expect(r.out).toContain('"bad offset: 0x1100000 dax disabled align: 0x200000"');
  expect(r.out).toContain('ndctl -O block');
});

test('a namespace at --offset inside a larger image', async () => {
  const r = await run(['check', path.join(dir, 'big.img'), '--offset', '1M', '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ outcome: 'claimed', ns_size: 1 << 30, data_start: 0x1200000 });
});

test('explain: ASCII picture and an SVG file', async () => {
  const svg = path.join(dir, 'x.svg');
  const r = await run(['explain', path.join(dir, 'legacy.img'), '--svg', svg]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/info-block NVDIMM_PFN_INFO v1\.4/);
  expect(r.out).toMatch(/memmap: \d+ pages x 64 B/);
  expect(r.out).toMatch(/data \(as the kernel maps it\)/);
  const text = fs.readFileSync(svg, 'utf8');
  expect(text.startsWith('<svg')).toBe(true);
  expect(text).toContain('memmap: ');
});

test.each([
  ['missing file', ['check', '/nonexistent/x.img']],
  ['unknown profile', ['check', 'LEGACY', '--kernel', 'linux-9']],
  ['bad base', ['check', 'LEGACY', '--ns-base', 'zz']],
  ['bad uuid', ['check', 'LEGACY', '--parent-uuid', 'nope']],
  ['offset past the end', ['check', 'LEGACY', '--offset', '2G']],
  ['namespace smaller than the head', ['check', 'LEGACY', '--ns-size', '4096']],
])('bad input (%s): exit 2, one infoblock: line', async (_n, argv) => {
  const r = await run(argv.map((a) => (a === 'LEGACY' ? path.join(dir, 'legacy.img') : a)));
  expect(r.code).toBe(2);
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^infoblock: /);
});
