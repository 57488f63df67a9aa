// Item 9 of issue 18: one escaping rule for every text output. A label
// name, a file name or a kernel message comes from whoever wrote the image:
// shown as text, its control characters (newline, ESC, NUL-ish bytes, DEL,
// C1), text-reordering characters and non-UTF-8 bytes are escaped, so it can
// neither fake a line nor reach the terminal as an escape sequence. JSON
// carries the exact value.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeText } from '../../src/format/escape';
import { InfoblockError } from '../../src/index';
import { failureText, shellWord } from '../../src/cli/hints';
import { run, json } from '../support/run';
import { smallImage } from '../support/adversarial';
import { thrownBy } from '../support/errors';
import { readExact } from '../../src/io/files';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('escape');
const EVIL_LABEL = 'db\n  slot 9: FAKE label injected\x1b[31m';
const SHOWN_LABEL = 'db\\n  slot 9: FAKE label injected\\x1b[31m';
const EVIL_FILE = 'ns\n  kernel says: "fake"\x1b[2J\x01\x7f\u0085\u202e.img';
const SHOWN_FILE = 'ns\\n  kernel says: "fake"\\x1b[2J\\x01\\x7f\\x85\\u{202e}.img';

/** No character that can move the cursor, start a line or recolour the terminal, apart from the line ends. */
const CLEAN = /^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$/u;

test.each([
  ['newline', 'a\nb', 'a\\nb'],
  ['tab and carriage return', 'a\tb\rc', 'a\\tb\\rc'],
  ['NUL', 'a\0b', 'a\\x00b'],
  ['ESC sequence', '\x1b[31mred', '\\x1b[31mred'],
  ['DEL', 'a\x7f', 'a\\x7f'],
  ['C1 (NEL, CSI)', '\u0085\u009b', '\\x85\\x9b'],
  ['bidirectional override', 'abc\u202etxt.exe', 'abc\\u{202e}txt.exe'],
  ['line separator', 'a\u2028b', 'a\\u{2028}b'],
  ['backslash (so the shown text reads back to one value)', 'a\\nb', 'a\\\\nb'],
  ['plain UTF-8 stays', 'données-é.img', 'données-é.img'],
])('escapeText: %s', (_n, value, shown) => {
  expect(escapeText(value)).toBe(shown);
});

test('escapeText: bytes that are not UTF-8 are shown one by one', () => {
  expect(escapeText(Uint8Array.from([0x61, 0xff, 0x0a, 0xc3, 0xa9]))).toBe('a\\xff\\n\\xc3\\xa9');
  expect(escapeText(Buffer.from('é\n', 'utf8'))).toBe('é\\n');
});

