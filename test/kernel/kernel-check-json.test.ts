// kernel-check's JSON contract and --compare logic, offline: documents built
// through the command's own code path (kernelCheckBody + jsonText) from the
// real kernels' stored observations (test/kernel/observed/*.jsonl, crashes
// included), tampered documents rejected, the text line and exit status of a
// crash, the manifest comparison and its report, and the bigint-only entry
// points. The booted counterparts are in harness.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  compareDocumentBody,
  compareReport,
  kernelCheckBody,
  kernelCheckStatus,
  verdictLine,
  type KernelCheckItem,
} from '../../src/cli/kernel-check';
import { jsonText, schemaId } from '../../src/format/json';
import { InvalidArgumentError } from '../../src/format/errors';
import {
  bootImages,
  kernelCheck,
  kernelCheckDetailed,
  type KernelObservation,
  type KernelVerdict,
} from '../../src/kernel';
import { KernelHarnessError } from '../../src/kernel/errors';
import { kernelDecidingMessage } from '../../src/kernel/compare';
import { compareManifest, parseManifest, placedPrediction, type ManifestPrediction } from '../../src/kernel/manifest';
import { prepareKernelAssets } from '../../src/kernel/assets';
import { expectSchema, schemaErrors } from '../support/schema';
import { thrownBy } from '../support/errors';

interface Stored {
  kernel: string;
  version: string;
  id: string;
  observed: {
    outcome: KernelVerdict['outcome'];
    errno: number | null;
    message: string | null;
    messages: string[];
    data_start: string | null;
    data_size: string | null;
  };
}

const OBSERVED = path.join(__dirname, 'observed');
const VERSIONS = fs.readdirSync(OBSERVED).map((f) => f.replace(/\.jsonl$/, ''));
const big = (s: string | null): bigint | null => (s === null ? null : BigInt(s));

