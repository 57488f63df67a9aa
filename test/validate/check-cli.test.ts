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
  const code = await runCli(argv, {
    stdout: (s) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString('latin1')),
    stderr: (s) => void (err += s),
  });
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
  expect(v).toMatchObject({
    outcome: 'claimed',
    kind: 'pfn',
    mode: 'pmem',
    errno: null,
    data_start: 0x1200000,
    data_size: (1 << 30) - 0x1200000,
    meaning: 'legacy',
  });
  expect(Object.keys(v)).toEqual(
    expect.arrayContaining([
      'outcome',
      'kind',
      'mode',
      'errno',
      'message',
      'data_start',
      'data_size',
      'map_base',
      'map_offset',
      'align',
      'meaning',
      'rules',
      'hazards',
    ]),
  );
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

test('--kernel takes versions; a version not booted here says so', async () => {
  const r = await run(['check', path.join(dir, 'legacy.img'), '--kernel', '5.15.3']);
  expect(r.code).toBe(0);
  expect(r.out).toContain('CLAIMED by linux-5.15');
  expect(r.out).toContain('Linux 5.15, interpolated from source, not observed');
  const j = JSON.parse((await run(['check', path.join(dir, 'legacy.img'), '--kernel', '6.12', '--json'])).out) as {
    kernel: string;
    observed: boolean;
    rules: { basis: string }[];
  };
  expect([j.kernel, j.observed, [...new Set(j.rules.map((x) => x.basis))]]).toEqual(['6.12', true, ['observed']]);
});

test('--kernels all: one row per kernel, exit 0 when all claim at the same place', async () => {
  const r = await run(['check', path.join(dir, 'legacy.img'), '--kernels', 'all']);
  expect(r.code).toBe(0);
  expect(r.out.split('\n').filter((l) => /^ {2}linux-/.test(l))).toHaveLength(4);
  const j = JSON.parse((await run(['check', path.join(dir, 'legacy.img'), '--kernels', '4.19,7.2', '--json'])).out) as {
    kernels: string[];
    agree: boolean;
    hazards: unknown[];
    verdicts: Record<string, { outcome: string }>;
  };
  expect([j.kernels, j.agree, j.hazards, j.verdicts['linux-4.19']?.outcome]).toEqual([
    ['linux-4.19', 'linux-7.2'],
    true,
    [],
    'claimed',
  ]);
});

test('--kernels with a hazard: exit 1 and a HAZARD line', async () => {
  const f = path.join(dir, 'map.img');
  fs.writeFileSync(f, '');
  fs.truncateSync(f, 1 << 30);
  expect((await run(['write', '-o', f, '-u', U, '--meaning', 'map', '-O', '0x100100000'])).code).toBe(0);
  const r = await run(['check', f, '--ns-base', '0x100100000', '--kernels', '6.1,map']);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/HAZARD \(refused-by-older, linux-6\.1 -> map\)/);
});

test.each(['ppc64', 'ppc64-hash', 'ppc64-radix'])('--arch %s is accepted', async (arch) => {
  const r = await run(['check', path.join(dir, 'legacy.img'), '--arch', arch, '--json']);
  expect([0, 1]).toContain(r.code);
  expect((JSON.parse(r.out) as { observed: boolean }).observed).toBe(false);
});

test.each([
  ['missing file', ['check', '/nonexistent/x.img']],
  ['unknown profile', ['check', 'LEGACY', '--kernel', 'linux-9']],
  ['kernel too new', ['check', 'LEGACY', '--kernel', '7.3']],
  ['kernel too old', ['check', 'LEGACY', '--kernel', '4.14']],
  ['bad kernel list', ['check', 'LEGACY', '--kernels', '6.1,nope']],
  ['empty kernel list', ['check', 'LEGACY', '--kernels', '']],
  ['unknown arch', ['check', 'LEGACY', '--arch', 'sparc']],
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

describe('first-run trap: a bare head is not a namespace', () => {
  test.each([['check'], ['explain']])(
    '%s on an 8 KiB head without --ns-size: exit 2, one line saying to pass it',
    async (cmd) => {
      const r = await run([cmd, 'samples/fsdax.head']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(
        "infoblock: 'samples/fsdax.head' holds 8192 bytes from --offset 0, less than any namespace with an " +
          "info-block (2 MiB): it looks like a bare head; pass --ns-size BYTES, the namespace's size\n",
      );
    },
  );

  test('the same head with --ns-size gets its verdict', async () => {
    const r = await run(['check', 'samples/fsdax.head', '--ns-size', '1G']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^samples\/fsdax\.head: CLAIMED by linux-6\.1 as fsdax/);
  });

  test('a file of exactly 2 MiB is taken as the namespace', async () => {
    const f = path.join(dir, 'two-mib.img');
    fs.writeFileSync(f, fs.readFileSync(path.join(dir, 'legacy.img')).subarray(0, 8192));
    fs.truncateSync(f, 2 << 20);
    const r = await run(['check', f, '--json']);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).ns_size).toBe(2 << 20);
  });
});
