// The JSON contract of `scan --json` and `recover --json` (issue #12): real
// output over every sample head, a planted image holding pfn, BTT (primary and
// backup), ext4, XFS and btrfs structures, real ext4/XFS images in namespaces
// from our writer and ndctl (test/recover/fs-images.ts), recover dry runs and
// --write; u64 values above 2^53 exact; tampered documents rejected.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bttCodec, encodeBttBlock } from '../../src/format/btt';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { CASES, buildImage, haveTools } from '../recover/fs-images';
import { json, run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import { describeIf } from '../support/skip';

const tmp = useTmpDir('scan-json');
const SAMPLES = path.join(__dirname, '..', '..', 'samples');
const HEADS = ['', 'repair'].flatMap((d) =>
  fs
    .readdirSync(path.join(SAMPLES, d))
    .filter((n) => n.endsWith('.head'))
    .map((n) => path.join(d, n)),
);

interface Finding {
  offset: string;
  kind: string;
  ns_base?: string;
  start_pad?: string;
  verdict?: { kernel: string };
}
interface ScanDoc {
  file: string;
  size: string;
  ns_base: string;
  findings: Finding[];
}

/** pfn at 4 KiB, a damaged pfn copy, ext4 (primary), XFS, BTT primary + backup, btrfs: every finding kind. */
function planted(): Uint8Array {
  const img = new Uint8Array(8 << 20);
  const block = encodePfnBlock(
    recipeFields({ size: BigInt(img.byteLength), uuid: '11111111-2222-3333-4444-555555555555' }),
  );
  img.set(block, 4096);
  img.set(block, 3 << 20);
  img[(3 << 20) + 100] = 1;
  const ext = new DataView(img.buffer, (2 << 20) + 1024, 1024);
  ext.setUint32(0, 128, true);
  ext.setUint32(4, 256, true);
  ext.setUint32(24, 2, true);
  ext.setUint32(32, 32768, true);
  ext.setUint32(40, 128, true);
  ext.setUint16(56, 0xef53, true);
  ext.setUint32(76, 1, true);
  const xfs = new DataView(img.buffer, 4 << 20, 512);
  img.set([0x58, 0x46, 0x53, 0x42], 4 << 20);
  xfs.setUint32(4, 4096);
  xfs.setBigUint64(8, 256n);
  xfs.setUint32(84, 4096);
  xfs.setUint32(88, 4);
  const btt = encodeBttBlock({
    ...bttCodec.decode(new Uint8Array(4096)),
    signature: Uint8Array.from([...'BTT_ARENA_INFO'].map((ch) => ch.charCodeAt(0)).concat([0, 0])),
    externalLbasize: 4096n,
    externalNlba: 60,
    info2off: 0x40000n,
  });
  img.set(btt, 5 << 20);
  img.set(btt, (5 << 20) + 0x40000);
  const sb = (6 << 20) + 65536;
  img.set(
    [...'_BHRfS_M'].map((ch) => ch.charCodeAt(0)),
    sb + 64,
  );
  const dv = new DataView(img.buffer);
  dv.setBigUint64(sb + 48, 65536n, true);
  dv.setBigUint64(sb + 0x70, 1n << 20n, true);
  dv.setUint32(sb + 0x90, 4096, true);
  return img;
}

describe('scan --json follows schemas/scan.schema.json', () => {
  test.each(HEADS)('%s, at ns base 0 and above 2^53', async (name) => {
    for (const base of [undefined, '0xfffffffff0000000']) {
      const file = path.join(SAMPLES, name);
      const r = await run(['scan', file, '--json', ...(base === undefined ? [] : ['--ns-base', base])]);
      expect(r.code).toBe(0);
      const doc = json(r) as ScanDoc;
      expectSchema('scan', doc);
      expect(doc).toMatchObject({ file, size: '0x2000', ns_base: base ?? '0x0' });
      expect(doc.findings.length).toBeGreaterThan(0);
      // No base given: 0 is assumed, unless the block's start_pad rules it out; then the base it fits
      // (2 MiB - start_pad), so a correct block is not judged at a base it cannot have (issue 22).
      const fitting = (sp: string): string => (sp === '0x0' ? '0x0' : `0x${(0x200000n - BigInt(sp)).toString(16)}`);
      for (const f of doc.findings)
        if (f.kind === 'pfn' || f.kind === 'dax') expect(f.ns_base).toBe(base ?? fitting(f.start_pad ?? '0x0'));
    }
  });

  test('a planted image: every finding kind, at its offset, in file order', async () => {
    const file = tmp.file('planted.img', planted());
    const r = await run(['scan', file, '--json', '--kernel', 'map']);
    const doc = json(r) as ScanDoc;
    expectSchema('scan', doc);
    expect(doc.findings.map((f) => [f.offset, f.kind])).toEqual([
      ['0x1000', 'pfn'],
      ['0x200000', 'ext4'],
      ['0x300000', 'pfn'],
      ['0x400000', 'xfs'],
      ['0x500000', 'btt'],
      ['0x540000', 'btt-backup'],
      ['0x600000', 'btrfs'],
    ]);
    expect(doc.findings[0]?.verdict?.kernel).toBe('map');
    expect(doc.findings[2]).toMatchObject({ checksum_valid: false });
  });

  test('nothing found: an empty findings list, exit 1', async () => {
    const r = await run(['scan', tmp.file('zeros.img', new Uint8Array(65536)), '--json']);
    expect(r.code).toBe(1);
    const doc = json(r) as ScanDoc;
    expectSchema('scan', doc);
    expect(doc.findings).toEqual([]);
  });

  test('a tampered document fails the schema', async () => {
    const doc = json(await run(['scan', tmp.file('p2.img', planted()), '--json'])) as ScanDoc;
    expectSchema('scan', doc);
    expect(schemaErrors('scan', { ...doc, size: 8388608 })).not.toEqual([]);
    expect(schemaErrors('scan', { ...doc, findings: [{ ...doc.findings[0], kind: 'ntfs' }] })).not.toEqual([]);
    expect(schemaErrors('scan', { ...doc, findings: [{ ...doc.findings[1], extra: 1 }] })).not.toEqual([]);
    expect(schemaErrors('scan', doc.findings)).not.toEqual([]); // the old bare array
  });
});

const suite = describeIf(haveTools(), 'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)');

interface RecoverDoc {
  status: string;
  dry_run: boolean;
  ns_base: string;
  picked: number | null;
  candidates: { data_start: string; fields: { checksum: string } }[];
  written: { backup: string; undo: string } | null;
}

suite('recover --json follows schemas/recover.schema.json (real filesystems)', () => {
  test.each(CASES)('$name: dry run, --write, then intact', async (c) => {
    const img = await buildImage(c, tmp.path(`${c.name.replace(/[^a-z0-9]+/gi, '-')}.img`));
    const base = `0x${c.base.toString(16)}`;
    const argv = ['recover', img.file, '--ns-base', base, '--json'];
    const dry = await run(argv);
    expect(dry.stderr).toBe('');
    const plan = json(dry) as RecoverDoc;
    expectSchema('recover', plan);
    expect(plan).toMatchObject({ status: 'proposed', dry_run: true, picked: 1, written: null, ns_base: base });
    expect(plan.candidates[0]?.data_start).toBe(`0x${img.dataStart.toString(16)}`);
    // A block with a valid checksum is rewritten only when forced (test/adversarial/recover-intact.test.ts).
    const write = [...argv, '--write', ...(c.damage === 'none' ? ['--force'] : [])];
    // A 1 MiB-off fsdax base keeps its 1 MiB start_pad: Linux 6.1 misplaces DAX mmaps, so recover refuses
    // to write it (exit 1, nothing written) unless --allow-hazard, and then warns (test/recover/recover.test.ts).
    const hazardous = c.base % (2n << 20n) !== 0n && c.mode === 'fsdax';
    if (hazardous) {
      const before = fs.readFileSync(img.file);
      const refused = await run(write);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^infoblock: refusing to write candidate #1: under DAX linux-6\.1 would map /);
      expect(fs.readFileSync(img.file).equals(before)).toBe(true);
    }
    const w = await run([...write, ...(hazardous ? ['--allow-hazard'] : [])]);
    expect(w.stderr).toBe(
      hazardous
        ? 'infoblock: warning: under DAX linux-6.1 would map every page 0x100000 bytes below where read(2) finds ' +
            'it (writes through mmap land on other blocks)\n'
        : '',
    );
    expect(w.code).toBe(0);
    const done = json(w) as RecoverDoc;
    expectSchema('recover', done);
    expect(done).toMatchObject({ status: 'written', dry_run: false, picked: 1 });
    expect(done.written?.undo).toMatch(/^infoblock restore /);
    const after = json(await run(argv)) as RecoverDoc;
    expectSchema('recover', after);
    expect(after).toMatchObject({ status: 'intact', candidates: [], picked: null, written: null });
  });
});

suite('recover --json: two filesystems in different places', () => {
  test('ambiguous (exit 1), then --pick 2 proposed, then --pick 2 --write written', async () => {
    const file = tmp.path('two.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 64 << 20);
    const mkfs = fs.existsSync('/usr/sbin/mkfs.ext4') ? '/usr/sbin/mkfs.ext4' : 'mkfs.ext4';
    for (const at of [2 << 20, 32 << 20])
      execFileSync(mkfs, ['-q', '-F', '-E', `offset=${at}`, file, '16384k'], { stdio: 'pipe' });
    const argv = ['recover', file, '--ns-base', '0x100000000', '--json'];
    const a = await run(argv);
    expect(a.code).toBe(1);
    const amb = json(a) as RecoverDoc;
    expectSchema('recover', amb);
    expect(amb).toMatchObject({ status: 'ambiguous', picked: null, written: null });
    expect(amb.candidates.map((c) => c.data_start)).toEqual(['0x200000', '0x2000000']);
    const p = json(await run([...argv, '--pick', '2'])) as RecoverDoc;
    expectSchema('recover', p);
    expect(p).toMatchObject({ status: 'proposed', picked: 2, dry_run: true });
    const w = await run([...argv, '--pick', '2', '--write']);
    expect(w.code).toBe(0);
    const done = json(w) as RecoverDoc;
    expectSchema('recover', done);
    expect(done).toMatchObject({ status: 'written', picked: 2, dry_run: false });
  });
});

describe('recover --json on synthetic namespaces', () => {
  test('nothing to anchor the data: status nothing, exit 1, u64 above 2^53 exact', async () => {
    const file = tmp.path('empty-ns.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 32 << 20);
    const r = await run(['recover', file, '--ns-base', '0xfffffffff0000000', '--json']);
    expect(r.code).toBe(1);
    expect(r.errLines).toEqual([expect.stringMatching(/^infoblock: no filesystem or surviving info-block fields/)]);
    const doc = json(r) as RecoverDoc;
    expectSchema('recover', doc);
    expect(doc).toMatchObject({ status: 'nothing', ns_base: '0xfffffffff0000000', candidates: [] });
  });

  test('a tampered document fails the schema', async () => {
    const file = tmp.path('empty-ns2.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 32 << 20);
    const doc = json(await run(['recover', file, '--ns-base', '0', '--json'])) as RecoverDoc;
    expectSchema('recover', doc);
    expect(schemaErrors('recover', { ...doc, status: 'recovered' })).not.toEqual([]);
    expect(schemaErrors('recover', { ...doc, ns_base: 0 })).not.toEqual([]);
    expect(schemaErrors('recover', { ...doc, target: doc.ns_base })).not.toEqual([]);
  });
});