function stored(version: string): Stored[] {
  return fs
    .readFileSync(path.join(OBSERVED, `${version}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Stored);
}

/** A stored observation as the verdict the harness made of it (kind/mode are not stored: a claim's kind is pfn). */
function verdictOf(o: Stored['observed']): KernelVerdict {
  return {
    outcome: o.outcome,
    kind: o.outcome === 'claimed' ? 'pfn' : null,
    mode: null,
    errno: o.errno,
    message: o.message,
    messages: o.messages,
    dataStart: big(o.data_start),
    dataSize: big(o.data_size),
  };
}

/** A boot's observation of an image placed at `guestBase` under the name `namespace` (the fields compare reads). */
function observation(image: string, base: bigint, guestBase: bigint, namespace: string): KernelObservation {
  return {
    image,
    base,
    guestBase,
    relocationModulus: 1n << 30n,
    size: 64n << 20n,
    boot: 1,
    boots: 1,
    region: 'region0',
    regionResource: guestBase,
    namespace,
    namespaceMode: 'raw',
    holder: null,
    claim: null,
    blockDevice: null,
    daxDevice: null,
    dataStart: null,
    dataSize: null,
    probeErrno: null,
    messages: [],
    devices: {},
    kernelRelease: '6.1.0-56-amd64',
    crash: null,
  };
}

const BASE = 0x1_0010_0000n;

describe.each(VERSIONS)('kernel-check documents from the stored Linux %s observations', (version) => {
  const rows = stored(version);
  const items: KernelCheckItem[] = rows.map((r) => ({
    spec: { path: `${r.id}.img`, base: BASE },
    verdict: verdictOf(r.observed),
  }));
  const doc = JSON.parse(
    jsonText('kernel-check', kernelCheckBody(items, { version, release: rows[0]?.kernel ?? null, image: null })),
  ) as { schema: string; verdicts: Record<string, unknown>[] };

  test(`all ${rows.length} verdicts in one document that follows schemas/kernel-check.schema.json`, () => {
    expect(rows.length).toBeGreaterThan(400);
    expectSchema('kernel-check', doc);
    expect(doc.schema).toBe(schemaId('kernel-check'));
    expect(doc.verdicts).toHaveLength(rows.length);
  });
  test('u64 values are exact "0x…" strings, keys as everywhere else', () => {
    const claimed = doc.verdicts.find((v) => v['outcome'] === 'claimed');
    expect(Object.keys(claimed ?? {})).toEqual([
      'file',
      'ns_base',
      'outcome',
      'kind',
      'mode',
      'errno',
      'message',
      'messages',
      'data_start',
      'data_size',
    ]);
    expect(claimed?.['ns_base']).toBe('0x100100000');
    expect(claimed?.['data_size']).toMatch(/^0x[0-9a-f]+$/);
  });
  test('the exit status counts every raw, refused or crashed image as not claimed', () => {
    const allClaimed = items.every((it) => it.verdict.outcome === 'claimed');
    expect(kernelCheckStatus(items)).toBe(allClaimed ? 0 : 1);
    expect(kernelCheckStatus(items.filter((it) => it.verdict.outcome === 'claimed'))).toBe(0);
  });
});

describe('crashed verdicts', () => {
  const crashes = VERSIONS.flatMap((v) => stored(v)).filter((r) => r.observed.outcome === 'crashed');
  test('the stored observations hold real crashes (5.10 and 6.1 oops on a negative data area)', () => {
    expect(crashes.length).toBeGreaterThanOrEqual(4);
  });
  test('a document of crashed verdicts follows the schema, outcome "crashed", no errno, no data', () => {
    const items = crashes.map((r) => ({ spec: { path: r.id, base: BASE }, verdict: verdictOf(r.observed) }));
    const doc: unknown = JSON.parse(
      jsonText('kernel-check', kernelCheckBody(items, { version: '6.1', release: null, image: null })),
    );
    expectSchema('kernel-check', doc);
    for (const v of (doc as { verdicts: Record<string, unknown>[] }).verdicts)
      expect(v).toMatchObject({ outcome: 'crashed', errno: null, data_start: null, data_size: null });
  });
  test('the text line says the guest kernel crashed, with the oops headline', () => {
    const r = crashes.find((c) => c.version === '6.1');
    expect(verdictLine(`neg.img@0x100100000`, verdictOf(r?.observed ?? ({} as Stored['observed'])))).toBe(
      'neg.img@0x100100000: crashed: the guest kernel crashed with this namespace attached (booted alone): ' +
        `${(r?.observed.message ?? '').replace('kernel crashed: ', '')}`,
    );
    expect(
      kernelCheckStatus([{ spec: { path: 'x', base: BASE }, verdict: verdictOf(r?.observed ?? crashes[0]!.observed) }]),
    ).toBe(1);
  });
  test('a refusal and a claim keep their one-line shape', () => {
    const refused: KernelVerdict = {
      outcome: 'refused',
      kind: 'pfn',
      mode: null,
      errno: 95,
      message: 'bad offset: 0x1100000 dax disabled align: 0x200000',
      messages: [],
      dataStart: null,
      dataSize: null,
    };
    expect(verdictLine('a.img@0x100100000', refused)).toBe(
      'a.img@0x100100000: refused pfn errno=95 (EOPNOTSUPP): bad offset: 0x1100000 dax disabled align: 0x200000',
    );
    const claimed: KernelVerdict = {
      ...refused,
      outcome: 'claimed',
      mode: 'pmem',
      errno: null,
      message: null,
      dataStart: 0x200000n,
      dataSize: 0x3e00000n,
    };
    expect(verdictLine('a.img@0x100000000', claimed)).toBe(
      'a.img@0x100000000: claimed pfn mode=pmem data_start=0x200000 data_size=0x3e00000',
    );
  });
});

describe('labelled DIMMs (--label-size)', () => {
  test('each namespace the kernel created, with its verdict, in a document that follows the schema', () => {
    const dimm = observation('dimm.img', 0x1_0000_0000n, 0x1_0000_0000n, 'namespace0.0');
    const db = {
      ...observation('dimm.img', 0x1_0000_0000n, 0x1_0000_0000n, 'namespace0.0'),
      namespaceMode: 'dax',
      claim: {
        kind: 'dax' as const,
        device: 'dax0.1',
        driver: 'dax_pmem',
        mode: 'pmem',
        resource: 0x1_0020_0000n,
        size: 0xe0_0000n,
        align: 0x20_0000n,
        uuid: null,
      },
      dataStart: 0x1_0020_0000n,
      dataSize: 0xe0_0000n,
    };
    const scratch = {
      ...observation('dimm.img', 0x1_0200_0000n, 0x1_0200_0000n, 'namespace0.1'),
      blockDevice: { name: 'pmem0.1', parent: 'namespace0.1', size: 0x100_0000n, firstBytes: null },
    };
    dimm.setCookie = 0xba90120012b4dcn;
    dimm.namespaces = [
      {
        name: 'namespace0.0',
        altName: 'db',
        uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001',
        size: 0x100_0000n,
        resource: 0x1_0000_0000n,
        dpa: 0n,
        observation: db,
      },
      {
        name: 'namespace0.1',
        altName: null,
        uuid: null,
        size: 0x100_0000n,
        resource: 0x1_0200_0000n,
        dpa: 0x200_0000n,
        observation: scratch,
      },
    ];
    const item = {
      spec: { path: 'dimm.img', base: 0x1_0000_0000n, labelSize: 0x2_0000n },
      verdict: verdictOf(stored('6.1')[0]!.observed),
      observation: dimm,
    };
    const doc: unknown = JSON.parse(
      jsonText('kernel-check', kernelCheckBody([item], { version: '6.1', release: null, image: null }, true)),
    );
    expectSchema('kernel-check', doc);
    const v = (doc as { verdicts: { set_cookie: string; namespaces: Record<string, unknown>[] }[] }).verdicts[0];
    expect(v?.set_cookie).toBe('0xba90120012b4dc');
    expect(
      v?.namespaces.map((n) => [n['name'], n['alt_name'], n['dpa'], (n['verdict'] as { outcome: string }).outcome]),
    ).toEqual([
      ['namespace0.0', 'db', '0x0', 'claimed'],
      ['namespace0.1', null, '0x2000000', 'raw'],
    ]);
    expect(kernelCheckStatus([item], true)).toBe(1); // a raw namespace is not a claim
  });
});

describe('the schema can fail', () => {
  const rows = stored('6.1');
  const items = rows.slice(0, 40).map((r) => ({ spec: { path: r.id, base: BASE }, verdict: verdictOf(r.observed) }));
  const good = (): Record<string, unknown> =>
    JSON.parse(
      jsonText('kernel-check', kernelCheckBody(items, { version: '6.1', release: 'x', image: null })),
    ) as Record<string, unknown>;
  const first = (d: Record<string, unknown>): Record<string, unknown> =>
    (d['verdicts'] as Record<string, unknown>[])[0] ?? {};
  test('the untampered document passes', () => expectSchema('kernel-check', good()));
  test.each<[string, (d: Record<string, unknown>) => unknown]>([
    ['a bare array of verdicts (the old output)', (d) => d['verdicts']],
    ['an unknown outcome', (d) => void (first(d)['outcome'] = 'exploded')],
    ['data_start as a number', (d) => void (first(d)['data_start'] = 2097152)],
    ['ns_base as bare digits', (d) => void (first(d)['ns_base'] = '4296015872')],
    [
      'the camelCase key dataSize',
      (d) => void ((first(d)['dataSize'] = first(d)['data_size']), delete first(d)['data_size']),
    ],
    ['no kernel', (d) => void delete d['kernel']],
    ['a negative errno', (d) => void (first(d)['errno'] = -95)],
    ['the check schema id', (d) => void (d['schema'] = 'urn:nd-infoblock:schema:check')],
  ])('%s is rejected', (_name, tamper) => {
    const d = good();
    const replaced = tamper(d);
    expect(schemaErrors('kernel-check', replaced ?? d)).not.toEqual([]);
  });
});

/** A manifest row predicting exactly what the kernel showed (as writeCorpus would have written it). */
function rowText(file: string, v: KernelVerdict, extra: Record<string, unknown> = {}): string {
  const hex = (x: bigint | null): string | null => (x === null ? null : `0x${x.toString(16)}`);
  return JSON.stringify({
    schema: schemaId('corpus-manifest'),
    schema_version: 2,
    file,
    index: 0,
    seed_index: 0,
    mutation: 'none',
    target: 'any',
    kernel: 'linux-6.1',
    ns_base: hex(BASE),
    ns_size: '0x4000000',
    checksum_valid: true,
    outcome: v.outcome,
    kind: v.kind,
    mode: v.mode,
    errno: v.errno,
    message:
      v.outcome === 'crashed'
        ? 'kernel crash: BUG: unable to handle page fault (pmem_do_read)'
        : kernelDecidingMessage(v),
    data_start: hex(v.dataStart),
    data_size: hex(v.dataSize),
    failed_rule: null,
    ...extra,
  });
}

describe('--compare: manifest rows against the kernel (stored 6.1 observations)', () => {
  const rows = stored('6.1').filter((r) => !(r.observed.outcome === 'claimed' && r.observed.messages.length > 0));
  const verdicts = rows.map((r) => verdictOf(r.observed));
  const text = rows.map((r, i) => rowText(`${r.id}.img`, verdicts[i] as KernelVerdict)).join('\n');
  const obs = rows.map((r) => observation(`${r.id}.img`, BASE, BASE, 'namespace0.0'));

  test('the manifest text is read back as predictions (hex strings to bigints)', () => {
    const m = parseManifest(text, 'm.jsonl');
    expect(m).toHaveLength(rows.length);
    expect(m[0]).toMatchObject({ file: `${rows[0]?.id}.img`, line: 1, nsBase: BASE, nsSize: 64n << 20n });
  });
  test('rows that predict what the kernel did all agree: exit 0, one summary line', () => {
    const cs = compareManifest(parseManifest(text, 'm.jsonl'), verdicts, obs);
    const crashed = verdicts.filter((v) => v.outcome === 'crashed').length;
    expect(crashed).toBe(2);
    expect(compareReport('m.jsonl', cs)).toEqual({
      lines: [`m.jsonl: ${rows.length} of ${rows.length} rows agree with the kernel (2 crashed the guest kernel)`],
      code: 0,
    });
  });
  test('a wrong prediction is one line naming the row and the fields: exit 1', () => {
    const lines = text.split('\n');
    const i = verdicts.findIndex((v) => v.outcome === 'refused' && v.errno === 95);
    lines[i] = rowText(`${rows[i]?.id}.img`, verdicts[i] as KernelVerdict, { errno: 22, mutation: 'flags=1' });
    const j = verdicts.findIndex((v) => v.outcome === 'claimed');
    lines[j] = rowText(`${rows[j]?.id}.img`, verdicts[j] as KernelVerdict, { data_size: '0x1' });
    const cs = compareManifest(parseManifest(lines.join('\n'), 'm.jsonl'), verdicts, obs);
    const size = `0x${(verdicts[j]?.dataSize ?? 0n).toString(16)}`;
    const want = [
      [i, `${rows[i]?.id}.img@0x100100000 (flags=1): errno: kernel 95 / validator 22`],
      [j, `${rows[j]?.id}.img@0x100100000 (none): data_size: kernel ${size} / validator 0x1`],
    ]
      .sort((a, b) => (a[0] as number) - (b[0] as number))
      .map((x) => x[1]);
    expect(compareReport('m.jsonl', cs)).toEqual({
      lines: [
        ...want,
        `m.jsonl: ${rows.length - 2} of ${rows.length} rows agree with the kernel, 2 disagree ` +
          '(2 crashed the guest kernel)',
      ],
      code: 1,
    });
  });
  test('--compare --json: the kernel-check document with the differences of each verdict and the counts', () => {
    const lines = text.split('\n');
    lines[0] = rowText(`${rows[0]?.id}.img`, verdicts[0] as KernelVerdict, { outcome: 'crashed' });
    const cs = compareManifest(parseManifest(lines.join('\n'), 'm.jsonl'), verdicts, obs);
    const body = compareDocumentBody('m.jsonl', cs, {});
    const doc = JSON.parse(jsonText('kernel-check', body)) as {
      kernel: unknown;
      verdicts: { differences: string[]; guest_base: string }[];
      compare: unknown;
    };
    expectSchema('kernel-check', doc);
    expect(doc.kernel).toEqual({ version: '6.1', release: '6.1.0-56-amd64', image: null });
    expect(doc.compare).toEqual({ manifest: 'm.jsonl', rows: rows.length, agree: rows.length - 1, disagree: 1 });
    expect(doc.verdicts[0]?.differences[0]).toMatch(/^outcome: kernel "\w+" \/ validator "crashed"$/);
    expect(doc.verdicts[0]?.guest_base).toBe('0x100100000');
    expect(doc.verdicts.slice(1).every((v) => v.differences.length === 0)).toBe(true);
    const tampered = structuredClone(doc) as Record<string, unknown>;
    (tampered['compare'] as Record<string, unknown>)['agree'] = '471';
    expect(schemaErrors('kernel-check', tampered)).not.toEqual([]);
  });
  test('a predicted crash matches a kernel crash by its oops headline, not its addresses', () => {
    const k = verdicts.find((v) => v.outcome === 'crashed') as KernelVerdict;
    const row = parseManifest(
      rowText('c.img', k, { message: 'kernel crash: BUG: unable to handle page fault (pmem_do_read)' }),
      'c',
    );
    expect(compareManifest(row, [k], [observation('c.img', BASE, BASE, 'namespace0.0')])[0]?.differences).toEqual([]);
  });
  test('the prediction moves with the namespace: its name and the addresses inside it', () => {
    const [row] = parseManifest(
      rowText('r.img', verdicts[0] as KernelVerdict, {
        outcome: 'refused',
        message: 'could not reserve region [mem 0x100100000-0x1040fffff] of namespace0.0, not 0x2000',
      }),
      'r',
    );
    expect(
      placedPrediction(row as ManifestPrediction, { guestBase: 0x3_0010_0000n, namespace: 'namespace7.0' }).message,
    ).toBe('could not reserve region [mem 0x300100000-0x3040fffff] of namespace7.0, not 0x2000');
  });
});

describe('manifest errors are one bad-manifest line', () => {
  const ok = rowText('a.img', {
    outcome: 'raw',
    kind: null,
    mode: null,
    errno: null,
    message: null,
    messages: [],
    dataStart: 0n,
    dataSize: 64n << 20n,
  });
  test.each<[string, string, string]>([
    ['not JSON', '{', 'm line 1: not JSON'],
    ['an array', '[]', 'm line 1: not a JSON object'],
    [
      'no schema (a row of the old writer)',
      JSON.stringify({ file: 'a.img', ns_base: 4296015872 }),
      `m line 1: not a corpus manifest row (schema is not ${schemaId('corpus-manifest')})`,
    ],
    [
      'ns_base as a number',
      ok.replace('"ns_base":"0x100100000"', '"ns_base":4296015872'),
      'm line 1: ns_base is not a "0x…" hex string',
    ],
    [
      'a file outside the directory',
      ok.replace('"file":"a.img"', '"file":"../a.img"'),
      "m line 1: file '../a.img' is not a name inside the corpus directory",
    ],
    [
      'an unknown outcome',
      ok.replace('"outcome":"raw"', '"outcome":"lost"'),
      'm line 1: outcome is missing or of the wrong type',
    ],
    ['nothing', '\n\n', 'm has no rows'],
  ])('%s', (_name, text, message) => {
    const err = thrownBy(() => parseManifest(text, 'm'));
    expect(err).toBeInstanceOf(KernelHarnessError);
    expect({ code: (err as KernelHarnessError).code, message: (err as Error).message }).toEqual({
      code: 'bad-manifest',
      message,
    });
  });
  test('the second line is named when it is the bad one', () => {
    expect(() => parseManifest(`${ok}\n{"schema":1}`, 'm')).toThrow('m line 2: not a corpus manifest row');
  });
});

describe('public entry points take bigints only', () => {
  const spec = (o: Record<string, unknown>): never => ({ path: 'a.img', base: 0x100000000n, ...o }) as never;
  test.each<[string, () => Promise<unknown>, string]>([
    ['kernelCheck base', () => kernelCheck([spec({ base: 4294967296 })]), 'specs'],
    ['kernelCheckDetailed base', () => kernelCheckDetailed([spec({}), spec({ base: 4294967296 })]), 'specs'],
    ['kernelCheckDetailed labelSize', () => kernelCheckDetailed([spec({ labelSize: 131072 })]), 'specs'],
    ['bootImages base', () => bootImages([spec({ base: 1 })]), 'images'],
    ['bootImages negative base', () => bootImages([spec({ base: -1n })]), 'images'],
    ['bootImages labelSize', () => bootImages([spec({ labelSize: 131072 })]), 'images'],
  ])('%s', async (_name, call, _what) => {
    const err = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toMatch(/^images\[\d\]\.(base|labelSize)$/);
  });
});

describe('hints instead of flags', () => {
  test.each<[string, Record<string, string>, Record<string, string>]>([
    ['a kernel image without its modules', { kernelImage: '/nonexistent/bzImage' }, { modulesDir: '<DIR>' }],
    ['modules without a kernel image', { modulesDir: '/nonexistent/modules' }, { kernelImage: '<PATH>' }],
  ])('%s: a hint to pass the other, no flag in the message', async (_name, opts, pass) => {
    const err = await prepareKernelAssets({ ...opts, cacheDir: '/nonexistent-cache-dir-never-made' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KernelHarnessError);
    expect((err as KernelHarnessError).message).toBe('a kernel image and its modules directory go together');
    expect((err as KernelHarnessError).hint).toEqual({ pass });
  });
  test('no message of src/kernel or src/corpus names one of our flags', () => {
    const src = path.join(__dirname, '..', '..', 'src');
    const offenders: string[] = [];
    for (const layer of ['kernel', 'corpus']) {
      // The TypeScript modules (src/kernel/guest holds the guest program's C source, no library message).
      for (const f of fs.readdirSync(path.join(src, layer)).filter((n) => n.endsWith('.ts'))) {
        const text = fs
          .readFileSync(path.join(src, layer, f), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, '');
        // String literals and template texts only (comments may name the command line).
        for (const m of text.matchAll(/(['`])((?:(?!\1)[^\\\n]|\\.)*)\1/g))
          if (/(^|\s)--(?!sparse|reflink|install|kernels|no-all-versions)[a-z]/.test(m[2] ?? ''))
            offenders.push(`${f}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
