// `infoblock check` / `infoblock explain` through runCli: exit codes, JSON
// shape, --offset inside a larger image, several FILEs, the SVG file, and
// bad inputs (each with its exact error).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const U = '11111111-2222-3333-4444-555555555555';
const tmp = useTmpDir('check');
let dir: string;

beforeAll(async () => {
  dir = tmp.dir;
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

test('claimed: exit 0, JSON verdict with exact u64 strings, the namespace first', async () => {
  const file = path.join(dir, 'legacy.img');
  const r = await run(['check', file, '--json']);
  expect(r.code).toBe(0);
  const v = JSON.parse(r.out) as Record<string, unknown>;
  expect(v).toMatchObject({
    schema: 'urn:nd-infoblock:schema:check',
    schema_version: 4,
    file,
    offset: '0x0',
    ns_base: '0x0',
    ns_base_assumed: true,
    bases_fitting: null,
    ns_size: '0x40000000',
    torn: false,
    outcome: 'claimed',
    kind: 'pfn',
    mode: 'pmem',
    errno: null,
    data_start: '0x1200000',
    data_size: `0x${((1 << 30) - 0x1200000).toString(16)}`,
    meaning: 'legacy',
  });
  expect(Object.keys(v).slice(0, 8)).toEqual([
    'schema',
    'schema_version',
    'file',
    'offset',
    'ns_base',
    'ns_base_assumed',
    'bases_fitting',
    'ns_size',
  ]);
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
  expect(r.out).toContain(
    `  repair: infoblock migrate ${path.join(dir, 'ndctl-O.img')} --ns-base 0x100100000 --allow-hazard ` +
      '--from map --to legacy\n',
  );
  // The repaired block keeps its start_pad: the line after the repair says why it needs --allow-hazard.
  expect(r.out).toContain(
    '  after the repair the block keeps start_pad 0x100000: under DAX linux-6.1 would map every page',
  );
});

test('a namespace at --offset inside a larger image', async () => {
  const r = await run(['check', path.join(dir, 'big.img'), '--offset', '1M', '--json']);
  expect(r.code).toBe(0);
  expect(json(r)).toMatchObject({
    offset: '0x100000',
    outcome: 'claimed',
    ns_size: '0x40000000',
    data_start: '0x1200000',
  });
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

const FORMS = 'a kernel version 4.19..7.2 (X.Y or X.Y.Z, optionally as linux-X.Y), linux-latest, linux-4.x or map';
test.each([
  [
    'missing file',
    ['check', '/nonexistent/x.img'],
    'io',
    "cannot open '/nonexistent/x.img': no such file or directory; check the path",
  ],
  [
    'unknown profile',
    ['check', 'LEGACY', '--kernel', 'linux-9'],
    'invalid-argument',
    `unknown kernel 'linux-9' (not a version): use ${FORMS}`,
  ],
  [
    'kernel too new',
    ['check', 'LEGACY', '--kernel', '7.3'],
    'invalid-argument',
    `unknown kernel '7.3' (newer than 7.2, the newest known): use ${FORMS}; pass --kernel 7.2`,
  ],
  [
    'kernel too old',
    ['check', 'LEGACY', '--kernel', '4.14'],
    'invalid-argument',
    `unknown kernel '4.14' (older than 4.19): use ${FORMS}; pass --kernel 4.19`,
  ],
  [
    'bad kernel list',
    ['check', 'LEGACY', '--kernels', '6.1,nope'],
    'invalid-argument',
    `unknown kernel 'nope' (not a version): use ${FORMS}`,
  ],
  [
    'kernel list with a version too new',
    ['check', 'LEGACY', '--kernels', '6.1,7.3,map'],
    'invalid-argument',
    `unknown kernel '7.3' (newer than 7.2, the newest known): use ${FORMS}; pass --kernels 6.1,7.2,map`,
  ],
  [
    'empty kernel list',
    ['check', 'LEGACY', '--kernels', ''],
    'invalid-argument',
    `empty kernel list: use 'all' or a comma-separated list of ${FORMS}`,
  ],
  [
    'unknown arch',
    ['check', 'LEGACY', '--arch', 'sparc'],
    'invalid-argument',
    "invalid arch 'sparc' (expected x86_64, ppc64-hash, ppc64-radix, ppc64)",
  ],
  [
    'bad base',
    ['check', 'LEGACY', '--ns-base', 'zz'],
    'invalid-argument',
    "failed to parse namespace base 'zz': unknown suffix 'zz' (use K, M, G or T)",
  ],
  ['bad uuid', ['check', 'LEGACY', '--parent-uuid', 'nope'], 'invalid-argument', "invalid uuid 'nope'"],
  [
    'offset past the end',
    ['check', 'LEGACY', '--offset', '2G'],
    'invalid-argument',
    "--offset 2147483648 is past the end of 'LEGACY' (1073741824 bytes)",
  ],
  [
    'namespace smaller than the head',
    ['check', 'LEGACY', '--ns-size', '4096'],
    'invalid-argument',
    'namespace size 4096 is smaller than the 8 KiB head',
  ],
  [
    'explain: missing file',
    ['explain', '/nonexistent/x.img'],
    'io',
    "cannot open '/nonexistent/x.img': no such file or directory; check the path",
  ],
])(
  'bad input (%s): exit 2, the one line, and the same as an error document under --json',
  async (_n, argv, code, message) => {
    const legacy = path.join(dir, 'legacy.img');
    const args = argv.map((a) => (a === 'LEGACY' ? legacy : a));
    const text = message.replace('LEGACY', legacy);
    const r = await run(args);
    expect({ code: r.code, out: r.out, err: r.errLines }).toEqual({ code: 2, out: '', err: [`infoblock: ${text}`] });
    const j = await run([...args, '--json']);
    expect(j.code).toBe(2);
    expect((json(j) as { error: { code: string; message: string } }).error).toMatchObject({ code, message: text });
  },
);

describe('several FILEs', () => {
  test('text: one verdict block per FILE, a blank line between them; exit 1 when one is not claimed', async () => {
    const a = path.join(dir, 'legacy.img');
    const b = path.join(dir, 'ndctl-O.img');
    const one = async (f: string): Promise<string> => (await run(['check', f, '--ns-base', '0x100100000'])).out;
    const r = await run(['check', a, b, '--ns-base', '0x100100000']);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${await one(a)}\n${await one(b)}`);
    expect(r.stderr).toBe('');
  });

  test('every FILE claimed: exit 0; the options apply to each', async () => {
    const a = path.join(dir, 'legacy.img');
    const r = await run(['check', a, a, '--kernel', '6.12', '--json']);
    expect(r.code).toBe(0);
    const docs = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; kernel: string });
    expect(docs.map((d) => [d.file, d.kernel])).toEqual([
      [a, '6.12'],
      [a, '6.12'],
    ]);
  });

  test('an unreadable FILE: its line on stderr, the others still judged, exit 2', async () => {
    const a = path.join(dir, 'legacy.img');
    const missing = path.join(dir, 'missing.img');
    const r = await run(['check', missing, a]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`infoblock: cannot open '${missing}': no such file or directory; check the path`]);
    expect(r.out).toMatch(new RegExp(`^${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: CLAIMED by linux-6\\.1`));
  });

  test('--kernels over several FILEs: JSON Lines of check-kernels documents', async () => {
    const a = path.join(dir, 'legacy.img');
    const b = path.join(dir, 'ndctl-O.img');
    // At base 0 the legacy image is claimed by both; the ndctl -O one (made for 0x100100000) by neither.
    const r = await run(['check', a, b, '--kernels', '6.1,map', '--json']);
    expect(r.code).toBe(1);
    const docs = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { schema: string; file: string; agree: boolean });
    expect(docs.map((d) => [d.schema, d.file, d.agree])).toEqual([
      ['urn:nd-infoblock:schema:check-kernels', a, true],
      ['urn:nd-infoblock:schema:check-kernels', b, false],
    ]);
  });

  test('a bad option fails the whole command once, before any FILE is read', async () => {
    const r = await run(['check', path.join(dir, 'legacy.img'), '/nonexistent/x.img', '--kernel', '9.9']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.errLines).toEqual([
      `infoblock: unknown kernel '9.9' (newer than 7.2, the newest known): use ${FORMS}; pass --kernel 7.2`,
    ]);
  });

  test('explain takes one FILE', async () => {
    const a = path.join(dir, 'legacy.img');
    const r = await run(['explain', a, a]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual(["infoblock: too many arguments for 'explain'. Expected 1 argument but got 2."]);
  });
});

describe('first-run trap: a bare head is not a namespace', () => {
  test.each([['check'], ['explain']])(
    '%s on an 8 KiB head without --ns-size: exit 2, one line saying to pass it',
    async (cmd) => {
      const r = await run([cmd, 'samples/fsdax.head']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.stderr).toBe(
        "infoblock: 'samples/fsdax.head' holds 8192 bytes from offset 0, less than any namespace with an " +
          "info-block (2 MiB): it looks like a bare head; give the namespace's size; pass --ns-size <BYTES>\n",
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
    expect(r.stderr).toBe('');
    expect((json(r) as { ns_size: string }).ns_size).toBe('0x200000');
  });
});
