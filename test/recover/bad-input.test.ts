// recover's refusals: every bad input gives one line, the documented exit
// code, and the target is left byte for byte as it was.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bttCodec, encodeBttBlock } from '../../src/format/btt';
import { run } from '../support/run';
import { haveTools } from './fs-images';
import { mountTmpfs, unmount } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';
import { describeIf, testIf } from '../support/skip';

const MiB = 1 << 20;
const mkfsExt4 = fs.existsSync('/usr/sbin/mkfs.ext4') ? '/usr/sbin/mkfs.ext4' : 'mkfs.ext4';
const tmp = useTmpDir('recover-bad');
let dir: string;
beforeAll(() => {
  dir = tmp.dir;
});

function img(name: string, size: number, fss: [number, number][] = []): string {
  const file = path.join(dir, name);
  fs.rmSync(file, { force: true });
  execFileSync('truncate', ['-s', String(size), file]);
  for (const [at, bytes] of fss)
    execFileSync(mkfsExt4, ['-q', '-F', '-E', `offset=${at}`, file, `${bytes / 1024}k`], { stdio: 'pipe' });
  return file;
}

/** Grow a filesystem's claimed block count past the namespace (a lying superblock). */
function inflate(file: string, fsStart: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(4);
  b.writeUInt32LE(10 * 1024 * 1024);
  fs.writeSync(fd, b, 0, 4, fsStart + 1024 + 4);
  fs.closeSync(fd);
}

