// --offset on every command that addresses a namespace (issue 22, item 3): a 256 MiB namespace at 8 MiB
// inside a 300 MiB disk image, its block zeroed, an ext4 in its data area. recover must propose and write
// the block at 8 MiB + 4096 (not at the file's 0x1000), scan must see the namespace's positions, labels
// must find a DIMM's label area from its offset.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { decodePfnBlock } from '../../src/format/pfn';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import { haveTools } from './fs-images';
import { describeIf } from '../support/skip';

const MiB = 1 << 20;
const AT = 8 * MiB;
const BASE = '0x140100000';
const tmp = useTmpDir('offset');
const suite = describeIf(haveTools(), 'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)');

function bytesAt(file: string, position: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, length, position);
  } finally {
    fs.closeSync(fd);
  }
  return b;
}

const mkfs = fs.existsSync('/usr/sbin/mkfs.ext4') ? '/usr/sbin/mkfs.ext4' : 'mkfs.ext4';

suite('a namespace at 8 MiB inside a 300 MiB image', () => {
  let disk: string;
  let original: Buffer;

  beforeAll(async () => {
    // The namespace alone first (write, mkfs), then copied into the disk image at 8 MiB.
    const ns = tmp.path('ns.img');
    fs.writeFileSync(ns, '');
    fs.truncateSync(ns, 256 * MiB);
    expect((await run(['write', '-o', ns, '-O', BASE, '--allow-hazard'])).code).toBe(0);
    execFileSync(mkfs, ['-q', '-F', '-E', `offset=${0x700000}`, ns, '253952k'], { stdio: 'ignore' });
    original = bytesAt(ns, 4096, 4096);
    disk = tmp.path('disk.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 300 * MiB);
    const fd = fs.openSync(disk, 'r+');
    const src = fs.openSync(ns, 'r');
    try {
      const b = Buffer.alloc(MiB);
      for (let p = 0; p < 256 * MiB; p += MiB) {
        fs.readSync(src, b, 0, MiB, p);
        if (b.some((x) => x !== 0)) fs.writeSync(fd, b, 0, MiB, AT + p);
      }
      fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, AT + 4096); // the block zeroed
    } finally {
      fs.closeSync(fd);
      fs.closeSync(src);
    }
  });

  test('scan --offset: positions count from the namespace; the JSON names the offset', async () => {
    const r = await run(['scan', disk, '--offset', '8M', '--to', '16M', '--json']);
    expect(r.code).toBe(0);
    const doc = json(r) as { offset: string; from: string; size: string; findings: { offset: string; kind: string }[] };
    expectSchema('scan', doc);
    expect([doc.offset, doc.from, doc.size]).toEqual(['0x800000', '0x0', `0x${(292 * MiB).toString(16)}`]);
    expect(doc.findings[0]).toMatchObject({ offset: '0x700000', kind: 'ext4' });
  });

  test('recover --offset proposes the block for the namespace, not for the file', async () => {
    const r = await run(['recover', disk, '--offset', '8M', '--ns-size', '256M', '--ns-base', BASE, '--json']);
    expect(r.code).toBe(0);
    const plan = json(r) as Record<string, unknown> & { candidates: { data_start: string }[] };
    expectSchema('recover', plan);
    expect(plan).toMatchObject({ offset: '0x800000', ns_size: '0x10000000', status: 'proposed' });
    expect(plan.candidates[0]?.data_start).toBe('0x700000');
  });

  test('recover --offset --write writes at 8 MiB + 4096; check --offset claims; restore undoes', async () => {
    const u = decodePfnBlock(original).fields.uuid; // the old uuid: the block comes back byte for byte
    const before = bytesAt(disk, 4096, 4096);
    const r = await run(['recover', disk, '--offset', '8M', '--ns-size', '256M', '--ns-base', BASE, '--uuid', u]);
    expect(r.code).toBe(0);
    const w = await run([
      'recover',
      disk,
      '--offset',
      '8M',
      '--ns-size',
      '256M',
      '--ns-base',
      BASE,
      '--uuid',
      u,
      '--write',
      '--allow-hazard', // start_pad 1 MiB: a DAX hazard the test accepts
    ]);
    expect(w.code).toBe(0);
    expect(w.out).toContain('wrote candidate #1 at 0x801000');
    expect(w.out).toMatch(/undo: infoblock restore \S+ --offset 8M --ns-base 0x140100000 --ns-size 256M --backup /);
    expect(bytesAt(disk, AT + 4096, 4096)).toEqual(original);
    expect(bytesAt(disk, 4096, 4096)).toEqual(before); // the file's own 0x1000 untouched
    const c = await run(['check', disk, '--offset', '8M', '--ns-size', '256M', '--ns-base', BASE, '--json']);
    expect(json(c)).toMatchObject({ outcome: 'claimed', data_start: '0x700000' });
  });

  test('recover --offset refuses an offset past the end or not on a page', async () => {
    expect((await run(['recover', disk, '--offset', '301M', '--ns-base', BASE])).errLines).toEqual([
      `infoblock: --offset 315621376 is past the end of '${disk}' (314572800 bytes)`,
    ]);
    expect((await run(['recover', disk, '--offset', '100', '--ns-base', BASE])).errLines).toEqual([
      'infoblock: --offset 100 is not a multiple of 4096',
    ]);
  });
});

describe('labels --offset: a DIMM at 8 MiB inside a larger image', () => {
  test('write then read the label area at the end of the DIMM; the bytes before it untouched', async () => {
    const img = tmp.path('dimm-in-disk.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 8 * MiB + 66 * MiB);
    const ns = 'uuid=aaaaaaaa-bbbb-4ccc-8ddd-000000000001,size=16M,name=db';
    const w = await run(['labels', 'write', img, '--offset', '8M', '--label-size', '128K', '--namespace', ns]);
    expect(w.code).toBe(0);
    expect(w.stderr).toBe('wrote 1 label (v1.2, cookie 0xba90120012b4dc) for a 69074944-byte DIMM\n');
    const r = await run(['labels', 'read', img, '--offset', '8M', '--label-size', '128K', '--json']);
    expect(json(r)).toMatchObject({ current_index: 0, label: [{ name: 'db', dpa: '0x0', rawsize: '0x1000000' }] });
    expect(bytesAt(img, 0, 8 * MiB).every((x) => x === 0)).toBe(true);
    // The DIMM runs from 8 MiB to the end of the file: without the offset the capacity would be 8 MiB more.
    const whole = await run(['labels', 'write', img, '--label-size', '128K', '--lsa', tmp.path('lsa.bin')]);
    expect(whole.stderr).toBe(`wrote 0 labels (v1.2, cookie 0xba90120012b4dc) for a ${69074944 + 8 * MiB}-byte DIMM\n`);
  });
});
