// Items 2 and 6: on a full (or nearly full) file system nothing is left
// half-written under a real name and nothing reports success: migrate exits
// 2 before touching the target when its backup cannot be written whole;
// lock, write -o, explain --svg and corpus fail with one sentence and leave
// no empty or truncated file. Real tmpfs mounts (root); an I/O error after
// the backup is injected through the fault hook.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBackup, IoError, migrateTarget, restoreTarget } from '../../src/index';
import {
  BASE,
  NS_SIZE,
  cli,
  fill,
  isRoot,
  migrateArgs,
  mountTmpfs,
  smallImage,
  unavailable,
  unmount,
  wordsOnly,
} from '../support/adversarial';
import { useTmpDir } from '../support/tmp';
import { thrownBy } from '../support/errors';

const tmp = useTmpDir('full');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) unmount(m);
});

/** A small tmpfs filled to `leave` free bytes, or null (then the test fails under CI, else is skipped). */
function fullTmpfs(leave: number, size = '256k'): string | null {
  const m = mountTmpfs(size);
  if (m === null) {
    unavailable(isRoot() ? 'a tmpfs mount' : 'root (tmpfs mounts)');
    return null;
  }
  mounts.push(m);
  fill(m, leave);
  return m;
}

const entries = (d: string): string[] =>
  fs
    .readdirSync(d)
    .filter((f) => !f.startsWith('filler'))
    .sort();

test.each([0, 2048, 4096, 8192, 12288])(
  'backup on a tmpfs with %i bytes free: exit 2, target untouched, no backup left',
  (leave) => {
    const small = fullTmpfs(leave);
    if (small === null) return;
    const img = tmp.path(`b${leave}.img`);
    const original = smallImage(img);
    const backup = path.join(small, 'ns.backup');
    const r = cli(['migrate', img, ...migrateArgs(), '--backup', backup]);
    expect(r.status).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      /^infoblock: the backup could not be written completely: .*no space left on the device.*; nothing was written to '.*', it still holds the original block$/,
    );
    expect(wordsOnly(r.stderr)).toBe(true);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
    expect(entries(small)).toEqual([]); // neither the backup nor its temporary file
    expect(fs.existsSync(`${img}.infoblock.lock`)).toBe(false);
  },
);

test('backup fits exactly when there is room: then it is whole and restorable', () => {
  const small = fullTmpfs(64 * 1024);
  if (small === null) return;
  const img = tmp.path('fits.img');
  const original = smallImage(img);
  const backup = path.join(small, 'ns.backup');
  expect(cli(['migrate', img, ...migrateArgs(), '--backup', backup]).status).toBe(0);
  expect(() => decodeBackup(fs.readFileSync(backup))).not.toThrow();
  expect(cli(['restore', img, '--backup', backup]).status).toBe(0);
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});

test('target on a full tmpfs: the lock cannot be written: exit 2 (not an internal error), no empty lock left', () => {
  const small = fullTmpfs(64 * 1024);
  if (small === null) return;
  const img = path.join(small, 'ns.img');
  const original = smallImage(img);
  fill(small, 0);
  for (const [argv, line] of [
    [
      ['migrate', img, ...migrateArgs()],
      /^infoblock: cannot create the lock '.*ns\.img\.infoblock\.lock': .*no space left/,
    ],
    [
      ['restore', img, '--backup', tmp.path('none')],
      /^infoblock: cannot read backup '.*none': no such file or directory; .*; pass --backup <FILE>$/,
    ],
  ] as const) {
    const r = cli([...argv]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([expect.stringMatching(line)]);
    expect(wordsOnly(r.stderr)).toBe(true);
  }
  const r = cli(['migrate', img, ...migrateArgs(), '--backup', tmp.path('elsewhere.backup')]);
  expect(r.errLines[0]).toMatch(
    /^infoblock: cannot create the lock '.*ns\.img\.infoblock\.lock': .*no space left on the device/,
  );
  expect(fs.readFileSync(img).equals(original)).toBe(true);
  expect(entries(small)).toEqual(['ns.img']);
});

test('write -o a new file on a full tmpfs: exit 2, no file; explain --svg: exit 2, no file', () => {
  const small = fullTmpfs(0);
  if (small === null) return;
  const w = cli(['write', '-o', path.join(small, 'new.img'), '-s', '64M']);
  expect(w.status).toBe(2);
  expect(w.errLines).toEqual([
    expect.stringMatching(
      /^infoblock: cannot write '[^']*\/new\.img': no space left on the device \(0 of 8192 bytes at offset 0 written\); free some space and try again$/,
    ),
  ]);
  const img = tmp.path('svg.img');
  smallImage(img);
  const e = cli(['explain', img, '--ns-base', '0x100100000', '--ns-size', '64M', '--svg', path.join(small, 'x.svg')]);
  expect(e.status).toBe(2);
  expect(e.errLines).toHaveLength(1);
  expect(e.errLines[0]).toMatch(/no space left/);
  expect(entries(small)).toEqual([]);
});

test.each(['head', 'block', 'image'])(
  'corpus --format %s into a nearly full tmpfs: exit 2, no manifest, every file left is whole',
  (format) => {
    const small = fullTmpfs(48 * 1024);
    if (small === null) return;
    const out = path.join(small, 'corpus');
    const r = cli(['corpus', '--out', out, '--count', '200', '--format', format, '--ns-size', '64M']);
    expect(r.status).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/no space left on the device.*the corpus is incomplete$/);
    expect(wordsOnly(r.stderr)).toBe(true);
    const files = fs.readdirSync(out);
    expect(files).not.toContain('manifest.jsonl');
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    const want = format === 'block' ? 4096 : format === 'head' ? 8192 : 64 * 1024 * 1024;
    for (const f of files) expect(fs.statSync(path.join(out, f)).size).toBe(want);
  },
);

test('an I/O error while writing the block (injected): exit path says so and how to restore; restore recovers', () => {
  const img = tmp.path('eio.img');
  const original = smallImage(img);
  const eio = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  const err = thrownBy(() =>
    migrateTarget({
      target: img,
      offset: 0n,
      nsBase: BASE,
      nsSize: NS_SIZE,
      to: 'map',
      faults: {
        at: (s) => {
          if (s === 'after-write') throw eio;
        },
      },
    }),
  );
  expect(err).toBeInstanceOf(IoError);
  expect((err as IoError).message).toMatch(
    /^writing the new info-block at 0x1000 failed, it may be partly written \(.*input\/output error.*\); the original is in '.*eio\.img\.infoblock-backup': restore it from there$/,
  );
  expect((err as IoError).hint).toEqual({
    run: { operation: 'restore', params: { backup: `${img}.infoblock-backup` } },
  });
  expect(restoreTarget({ target: img }).status).toBe('restored');
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});
