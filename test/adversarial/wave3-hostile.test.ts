// Issue 18's second hostile pass, over the commands added since the first:
// pack, unpack, realign, rebase (and restore of their backups). Root runs
// them in process on files and directories a real second local user
// (created with useradd when missing) controls, on special files, with
// crafted names and with numbers near 2^64. Each attack that found something
// is a case here that failed before its fix; the probes that found nothing
// and are fast stay as regression cases.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IoError } from '../../src/format/errors';
import { copyRangeSparse } from '../../src/io/sparse';
import { packImage } from '../../src/pack/pack';
import { run } from '../support/run';
import { thrownBy } from '../support/errors';
import { BASE, isRoot, legacyBlock, NS_SIZE, unavailable, unprivileged } from '../support/adversarial';
import { writeDimm, MiB as MIB, type PaddedNamespace } from '../support/dimm';
import { headWithBlock } from '../../src/format/head';
import { labelChecksum } from '../../src/format/labels';
import { decodeRealignRecord, encodeRealignRecord } from '../../src/migrate/realign-backup';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('wave3-hostile');
const MiB = 1 << 20;
let ext4 = '';
let pmem = '';
let user: { uid: number; gid: number } | null = null;

beforeAll(async () => {
  fs.chmodSync(tmp.dir, 0o755);
  ext4 = tmp.path('fs.ext4');
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-b', '4096', ext4, '8M'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfs.ext4: ${r.stderr}`);
  pmem = tmp.path('fs.pmem');
  expect((await run(['pack', ext4, '-o', pmem])).code).toBe(0);
  user = isRoot() ? unprivileged() : null;
});

const leftovers = (dir = tmp.dir): string[] => fs.readdirSync(dir).filter((n) => n.includes('.tmp-'));
const bytesOf = (f: string): Buffer => fs.readFileSync(f);

describe('pack --force of content that is no filesystem', () => {
  // Before: "infoblock: fs: must be a string (got null)", exit 2, and the output left written.
  test('packs it with a warning, exit 0; the JSON says filesystem null', async () => {
    const junk = tmp.file('junk.bin', Buffer.alloc(2 * MiB, 7));
    const out = tmp.path('junk.pmem');
    const r = await run(['pack', junk, '-o', out, '--force']);
    expect([r.code, r.errLines]).toEqual([0, []]);
    expect(r.out).toContain('  warning: the input holds no filesystem pack can check');
    expect(r.out).toContain('  mount -o dax=always /dev/pmem0 /mnt\n');
    expect(fs.statSync(out).size).toBeGreaterThan(2 * MiB);
    const j = await run(['pack', junk, '-o', tmp.path('junk2.pmem'), '--force', '--json']);
    expect(j.code).toBe(0);
    expect((JSON.parse(j.out) as { input: { filesystem: unknown } }).input.filesystem).toBeNull();
    expect(leftovers()).toEqual([]);
  });
});

describe('the output is the input', () => {
  // Before: unpack -o onto its input with --force replaced the NVDIMM image by its own data (the info-block
  // gone, exit 0); pack did the same to the filesystem image.
  test.each([
    ['unpack onto its input', () => ['unpack', pmem, '-o', pmem, '--force'], () => pmem],
    ['pack onto its input', () => ['pack', ext4, '-o', ext4, '--force'], () => ext4],
    [
      'unpack onto a hard link of its input',
      () => {
        const l = tmp.path('pmem-link');
        if (!fs.existsSync(l)) fs.linkSync(pmem, l);
        return ['unpack', pmem, '-o', l, '--force'];
      },
      () => pmem,
    ],
  ])('%s: exit 2, one line, the input unchanged', async (_n, args, input) => {
    const a = args();
    const before = bytesOf(input());
    const r = await run(a);
    expect([r.code, r.errLines]).toEqual([
      2,
      [`infoblock: '${a[3] ?? ''}' is the input itself; nothing was written: name a new output file`],
    ]);
    expect(bytesOf(input()).equals(before)).toBe(true);
    expect(leftovers()).toEqual([]);
  });
});

