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
import { isRoot, unavailable, unprivileged } from '../support/adversarial';
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