const suite = describeIf(haveTools(), 'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)');
suite('recover refusals', () => {
  test.each([
    [
      'a target under 16 MiB',
      () => img('small', 8 * MiB),
      [],
      2,
      /^infoblock: '.*small': a namespace of 8388608 bytes is smaller than 16 MiB; nothing to recover\n$/,
    ],
    [
      'no evidence at all',
      () => img('empty', 64 * MiB),
      [],
      1,
      /^infoblock: no filesystem or surviving info-block fields place the data in '.*'; nothing written\n$/,
    ],
    [
      'a superblock claiming more than the namespace',
      () => {
        const f = img('liar', 64 * MiB, [[2 * MiB, 32 * MiB]]);
        inflate(f, 2 * MiB);
        return f;
      },
      [],
      1,
      new RegExp(
        '^infoblock: no block recover can build puts the data where the evidence says ' +
          '\\(1 place\\(s\\) listed under "not used"\\); nothing written\n$',
      ),
    ],
    [
      'two filesystems in different places',
      () =>
        img('two', 64 * MiB, [
          [2 * MiB, 16 * MiB],
          [32 * MiB, 16 * MiB],
        ]),
      [],
      1,
      new RegExp(
        '^infoblock: the evidence puts the data in 2 different places ' +
          '\\(#1 data at 0x200000, #2 data at 0x2000000\\); nothing written: choose one with --pick N\n$',
      ),
    ],
    [
      '--pick out of range',
      () =>
        img('two3', 64 * MiB, [
          [2 * MiB, 16 * MiB],
          [32 * MiB, 16 * MiB],
        ]),
      ['--pick', '3'],
      2,
      /^infoblock: --pick 3: there are 2 candidate\(s\)\n$/,
    ],
    [
      'a BTT (sector-mode) namespace',
      () => {
        const f = img('btt', 64 * MiB);
        const block = encodeBttBlock({
          ...bttCodec.decode(new Uint8Array(4096)),
          signature: Uint8Array.from([...'BTT_ARENA_INFO'].map((ch) => ch.charCodeAt(0)).concat([0, 0])),
        });
        const fd = fs.openSync(f, 'r+');
        fs.writeSync(fd, block, 0, 4096, 4096);
        fs.closeSync(fd);
        return f;
      },
      [],
      1,
      /^infoblock: a valid BTT info-block is at namespace offset 4096: this is a sector-mode namespace/,
    ],
    [
      'a namespace past the 64-bit address space',
      () => img('top', 64 * MiB),
      ['--ns-base', '0xfffffffffff00000'],
      2,
      /^infoblock: a namespace of 67108864 bytes at 0xfffffffffff00000 runs past the 64-bit physical address space\n$/,
    ],
    ['a bad --uuid', () => img('u', 64 * MiB), ['--uuid', 'nope'], 2, /^infoblock: invalid --uuid 'nope'\n$/],
    [
      'an unknown kernel',
      () => img('k', 64 * MiB),
      ['--kernel', 'linux-9'],
      2,
      /^infoblock: unknown kernel 'linux-9' \(not a version\): use a kernel version 4\.19\.\.7\.2 /,
    ],
  ])('%s', async (_n, make, extra, status, err) => {
    const file = make();
    const before = fs.readFileSync(file);
    const r = await run(['recover', file, '--ns-base', '0x100000000', '--write', ...extra]);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(err);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}.infoblock-backup`)).toBe(false);
  });

  test('the lying superblock is named with its reason', async () => {
    const f = img('liar2', 64 * MiB, [[2 * MiB, 32 * MiB]]);
    inflate(f, 2 * MiB);
    const r = await run(['recover', f, '--ns-base', '0x100000000']);
    expect(r.stdout.toString()).toContain(
      'not used: ext4 filesystem at 0x200000 (10 GiB): its superblock claims 10737418240 bytes, past the ' +
        'namespace end 0x4000000 by 10672406528 bytes',
    );
  });

  test('--pick chooses among places and writes it', async () => {
    const f = img('pick', 64 * MiB, [
      [2 * MiB, 16 * MiB],
      [32 * MiB, 16 * MiB],
    ]);
    const r = await run(['recover', f, '--ns-base', '0x100000000', '--write', '--pick', '2']);
    expect(r.status).toBe(0);
    const chk = await run(['check', f, '--ns-base', '0x100000000', '--json']);
    const v = JSON.parse(chk.stdout.toString()) as { outcome: string; data_start: string };
    expect(v.outcome).toBe('claimed');
    expect(v.data_start).toBe(`0x${(32 * MiB).toString(16)}`);
  });
});

// Mounting a tmpfs needs root.
const asRoot = testIf(process.getuid?.() === 0 && haveTools(), 'needs root (a tmpfs mount) and mkfs/ndctl');
describe('recover --write with the backup on a full disk', () => {
  asRoot('exit 2, the target untouched, no backup left behind', async () => {
    const mnt = mountTmpfs('64k');
    if (mnt === null) throw new Error('cannot mount a tmpfs as root');
    try {
      fs.writeFileSync(path.join(mnt, 'fill'), Buffer.alloc(64 * 1024 - 4096));
      try {
        fs.appendFileSync(path.join(mnt, 'fill'), Buffer.alloc(8192));
      } catch {
        /* full now */
      }
      const file = img('full', 64 * MiB, [[2 * MiB, 32 * MiB]]);
      const before = fs.readFileSync(file);
      const r = await run(['recover', file, '--ns-base', '0x100000000', '--write', '--backup', path.join(mnt, 'b')]);
      expect(r.status).toBe(2);
      const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // The record's length depends on the path and the time it names: any count of bytes, none written.
      expect(r.stderr).toMatch(
        new RegExp(
          `^infoblock: the backup could not be written completely: cannot write '${esc(path.join(mnt, 'b'))}': no ` +
            `space left on the device \\(0 of \\d+ bytes at offset 0 written\\); free some space and try again; ` +
            `nothing was written to '${esc(file)}', it still holds the original block\n$`,
        ),
      );
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(mnt)).toEqual(['fill']);
    } finally {
      unmount(mnt);
    }
  });
});

suite('recover with a lying superblock beside a real filesystem', () => {
  test('the liar is not used, and does not hide the filesystem that lies inside its claimed range', async () => {
    const f = img('liar-and-real', 64 * MiB, [
      [2 * MiB, 16 * MiB],
      [32 * MiB, 16 * MiB],
    ]);
    inflate(f, 2 * MiB);
    const r = await run(['recover', f, '--ns-base', '0x100000000', '--json']);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout.toString()) as {
      status: string;
      candidates: { data_start: string }[];
      rejected: { source: string }[];
    };
    expect(plan.status).toBe('proposed');
    expect(plan.candidates.map((c) => c.data_start)).toEqual(['0x2000000']);
    expect(plan.rejected.map((x) => x.source)).toEqual(['ext4 filesystem at 0x200000 (10 GiB)']);
  });
});