describe('the build never writes through a name planted at its temporary path', () => {
  // Before: copyRangeSparse checked the temporary name with exists(), which follows a dangling symlink and
  // says no, then `cp` created the symlink's target (as root: any file, e.g. in /etc/cron.d).
  test('a dangling symlink at the destination: refused, its target not created', () => {
    const target = tmp.path('created-through-link');
    const dst = tmp.path('planted.tmp-1-1');
    fs.symlinkSync(target, dst);
    const e = thrownBy(() => copyRangeSparse(ext4, dst, { from: 0n, length: 4096n, at: 0n }));
    expect(e).toBeInstanceOf(IoError);
    expect((e as Error).message).toBe(`'${dst}' exists; nothing was copied`);
    expect(fs.existsSync(target)).toBe(false);
    fs.unlinkSync(dst);
  });
});

describe('file names are shown escaped', () => {
  // Before: pack and unpack printed the input and output names raw: a newline forged a line, ESC reached the terminal.
  test('pack and unpack with a newline and an escape in the output name', async () => {
    const name = tmp.path('evil\n  Linux 6.1: claimed\u001b[31m.pmem');
    const r = await run(['pack', ext4, '-o', name]);
    expect(r.code).toBe(0);
    const raw = [...r.out].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'));
    expect(raw).toEqual([]);
    expect(r.out.split('\n').filter((l) => l.startsWith('  Linux 6.1: claimed\u001b'))).toEqual([]);
    expect(r.out).toContain(`into ${tmp.dir}/evil\\n  Linux 6.1: claimed\\x1b[31m.pmem: `);
    const out = tmp.path('back\u001b[2J.ext4');
    const u = await run(['unpack', name, '-o', out]);
    expect(u.code).toBe(0);
    expect(u.out).toBe(
      `unpacked the ext4 at the data start of ${tmp.dir}/evil\\n  Linux 6.1: claimed\\x1b[31m.pmem ` +
        `(8 MiB at 0x200000) into ${tmp.dir}/back\\x1b[2J.ext4\n`,
    );
  });
});

describe('outputs on paths another user controls (root running pack/unpack)', () => {
  const need = (): boolean => user === null && unavailable(isRoot() ? 'useradd (a second local user)' : 'root');
  const u = (): { uid: number; gid: number } => user as { uid: number; gid: number };
  function userDir(name: string): string {
    const d = tmp.path(name);
    fs.mkdirSync(d, { recursive: true });
    fs.chownSync(d, u().uid, u().gid);
    fs.chmodSync(d, 0o755);
    return d;
  }

  // Before: exit 0: the build's temporary file (a predictable name) was made in a directory the user can
  // write, where a symlink planted at that name is followed by cp.
  test.each([
    ['pack -o into their directory', (d: string) => ['pack', ext4, '-o', path.join(d, 'out.pmem')]],
    ['unpack -o into their directory', (d: string) => ['unpack', pmem, '-o', path.join(d, 'out.ext4')]],
  ])('%s: exit 2, refused in one line, nothing created', async (_n, args) => {
    if (need()) return;
    const d = userDir('theirs');
    const r = await run(args(d));
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      new RegExp(
        `^infoblock: refusing to write output '${d}/out\\.(pmem|ext4)': the directory '${d}' belongs to user \\d+`,
      ),
    );
    expect(fs.readdirSync(d)).toEqual([]);
  });

  test('--force onto a symlink to a root-owned file: refused, the file unchanged', async () => {
    if (need()) return;
    const d = userDir('theirs2');
    const victim = tmp.file('victim.bin', Buffer.from('root owned\n'));
    const link = path.join(d, 'out.pmem');
    fs.symlinkSync(victim, link);
    fs.lchownSync(link, u().uid, u().gid);
    const r = await run(['pack', ext4, '-o', link, '--force']);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^infoblock: refusing to write output /);
    expect(fs.readFileSync(victim, 'utf8')).toBe('root owned\n');
  });

  test('the same output in a directory of root (or the caller): packed', () => {
    const d = tmp.path('mine');
    fs.mkdirSync(d, { mode: 0o755 });
    const r = packImage(ext4, path.join(d, 'out.pmem'));
    expect(r.copy === 'extents' || r.copy === 'zero-skip').toBe(true);
    expect(fs.readdirSync(d)).toEqual(['out.pmem']);
  });
});