describe('a label named to inject a fake slot line and an escape sequence', () => {
  let img: string;
  beforeAll(async () => {
    img = tmp.path('dimm.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, (32 << 20) + (128 << 10));
    const w = await run([
      'labels',
      'write',
      img,
      '--label-size',
      '128K',
      '--namespace',
      `uuid=aaaaaaaa-bbbb-4ccc-8ddd-000000000001,size=16M,name=${EVIL_LABEL}`,
    ]);
    expect(w.code).toBe(0);
  });

  test('labels read: one slot line, the name escaped, no ESC on the terminal', async () => {
    const r = await run(['labels', 'read', img, '--label-size', '128K']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `  slot 0: aaaaaaaa-bbbb-4ccc-8ddd-000000000001 dpa 0x0 size 16777216 name '${SHOWN_LABEL}' cookie ` +
        '0xba90120012b4dc',
    );
    for (const l of lines) expect(l).toMatch(CLEAN);
  });

  test('labels read --json: the exact name', async () => {
    const r = await run(['labels', 'read', img, '--label-size', '128K', '--json']);
    expect((json(r) as { label: { name: string }[] }).label[0]?.name).toBe(EVIL_LABEL);
  });

  test('check --label-size: the name escaped in the namespace line', async () => {
    const r = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100000000']);
    expect(r.out).toContain(`aaaaaaaa-bbbb-4ccc-8ddd-000000000001 '${SHOWN_LABEL}' dpa 0x0 size 16777216:`);
    for (const l of r.out.trimEnd().split('\n')) expect(l).toMatch(CLEAN);
  });
});

describe('a file name with a newline, ESC, control bytes, C1 and a bidi override', () => {
  let file: string;
  beforeAll(() => {
    file = tmp.path(EVIL_FILE);
    smallImage(file, 0, 64 << 20);
  });
  const shown = (): string => path.join(tmp.dir, SHOWN_FILE);

  test.each([
    ['check', (): string[] => ['check', file, '--ns-base', '0x100100000'], (): string => `${shown()}: CLAIMED by`],
    [
      'check --kernels',
      (): string[] => ['check', file, '--ns-base', '0x100100000', '--kernels', '6.1,4.19'],
      (): string => `${shown()}: `,
    ],
    ['explain', (): string[] => ['explain', file, '--ns-base', '0x100100000'], (): string => `${shown()}: `],
    ['scan', (): string[] => ['scan', file], (): string => `${shown()}: scanned`],
    [
      'recover (dry run)',
      (): string[] => ['recover', file, '--ns-base', '0x100100000'],
      (): string => `${shown()}: namespace of`,
    ],
  ])('%s: every line clean, the name escaped', async (_n, argv, starts) => {
    const r = await run(argv());
    expect(r.code).toBeLessThan(2);
    const lines = `${r.out}${r.stderr}`.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(CLEAN);
    expect(lines.some((l) => l.startsWith(starts()))).toBe(true);
  });

  test('read -v: the summary names it escaped', async () => {
    const r = await run(['read', '-v', file]);
    expect(r.code).toBe(0);
    expect(r.errLines[0]).toBe(`read: ${shown()}: PFN info-block at 4096, checksum ok`);
  });

  test('migrate and restore: every line clean, the name escaped', async () => {
    for (const argv of [
      ['migrate', file, '--ns-base', '0x100100000', '--to', 'map'],
      ['restore', file],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      for (const l of `${r.out}${r.stderr}`.trimEnd().split('\n')) expect(l).toMatch(CLEAN);
      expect(`${r.out}${r.stderr}`).toContain(SHOWN_FILE);
    }
  });

  test('kernel-check: a refused image is one line naming it escaped (was cut at the newline)', async () => {
    const bad = tmp.path('bad\nname\x01.img');
    fs.writeFileSync(bad, 'x');
    const r = await run(['kernel-check', `${bad}@0x100000000`, '--kernel', '6.1']);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([
      `infoblock: '${tmp.dir}/bad\\nname\\x01.img': size 1 is not a positive multiple of 4096 bytes, which QEMU ` +
        'requires of an NVDIMM backing file',
    ]);
  });

  test('a path that is not UTF-8 (the library takes bytes) is shown byte by byte in its error', () => {
    const name = Buffer.concat([Buffer.from(`${tmp.dir}/raw`), Buffer.from([0xff, 0x0a, 0xfe]), Buffer.from('.img')]);
    expect((thrownBy(() => readExact(name, 0n, 8192)) as Error).message).toBe(
      `cannot open '${tmp.dir}/raw\\xff\\n\\xfe.img': no such file or directory; check the path`,
    );
  });
});

test('the one error line: a raw NUL, ESC or bidi override in a message never reaches the terminal', () => {
  const e = new InfoblockError('io', 'cannot open y\0z: permission denied\x1b[0m\u202e');
  expect(failureText(e)).toBe('cannot open y\\x00z: permission denied\\x1b[0m\\u{202e}');
});

test("a suggested command with a control character stays on one line and pastes back ($'…')", () => {
  expect(shellWord('a\nb\u0085')).toBe("$'a\\x0ab\\u0085'");
});
