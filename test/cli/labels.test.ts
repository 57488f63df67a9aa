// infoblock labels read|write: the label area round trip, the labels JSON
// document (schemas/labels.schema.json) on every area the tests build, the
// exact refusals, and the layout helpers.
import * as fs from 'node:fs';

import { json, run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import { interleaveSetCookie, qemuDimm } from '../../src/format/labels';
import { decodeLabelArea, restampCookies } from '../../src/format/labels-area';
import { dimmLayout, parseNamespaceSpec } from '../../src/format/labels-spec';
import { InvalidArgumentError } from '../../src/format/errors';

const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';
const tmp = useTmpDir('labels');
let img: string;
let n = 0;

beforeEach(() => {
  img = tmp.file(`dimm with space ${n++}.img`, '');
  fs.truncateSync(img, 66 * 1024 * 1024);
});

describe('labels write then read', () => {
  test('two namespaces, the second placed after the first; JSON keys as ndctl read-labels', async () => {
    const nsArgs = ['--namespace', `uuid=${U1},size=16M,name=first`, '--namespace', `uuid=${U2},size=8M`];
    const w = await run(['labels', 'write', img, '--label-size', '128K', ...nsArgs]);
    expect(w.status).toBe(0);
    expect(w.stderr).toBe('wrote 2 labels (v1.2, cookie 0xba90120012b4dc) for a 69074944-byte DIMM\n');
    const r = await run(['labels', 'read', img, '--label-size', '128K', '--json']);
    expect(r.status).toBe(0);
    type Label = { uuid: string; name: string; dpa: string; rawsize: string; type_guid: string };
    const j = json(r) as { file: string; current_index: number; label: Label[] };
    expectSchema('labels', j);
    expect(j.file).toBe(img);
    expect(j.current_index).toBe(0);
    expect(j.label.map((l) => [l.uuid, l.name, l.dpa, l.rawsize])).toEqual([
      [U1, 'first', '0x0', '0x1000000'],
      [U2, '', '0x1000000', '0x800000'],
    ]);
    expect(j.label[0]?.type_guid).toBe('66f0d379-b4f3-4074-ac43-0d3318b78cdb');
  });
  test('--lsa writes a dump and leaves the image alone; read --lsa decodes it', async () => {
    const lsa = tmp.path(`area-${n}.bin`);
    const args = ['--label-size', '128K', '--label-version', '1.1', '--lsa', lsa, '--namespace', `uuid=${U1},size=2M`];
    expect((await run(['labels', 'write', img, ...args])).status).toBe(0);
    expect(fs.readFileSync(img).some((b) => b !== 0)).toBe(false);
    const r = await run(['labels', 'read', '--lsa', lsa]);
    expect(r.stdout.toString()).toMatch(/labels v1\.1, current index: 0 .*\n/);
    expect(r.stdout.toString()).toMatch(/\n {2}slot 0: aaaaaaaa-bbbb-4ccc-8ddd-000000000001 dpa 0x0 size 2097152 /);
    expect(r.stdout.toString()).toMatch(/ cookie 0x2468ac00123456\n$/);
  });
});

describe('bad input: exit 2 and the one specific error line', () => {
  const ns = (spec: string): string => `malformed namespace spec '${spec}'`;
  test.each([
    [
      'label size below QEMU minimum',
      ['--label-size', '64K', '--namespace', `uuid=${U1},size=2M`],
      "label size 65536 is below QEMU's minimum of 131072 bytes (128 KiB)",
    ],
    [
      'namespace larger than the DIMM',
      ['--label-size', '128K', '--namespace', `uuid=${U1},size=80M`],
      'namespace 1: dpa 0 + size 83886080 exceeds the DIMM capacity 69074944',
    ],
    [
      'overlap',
      ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M`, '--namespace', `uuid=${U2},size=4M,dpa=2M`],
      'namespaces 1 and 2 overlap',
    ],
    [
      'unknown key',
      ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M,colour=red`],
      `${ns(`uuid=${U1},size=4M,colour=red`)}: 'colour=red' is not one of uuid=, size=, name=, dpa=, claim=`,
    ],
    [
      'missing size',
      ['--label-size', '128K', '--namespace', `uuid=${U1}`],
      `${ns(`uuid=${U1}`)}: uuid= and size= are required`,
    ],
    [
      'bad uuid',
      ['--label-size', '128K', '--namespace', 'uuid=nope,size=4M'],
      `${ns('uuid=nope,size=4M')}: invalid uuid 'nope'`,
    ],
    [
      'bad claim',
      ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M,claim=raid`],
      `${ns(`uuid=${U1},size=4M,claim=raid`)}: claim 'raid' is not one of none, btt, btt2, pfn, dax`,
    ],
    ['no --label-size', ['--namespace', `uuid=${U1},size=4M`], '--label-size is required'],
    [
      'bad slot',
      ['--label-size', '128K', '--slot', '300', '--namespace', `uuid=${U1},size=4M`],
      "invalid slot '300' (0 to 255)",
    ],
  ])('%s', async (_n, args, line) => {
    const r = await run(['labels', 'write', img, ...args]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([`infoblock: ${line}`]);
  });
  test('read of a missing image: the io error, also as an error document under --json', async () => {
    const nope = tmp.path('nope.img');
    const r = await run(['labels', 'read', nope, '--label-size', '128K', '--json']);
    expect(r.status).toBe(2);
    const line = `cannot open '${nope}': no such file or directory; check the path`;
    expect(r.errLines).toEqual([`infoblock: ${line}`]);
    expect(json(r)).toEqual({
      schema: 'urn:nd-infoblock:schema:error',
      schema_version: 1,
      error: { code: 'io', message: line, exit_code: 2 },
    });
  });
  test('check --label-size refuses --parent-uuid', async () => {
    const r = await run(['check', img, '--label-size', '128K', '--parent-uuid', U1]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([
      'infoblock: --label-size takes the namespaces from the labels: drop --offset, --ns-size and --parent-uuid',
    ]);
  });
});

describe('labels read --json: one labels document for every area the tests build', () => {
  const write = async (...args: string[]): Promise<void> =>
    expect((await run(['labels', 'write', img, '--label-size', '128K', ...args])).status).toBe(0);
  const read = async (...extra: string[]): Promise<Record<string, unknown>> => {
    const r = await run(['labels', 'read', img, '--label-size', '128K', '--json', ...extra]);
    expect(r.status).toBe(0);
    return json(r) as Record<string, unknown>;
  };
  test.each<[string, string[][]]>([
    ['all-zero image: no valid index', []],
    ['v1.2, one named namespace', [['--namespace', `uuid=${U1},size=16M,name=data`]]],
    [
      'v1.1, two namespaces',
      [['--label-version', '1.1', '--namespace', `uuid=${U1},size=4M`, '--namespace', `uuid=${U2},size=4M`]],
    ],
    [
      'v1.2 with claims and a foreign slot',
      [['--slot', '5', '--namespace', `uuid=${U1},size=4M,claim=pfn`, '--namespace', `uuid=${U2},size=4M,claim=btt`]],
    ],
    [
      'rewritten (v1.1 over v1.2)',
      [
        ['--namespace', `uuid=${U1},size=4M`],
        ['--label-version', '1.1', '--namespace', `uuid=${U2},size=2M,dpa=8M`],
      ],
    ],
  ])('%s', async (_name, writes) => {
    for (const w of writes) await write(...w);
    const doc = await read();
    expectSchema('labels', doc);
    expect(doc['schema']).toBe('urn:nd-infoblock:schema:labels');
  });
  test('a broken label is listed with its problem and still follows the schema', async () => {
    await write('--namespace', `uuid=${U1},size=4M`, '--namespace', `uuid=${U2},size=4M`);
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from([0x51]), 0, 1, 66 * 1024 * 1024 - 128 * 1024 + 512 + 256 + 20);
    fs.closeSync(fd);
    const doc = (await read()) as { label: { problems: string[] }[] };
    expectSchema('labels', doc);
    expect(doc.label.map((l) => l.problems)).toEqual([[], ['checksum mismatch']]);
  });
  test('--lsa dumps too', async () => {
    const lsa = tmp.path(`dump-${n}.bin`);
    await write('--lsa', lsa, '--namespace', `uuid=${U1},size=2M`);
    const r = await run(['labels', 'read', '--lsa', lsa, '--json']);
    expect(r.status).toBe(0);
    expectSchema('labels', json(r));
    expect((json(r) as { file: string }).file).toBe(lsa);
  });
  test.each<[string, (d: Record<string, unknown>) => void]>([
    ['dpa as a number (the old writer)', (d) => void ((d['label'] as Record<string, unknown>[])[0]!['dpa'] = 0)],
    ['isetcookie without 0x', (d) => void ((d['label'] as Record<string, unknown>[])[0]!['isetcookie'] = 'ba90')],
    ['camelCase currentIndex', (d) => void ((d['currentIndex'] = d['current_index']), delete d['current_index'])],
    ['current_index 2', (d) => void (d['current_index'] = 2)],
    ['an extra member', (d) => void (d['extra'] = true)],
    ['no file', (d) => void delete d['file']],
  ])('the schema rejects %s', async (_name, tamper) => {
    await write('--namespace', `uuid=${U1},size=4M`);
    const doc = await read();
    expectSchema('labels', doc);
    tamper(doc);
    expect(schemaErrors('labels', doc)).not.toEqual([]);
  });
});

describe('check --label-size', () => {
  test('an all-zero image has no valid index: one label-less namespace over the whole capacity, raw', async () => {
    const r = await run(['check', img, '--label-size', '128K', '--json']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout.toString()) as {
      namespaces: { uuid: string | null; size: string; verdict: { outcome: string } }[];
    };
    expect(j.namespaces.map((n) => [n.uuid, n.size, n.verdict.outcome])).toEqual([[null, '0x41e0000', 'raw']]);
  });
  test('a label with a foreign cookie is skipped: no namespace', async () => {
    await run(['labels', 'write', img, '--label-size', '128K', '--slot', '3', '--namespace', `uuid=${U1},size=4M`]);
    const r = await run(['check', img, '--label-size', '128K']);
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/0 namespace\(s\)\n {2}label in slot 0 \(aaaaaaaa-bbbb-4ccc-8ddd-0+1\) /);
    expect(r.stdout.toString()).toMatch(/\) skipped: isetcookie /);
    expect(r.stdout.toString()).toMatch(/isetcookie 0x[0-9a-f]+ is not the region's 0xba90120012b4dc\n$/);
    const at3 = await run(['check', img, '--label-size', '128K', '--slot', '3']);
    expect(at3.stdout.toString()).toMatch(/1 namespace\(s\)/);
  });
});

describe('spec parsing and the DIMM layout', () => {
  test('dpa defaults to the given next position', () => {
    const spec = parseNamespaceSpec(`uuid=${U1.toUpperCase()},size=2M,claim=btt`, 4096n);
    expect(spec).toEqual({ uuid: U1, size: 2n << 20n, dpa: 4096n, abstraction: 'btt' });
  });
  test('capacity is the bytes before the label area, down to a page', () => {
    const layout = dimmLayout(10n * 1024n * 1024n + 5000n, 128n * 1024n);
    expect(layout).toEqual({ capacity: 10358784n, labelOffset: 10359688n });
    expect(() => dimmLayout(128n * 1024n, 128n * 1024n)).toThrow(InvalidArgumentError);
  });
});

describe('restampCookies (the harness moves slot-0 labels to the booted slot)', () => {
  test('valid labels get the new cookie and a fresh checksum; a broken label stays broken', async () => {
    const nsArgs = ['--namespace', `uuid=${U1},size=4M`, '--namespace', `uuid=${U2},size=4M`];
    await run(['labels', 'write', img, '--label-size', '128K', ...nsArgs]);
    const area = new Uint8Array(fs.readFileSync(img).subarray(66 * 1024 * 1024 - 128 * 1024));
    area[512 + 256 + 20] = 0x51; // slot 1's name: its checksum no longer holds
    const cookies = (v: '1.1' | '1.2'): { from: bigint; to: bigint } => ({
      from: interleaveSetCookie(qemuDimm(0), v),
      to: interleaveSetCookie(qemuDimm(7), v),
    });
    expect(restampCookies(area, cookies)).toBe(2);
    const d = decodeLabelArea(area);
    expect(d.labels.map((l) => [l.fields.isetcookie, l.problems])).toEqual([
      [interleaveSetCookie(qemuDimm(7), '1.2'), []],
      [interleaveSetCookie(qemuDimm(7), '1.2'), ['checksum mismatch']],
    ]);
  });
});