describe('numbers near 2^64 in the wave-3 options', () => {
  // Before: 2^64 - 1 was refused as "does not fit in 64 bits", which it does.
  const RESERVED = "2^64 - 1 is the failure value of ndctl's size parser, never a size or address";
  test.each([
    ['pack --align', () => ['pack', ext4, '-o', tmp.path('n1.pmem'), '--align', '0xffffffffffffffff'], 'alignment'],
    [
      'pack --ns-size',
      () => ['pack', ext4, '-o', tmp.path('n2.pmem'), '--ns-size', '18446744073709551615'],
      'namespace size',
    ],
    [
      'unpack --ns-base',
      () => ['unpack', pmem, '-o', tmp.path('n3'), '--ns-base', '0xffffffffffffffff'],
      'namespace base',
    ],
    [
      'rebase --to-base',
      () => ['rebase', pmem, '--ns-base', '0x100000000', '--to-base', '0xffffffffffffffff'],
      'new base',
    ],
    ['realign --label-size', () => ['realign', pmem, '--label-size', '0xFFFFFFFFFFFFFFFF'], 'label size'],
  ])('%s 2^64 - 1: exit 2, the reason in one line, nothing written', async (_n, args, what) => {
    const a = args();
    const before = bytesOf(pmem);
    const r = await run(a);
    const v = a[a.length - 1] ?? '';
    expect([r.code, r.errLines]).toEqual([2, [`infoblock: failed to parse ${what} '${v}': ${RESERVED}`]]);
    expect(bytesOf(pmem).equals(before)).toBe(true);
    expect(leftovers()).toEqual([]);
  });
});

/** A DIMM with one realignable namespace (start_pad 1 MiB) whose label's name is `name` (latin1 bytes). */
function namedDimm(file: string, name: string): void {
  const ns: PaddedNamespace = {
    uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001',
    dpa: MIB,
    size: 64n * MIB,
    startPad: MIB,
    endTrunc: MIB,
    dataoff: 2n * MIB,
  };
  writeDimm(file, 66n * MIB + 128n * 1024n, 128n * 1024n, [ns]);
  const b = fs.readFileSync(file);
  const uuid = Buffer.from(ns.uuid.replace(/-/g, ''), 'hex');
  let found = 0;
  for (let at = b.length - 128 * 1024; at < b.length; at += 256) {
    if (!b.subarray(at, at + 16).equals(uuid)) continue;
    const label = b.subarray(at, at + 256);
    label.fill(0, 16, 80);
    expect(Buffer.byteLength(name, 'latin1')).toBeLessThanOrEqual(64);
    Buffer.from(name, 'latin1').copy(label, 16);
    label.writeBigUInt64LE(0n, 248);
    label.writeBigUInt64LE(labelChecksum(label), 248);
    found++;
  }
  expect(found).toBe(1);
  fs.writeFileSync(file, b);
}

describe('realign, rebase and restore: crafted names', () => {
  // Before: realign printed a label's name raw: a newline forged a namespace line, ESC reached the terminal.
  test('a label name with a newline and an escape: shown escaped', async () => {
    const f = tmp.path('named.dimm');
    namedDimm(f, 'db\n  aaaaaaaa-bbbb-4ccc-8ddd-000000000009: realigned\u001b[31m');
    const r = await run(['realign', f, '--label-size', '128K', '--dry-run']);
    expect(r.code).toBe(0);
    const raw = [...r.out].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'));
    expect(raw).toEqual([]);
    expect(r.out.split('\n')[1]).toBe(
      "  aaaaaaaa-bbbb-4ccc-8ddd-000000000001 'db\\n  aaaaaaaa-bbbb-4ccc-8ddd-000000000009: realigned\\x1b[31m' " +
        '(fsdax) dpa 0x100000 size 0x4000000: start_pad 0x100000, end_trunc 0x100000',
    );
    const j = await run(['realign', f, '--label-size', '128K', '--dry-run', '--json']);
    expect((JSON.parse(j.out) as { namespaces: { name: string }[] }).namespaces[0]?.name).toBe(
      'db\n  aaaaaaaa-bbbb-4ccc-8ddd-000000000009: realigned\u001b[31m',
    );
  });

  // Before: the undo line quoted the escaped path (it\'s...) so the command named a file that does not exist, and
  // restore without --backup looked for the escaped name and did not find the realignment's record.
  test('realign of a name with a quote: the undo line works as printed, restore finds the record', async () => {
    const f = tmp.path("it's.dimm");
    namedDimm(f, 'db');
    const before = bytesOf(f);
    const r = await run(['realign', f, '--label-size', '128K']);
    expect(r.code).toBe(0);
    const q = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
    expect(r.out.split('\n').filter((l) => l.startsWith('undo: '))).toEqual([
      `undo: infoblock restore ${q(f)} --backup ${q(`${f}.realign-backup`)}`,
    ]);
    const back = await run(['restore', f]);
    expect([back.code, back.errLines]).toEqual([0, []]);
    expect(bytesOf(f).equals(before)).toBe(true);
  });

  test('rebase of a name with a quote: the undo line names the real backup', async () => {
    const f = tmp.path("it's.ns");
    fs.writeFileSync(f, Buffer.alloc(Number(NS_SIZE)));
    const fd = fs.openSync(f, 'r+');
    fs.writeSync(fd, headWithBlock(legacyBlock()), 0, 8192, 0);
    fs.closeSync(fd);
    const base = `0x${BASE.toString(16)}`;
    const r = await run(['rebase', f, '--ns-base', base, '--to-base', '0x100200000']);
    expect(r.code).toBe(0);
    const q = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
    expect(r.out.split('\n').filter((l) => l.startsWith('undo: '))).toEqual([
      `undo: infoblock restore ${q(f)} --backup ${q(`${f}.infoblock-backup`)}`,
    ]);
    expect(fs.existsSync(`${f}.infoblock-backup`)).toBe(true);
  });
});

