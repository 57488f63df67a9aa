// infoblock corpus: determinism, honest manifests, coverage of every rule,
// output formats, and the CLI's refusals.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyChecksum } from '../../src/format/fletcher64';
import { HEAD_SIZE, blockOfHead, headWithBlock } from '../../src/format/head';
import { checkHead } from '../../src/validate/check';
import { PROFILES, type ProfileId } from '../../src/validate/profiles';
import { CorpusGenerator, verdictClass } from '../../src/corpus/generate';
import { Prng } from '../../src/corpus/prng';
import { messageKind, writeCorpus } from '../../src/corpus/write-corpus';
import { IoError } from '../../src/format/errors';
import { looksLikeStack, run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { thrownBy } from '../support/errors';

const tmp = useTmpDir('corpus');
const dir = (name: string): string => tmp.path(name);

/** A manifest row as written: snake_case, u64 as "0x…" strings (schemas/corpus-manifest.schema.json). */
interface Row {
  schema: string;
  schema_version: number;
  file: string;
  index: number;
  seed_index: number;
  mutation: string;
  kernel: string;
  ns_base: string;
  ns_size: string;
  checksum_valid: boolean;
  outcome: string;
  kind: string | null;
  mode: string | null;
  errno: number | null;
  message: string | null;
  data_start: string | null;
  data_size: string | null;
  failed_rule: string | null;
  kernel_check?: string;
}

function manifest(d: string): Row[] {
  return fs
    .readFileSync(path.join(d, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

/** Every file of a directory with its bytes, sorted by name. */
function snapshot(d: string): [string, Buffer][] {
  return fs
    .readdirSync(d)
    .sort()
    .map((f): [string, Buffer] => [f, fs.readFileSync(path.join(d, f))]);
}

async function corpus(name: string, ...args: string[]): Promise<string> {
  const r = await run(['corpus', '--out', dir(name), ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^corpus: \d+ inputs/) });
  return dir(name);
}

describe('PRNG', () => {
  test('xoshiro128** from splitmix64: fixed values on every platform', () => {
    const r = Prng.of(1n);
    expect([r.u32(), r.u32(), r.u32(), r.u32()]).toEqual([3019024837, 2854182608, 2283408513, 747430336]);
    const s = Prng.of(0xffffffffffffffffn, 12345n);
    expect([s.u32(), s.u32(), s.below(10), s.u64(), s.uuid()]).toEqual([
      4268863874,
      4094105985,
      6,
      701802478843663038n,
      '7b4afae2-918b-2823-1be7-2efb6dff1206',
    ]);
  });
  test('ofWords (the per-input path, 32-bit mixing only): fixed values on every platform', () => {
    const r = Prng.ofWords(1, 0, 0);
    expect([r.u32(), r.u32(), r.u32()]).toEqual([3261074121, 1430615415, 3139683346]);
    const s = Prng.ofWords(0xffffffff, 0xffffffff, 12345);
    expect([s.u32(), s.below(10), s.uuid()]).toEqual([3048208080, 6, '6c162a05-11c4-561d-0b37-06c42f194a65']);
  });
  test('below() stays in range', () => {
    const r = Prng.of(9n);
    for (let i = 0; i < 1000; i++) expect(r.below(7)).toBeLessThan(7);
  });
});

describe('determinism', () => {
  let a: string;
  let b: string;
  let c: string;
  beforeAll(async () => {
    a = await corpus('det-a', '--count', '120', '--seed', '42');
    b = await corpus('det-b', '--count', '120', '--seed', '42');
    c = await corpus('det-c', '--count', '120', '--seed', '43');
  });
  test('the same seed gives a byte-identical set of files and manifest', () => {
    expect(snapshot(b)).toEqual(snapshot(a));
  });
  test('a different seed gives a different corpus', () => {
    expect(fs.readFileSync(path.join(c, 'manifest.jsonl'))).not.toEqual(
      fs.readFileSync(path.join(a, 'manifest.jsonl')),
    );
    const namesA = new Set(fs.readdirSync(a));
    expect(fs.readdirSync(c).filter((f) => namesA.has(f))).toEqual(['manifest.jsonl']);
  });
  test('input i is a pure function of (seed, i)', () => {
    const g = new CorpusGenerator({ seed: 42n });
    const direct = g.input(77);
    const [streamed] = [...g.inputs(1, 77)];
    expect(Buffer.from(direct.block)).toEqual(Buffer.from(streamed?.block ?? []));
  });
});

describe('manifest rows tell the truth about their files', () => {
  let d: string;
  let rows: Row[];
  beforeAll(async () => {
    d = await corpus('truth', '--count', '300', '--seed', '3');
    rows = manifest(d);
  });
  test('one row per input, files named by content hash, 8 KiB heads', () => {
    expect(rows).toHaveLength(300);
    expect(rows.map((r) => r.index)).toEqual([...Array(300).keys()]);
    for (const r of rows) {
      expect(r.file).toMatch(/^[0-9a-f]{16}\.head$/);
      expect(fs.statSync(path.join(d, r.file)).size).toBe(HEAD_SIZE);
      expect(typeof r.mutation).toBe('string');
      expect(Number.isInteger(r.seed_index)).toBe(true);
    }
  });
  test('checksum_valid matches the bytes', () => {
    for (const r of rows)
      expect({ file: r.file, valid: verifyChecksum(blockOfHead(fs.readFileSync(path.join(d, r.file)))) }).toEqual({
        file: r.file,
        valid: r.checksum_valid,
      });
    expect(rows.some((r) => !r.checksum_valid)).toBe(true);
  });
  test('the verdict equals a fresh checkHead of the file', () => {
    for (const r of rows) {
      const v = checkHead(fs.readFileSync(path.join(d, r.file)), {
        kernel: 'linux-6.1',
        nsBase: BigInt(r.ns_base),
        nsSize: BigInt(r.ns_size),
      });
      const hexOrNull = (x: bigint | null): string | null => (x === null ? null : `0x${x.toString(16)}`);
      expect({
        file: r.file,
        kernel: v.profile,
        outcome: v.outcome,
        kind: v.kind,
        mode: v.mode,
        errno: v.errno,
        message: v.message,
        data_start: hexOrNull(v.dataStart),
        data_size: hexOrNull(v.dataSize),
        failed_rule: v.failedRule,
      }).toEqual({
        file: r.file,
        kernel: r.kernel,
        outcome: r.outcome,
        kind: r.kind,
        mode: r.mode,
        errno: r.errno,
        message: r.message,
        data_start: r.data_start,
        data_size: r.data_size,
        failed_rule: r.failed_rule,
      });
    }
  });
  test('every failing rule, the npfns message and every outcome are reached with 300 inputs', () => {
    const failing = new Set(rows.map((r) => r.failed_rule));
    for (const id of ['R1', 'R2', 'R3', 'R5', 'R7', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'S1'])
      expect({ id, reached: failing.has(id) }).toEqual({ id, reached: true });
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['claimed', 'raw', 'refused', 'crashed']));
    expect(
      rows.some((r) => r.outcome === 'claimed' && (r.message ?? '').startsWith('number of pfns truncated from')),
    ).toBe(true);
  });
  test('the info rules R4 and R6 run on every block that gets that far', () => {
    const r = rows.find((x) => x.outcome === 'claimed');
    const v = checkHead(fs.readFileSync(path.join(d, r?.file ?? '')), {
      nsBase: BigInt(r?.ns_base ?? '0x0'),
      nsSize: BigInt(r?.ns_size ?? '0x0'),
    });
    expect(v.rules.map((x) => x.id)).toEqual(expect.arrayContaining(['R4', 'R6']));
  });
});

describe.each<[ProfileId, string[]]>([
  ['linux-6.1', []],
  ['linux-latest', ['R15']],
  ['map', ['R15', 'M1', 'M2']],
  ['linux-4.x', []],
])('generator coverage under %s', (kernel, extra) => {
  test('every failing rule of the profile, S2 and claimed are reached in 300 inputs', () => {
    const g = new CorpusGenerator({ seed: 11n, kernel });
    const classes = new Set<string>();
    for (const inp of g.inputs(300))
      classes.add(
        verdictClass(
          inp.verdict ?? checkHead(headWithBlock(inp.block), { kernel, nsBase: inp.nsBase, nsSize: inp.nsSize }),
        ),
      );
    const want = [...PROFILES[kernel].rules.filter((r) => r.onFail !== 'info').map((r) => r.id), 'S2', ...extra];
    for (const id of want) expect({ id, reached: classes.has(id) }).toEqual({ id, reached: true });
  });
});

describe('formats', () => {
  test('--format block writes bare 4 KiB blocks', async () => {
    const d = await corpus('blocks', '--count', '40', '--format', 'block');
    const rows = manifest(d);
    for (const r of rows) {
      expect(r.file).toMatch(/^[0-9a-f]{16}\.block$/);
      const bytes = fs.readFileSync(path.join(d, r.file));
      expect(bytes.length).toBe(4096);
      expect(verifyChecksum(bytes)).toBe(r.checksum_valid);
    }
  });
  test('--format image writes sparse namespaces of ns_size named with their base', async () => {
    const d = await corpus('images', '--count', '30', '--format', 'image', '--ns-size', '32M');
    for (const r of manifest(d)) {
      expect(r.ns_size).toBe('0x2000000');
      expect(r.file).toBe(`${r.file.slice(0, 16)}-${r.ns_base}.img`);
      expect(r.kernel_check).toBe(`${r.file}@${r.ns_base}`);
      const st = fs.statSync(path.join(d, r.file));
      expect(st.size).toBe(32 << 20);
      expect(st.blocks * 512).toBeLessThan(1 << 20); // sparse
      const head = Buffer.alloc(HEAD_SIZE);
      const fd = fs.openSync(path.join(d, r.file), 'r');
      fs.readSync(fd, head, 0, HEAD_SIZE, 0);
      fs.closeSync(fd);
      expect(checkHead(head, { nsBase: BigInt(r.ns_base), nsSize: BigInt(r.ns_size) }).outcome).toBe(r.outcome);
    }
  });
});

describe('refusals', () => {
  test('a non-empty directory is refused without --force, accepted with it', async () => {
    fs.mkdirSync(dir('full'));
    fs.writeFileSync(path.join(dir('full'), 'x'), 'x');
    const r = await run(['corpus', '--out', dir('full'), '--count', '3']);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`infoblock: '${dir('full')}' is not empty; pass --force`]);
    expect((await run(['corpus', '--out', dir('full'), '--count', '3', '--force'])).code).toBe(0);
  });
  test.each([
    [['--count', '0'], "invalid count '0' (expected 1..100000000)"],
    [['--count', 'ten'], "invalid count 'ten' (expected 1..100000000)"],
    [['--seed', 'xyz'], "invalid seed 'xyz' (expected a decimal or 0x hex u64)"],
    [['--seed', '0x1ffffffffffffffff'], "invalid seed '0x1ffffffffffffffff' (expected a decimal or 0x hex u64)"],
    [['--format', 'tar'], "invalid format 'tar' (expected head, block, image)"],
    [['--kernel', 'linux-2.6'], "unknown kernel 'linux-2.6' (older than 4.19): use a kernel version 4.19..7.2"],
    [['--ns-size', '100'], 'namespace size 100 must be a multiple of 4096, at least 8192'],
    [['--ns-size', '4K'], 'namespace size 4096 must be a multiple of 4096, at least 8192'],
    [['--ns-size', 'lots'], "failed to parse namespace size 'lots': unknown suffix 'lots' (use K, M, G or T)"],
  ])('bad arguments %j: exit 2, that error, nothing written', async (args, line) => {
    const r = await run(['corpus', '--out', dir(`bad-${args.join('')}`), ...args]);
    expect(r.code).toBe(2);
    expect(looksLikeStack(r.stderr)).toBe(false);
    expect(r.errLines).toEqual([expect.stringContaining(`infoblock: ${line}`)]);
    expect(fs.existsSync(dir(`bad-${args.join('')}`))).toBe(false);
  });
  test('--out is required', async () => {
    const r = await run(['corpus', '--count', '3']);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual(["infoblock: required option '--out <DIR>' not specified"]);
  });
  test('a non-empty directory: the library says what to pass (force), not a flag', () => {
    fs.mkdirSync(dir('full-lib'));
    fs.writeFileSync(path.join(dir('full-lib'), 'x'), 'x');
    const err = thrownBy(() => writeCorpus({ dir: dir('full-lib'), count: 1, seed: 1n }));
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).message).toBe(`'${dir('full-lib')}' is not empty`);
    expect((err as IoError).hint).toEqual({ pass: { force: true } });
  });
});

describe('coverage summary', () => {
  test.each([
    ['alignment: ffffffff exceeds capacity 1000000', 'alignment: # exceeds capacity #'],
    ['bad offset: 0x201000 dax disabled align: 0x200000', 'bad offset: # dax disabled align: #'],
    ['init failed, page size mismatch -1', 'init failed, page size mismatch #'],
    ['resource start misaligned', 'resource start misaligned'],
  ])('message kind of %s', (m, kind) => expect(messageKind(m)).toBe(kind));
});
