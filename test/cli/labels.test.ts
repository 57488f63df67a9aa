import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { run } from '../support/run';
import { interleaveSetCookie, qemuDimm } from '../../src/format/labels';
import { decodeLabelArea, restampCookies } from '../../src/format/labels-area';
import { dimmLayout, parseNamespaceSpec } from '../../src/format/labels-spec';
import { InvalidArgumentError } from '../../src/format/errors';

const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';
let dir: string;
let img: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-labels-'));
  img = path.join(dir, 'dimm with space.img');
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 66 * 1024 * 1024);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('labels write then read', () => {
  test('two namespaces, the second placed after the first; JSON keys as ndctl read-labels', async () => {
    const nsArgs = ['--namespace', `uuid=${U1},size=16M,name=first`, '--namespace', `uuid=${U2},size=8M`];
    const w = await run(['labels', 'write', img, '--label-size', '128K', ...nsArgs]);
    expect(w.status).toBe(0);
    expect(w.stderr).toBe('wrote 2 labels (v1.2, cookie 0xba90120012b4dc) for a 69074944-byte DIMM\n');
    const r = await run(['labels', 'read', img, '--label-size', '128K', '--json']);
    expect(r.status).toBe(0);
    type Label = { uuid: string; name: string; dpa: number; rawsize: number; type_guid: string };
    const j = JSON.parse(r.stdout.toString()) as { current_index: number; label: Label[] };
    expect(j.current_index).toBe(0);
    expect(j.label.map((l) => [l.uuid, l.name, l.dpa, l.rawsize])).toEqual([
      [U1, 'first', 0, 16777216],
      [U2, '', 16777216, 8388608],
    ]);
    expect(j.label[0]?.type_guid).toBe('66f0d379-b4f3-4074-ac43-0d3318b78cdb');
  });
  test('--lsa writes a dump and leaves the image alone; read --lsa decodes it', async () => {
    const lsa = path.join(dir, 'area.bin');
    const args = ['--label-size', '128K', '--label-version', '1.1', '--lsa', lsa, '--namespace', `uuid=${U1},size=2M`];
    expect((await run(['labels', 'write', img, ...args])).status).toBe(0);
    expect(fs.readFileSync(img).some((b) => b !== 0)).toBe(false);
    const r = await run(['labels', 'read', '--lsa', lsa]);
    expect(r.stdout.toString()).toMatch(/labels v1\.1, current index: 0 .*\n/);
    expect(r.stdout.toString()).toMatch(/\n {2}slot 0: aaaaaaaa-bbbb-4ccc-8ddd-000000000001 dpa 0x0 size 2097152 /);
    expect(r.stdout.toString()).toMatch(/ cookie 0x2468ac00123456\n$/);
  });
});

describe('bad input: one line, exit 2', () => {
  test.each([
    ['label size below QEMU minimum', ['--label-size', '64K', '--namespace', `uuid=${U1},size=2M`], /below QEMU's min/],
    ['namespace larger than the DIMM', ['--label-size', '128K', '--namespace', `uuid=${U1},size=80M`], /exceeds/],
    [
      'overlap',
      ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M`, '--namespace', `uuid=${U2},size=4M,dpa=2M`],
      /overlap/,
    ],
    ['unknown key', ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M,colour=red`], /is not one of uuid=/],
    ['missing size', ['--label-size', '128K', '--namespace', `uuid=${U1}`], /uuid= and size= are required/],
    ['bad uuid', ['--label-size', '128K', '--namespace', 'uuid=nope,size=4M'], /invalid uuid 'nope'/],
    ['bad claim', ['--label-size', '128K', '--namespace', `uuid=${U1},size=4M,claim=raid`], /claim 'raid'/],
    ['no --label-size', ['--namespace', `uuid=${U1},size=4M`], /--label-size is required/],
    ['bad slot', ['--label-size', '128K', '--slot', '300', '--namespace', `uuid=${U1},size=4M`], /invalid slot/],
  ])('%s', async (_n, args, msg) => {
    const r = await run(['labels', 'write', img, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
  test('read of a missing image', async () => {
    const r = await run(['labels', 'read', path.join(dir, 'nope.img'), '--label-size', '128K']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^infoblock: .*nope\.img/);
  });
  test('check --label-size refuses --parent-uuid', async () => {
    const r = await run(['check', img, '--label-size', '128K', '--parent-uuid', U1]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/drop --offset, --ns-size and --parent-uuid/);
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