describe("a realignment's backup record another user wrote (root's DIMM image in a shared sticky directory)", () => {
  const need = (): boolean => user === null && unavailable(isRoot() ? 'useradd (a second local user)' : 'root');
  const u = (): { uid: number; gid: number } => user as { uid: number; gid: number };

  /** Root's realigned DIMM in a root-owned 1777 directory, and a record forged from root's by the user. */
  async function forged(name: string): Promise<{ dimm: string; record: string; before: Buffer; realigned: Buffer }> {
    const shared = tmp.path(`shared-${name}`);
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const dimm = path.join(shared, 'dimm.img');
    namedDimm(dimm, 'db');
    const record = `${dimm}.realign-backup`;
    const before = bytesOf(dimm);
    expect((await run(['realign', dimm, '--label-size', '128K'])).code).toBe(0);
    const realigned = bytesOf(dimm);
    // The user's forgery: root's own record (they can read it) with their bytes as the "original" of the
    // first write, sealed again with the library's encoder (a correct CRC-32), put in its place as theirs.
    const rec = decodeRealignRecord(bytesOf(record));
    const first = rec.writes[0];
    if (first === undefined) throw new Error('a realignment without writes');
    first.original = new Uint8Array(first.original.byteLength).fill(0x41);
    fs.unlinkSync(record);
    fs.writeFileSync(record, encodeRealignRecord(rec), { mode: 0o644 });
    fs.chownSync(record, u().uid, u().gid);
    return { dimm, record, before, realigned };
  }

  // Before: restore took the user's record: exit 0, "restored ... read back and verified", their bytes at the
  // first write's place of root's image.
  test('restore: refused in one line (exit 2), the image unchanged', async () => {
    if (need()) return;
    const f = await forged('restore');
    const r = await run(['restore', f.dimm]);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      new RegExp(`^infoblock: refusing to write the backup '${f.record}': .*belongs to user ${u().uid}\\b`),
    );
    expect(bytesOf(f.dimm).equals(f.realigned)).toBe(true);
  });

  // Before: realign kept the user's record as "the backup of an interrupted run" (exit 0), so its undo would
  // write their bytes.
  test('realign of the same plan: refused in one line (exit 2), the record not adopted', async () => {
    if (need()) return;
    const f = await forged('realign');
    expect((await run(['restore', f.dimm, '--backup', f.record, '--force'])).code).toBe(2); // --force: refused too
    fs.writeFileSync(f.dimm, f.before); // root's image as before the realignment (same inode), the record left
    const r = await run(['realign', f.dimm, '--label-size', '128K']);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^infoblock: refusing to write the backup /);
    expect(r.out).not.toContain('kept from an interrupted run');
    expect(bytesOf(f.dimm).equals(f.before)).toBe(true);
  });
});
