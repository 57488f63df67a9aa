// Item 1 and 7 of issue 18: root repairing a file another local user named.
// A real second user (created with useradd when missing) owns the
// directories, symlinks, forged backups and locks; root runs the commands
// in process. Each refusal is one line, exit 2, and the victim file is
// byte-for-byte unchanged. The user's own side (running the tool on their
// own files as themselves) is in trust-user.slow.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as CRC32 from 'crc-32';
import { encodeBackup, UntrustedPathError } from '../../src/index';
import { checkWritablePath } from '../../src/io/trust';
import { run } from '../support/run';
import { thrownBy } from '../support/errors';
import {
  attachLoop,
  detachLoop,
  BASE,
  NS_SIZE,
  isRoot,
  migrateArgs,
  smallImage,
  unavailable,
  unprivileged,
} from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('trust');
let base: string;
let user: { uid: number; gid: number } | null = null;
let victim: string;
let victimBytes: Buffer;

beforeAll(() => {
  base = tmp.dir;
  fs.chmodSync(base, 0o755);
  user = isRoot() ? unprivileged() : null;
  fs.mkdirSync(path.join(base, 'opt'), { mode: 0o755 });
  victim = path.join(base, 'opt', 'victim.bin');
  victimBytes = smallImage(victim);
});

const need = (): boolean => user === null && unavailable(isRoot() ? 'useradd (a second local user)' : 'root');
const u = (): { uid: number; gid: number } => user as { uid: number; gid: number };

/** A directory of the user's, with `mode`. */
function userDir(name: string, mode = 0o755): string {
  const d = path.join(base, name);
  fs.mkdirSync(d, { recursive: true });
  fs.chownSync(d, u().uid, u().gid);
  fs.chmodSync(d, mode);
  return d;
}

/**
 * The forged backup of the issue: made with the library's own encoder, the
 * victim's real path, size, dev and inode, a correct CRC-32, and the
 * attacker's bytes where the info-block goes; "intended" is the victim's
 * current block, so restore takes the block on disk for the one written.
 */
function forgedBackup(): Uint8Array {
  const st = fs.statSync(victim, { bigint: true });
  const head = Uint8Array.from(victimBytes.subarray(0, 8192));
  head.fill(0x41, 4096);
  const current = victimBytes.subarray(4096, 8192);
  return encodeBackup({
    target: { path: Buffer.from(fs.realpathSync(victim)), size: st.size, dev: st.dev, ino: st.ino },
    offset: 0n,
    nsBase: BASE,
    nsSize: NS_SIZE,
    created: new Date(0).toISOString(),
    from: 'legacy',
    to: 'map',
    head,
    intendedCrc32: CRC32.buf(current) >>> 0,
    intended: Uint8Array.from(current),
  });
}

function owned(file: string, bytes: Uint8Array | string, mode = 0o644): string {
  fs.writeFileSync(file, bytes);
  fs.chownSync(file, u().uid, u().gid);
  fs.chmodSync(file, mode);
  return file;
}

const REFUSED =
  /^infoblock: refusing to write the (target|backup|output|label area dump) '.*': .*; nothing was written: /;

function expectRefused(r: { code: number; errLines: string[] }, why: RegExp): void {
  expect({ code: r.code, lines: r.errLines.length }).toEqual({ code: 2, lines: 1 });
  expect(r.errLines[0]).toMatch(REFUSED);
  expect(r.errLines[0]).toMatch(why);
  expect(fs.readFileSync(victim).equals(victimBytes)).toBe(true);
}

describe("the attack of the issue: symlink to a root file + forged backup in the user's directory", () => {
  let img: string;
  beforeAll(() => {
    if (user === null) return;
    const home = userDir('home-u');
    img = path.join(home, 'img');
    fs.symlinkSync(victim, img);
    fs.lchownSync(img, u().uid, u().gid);
    owned(`${img}.infoblock-backup`, forgedBackup());
  });

  test.each([
    ['restore', (): string[] => ['restore', img]],
    ['restore --force', (): string[] => ['restore', img, '--force']],
    ['migrate', (): string[] => ['migrate', img, ...migrateArgs()]],
    ['recover --write', (): string[] => ['recover', img, '--write', '--ns-base', `0x${BASE.toString(16)}`]],
    ['write over it', (): string[] => ['write', '-o', img, '-s', '64M']],
    ['labels write', (): string[] => ['labels', 'write', img, '--label-size', '128K']],
  ])('%s: refused, exit 2, one line naming the directory and its owner; the victim unchanged', async (_n, argv) => {
    if (need()) return;
    const r = await run(argv());
    expectRefused(r, /the directory '.*home-u' belongs to user \d+ \(ibtest\), who could replace what is in it/);
  });

  test('the forged backup given for the real victim path: refused because the user owns it', async () => {
    if (need()) return;
    const r = await run(['restore', victim, '--backup', `${img}.infoblock-backup`]);
    expectRefused(
      r,
      /refusing to write the backup '.*home-u\/img\.infoblock-backup': the directory .* belongs to user/,
    );
  });
});

describe("a backup or lock the user could have written, in root's own directory", () => {
  let dir: string;
  let target: string;
  beforeAll(() => {
    dir = path.join(base, 'root-dir');
    fs.mkdirSync(dir, { mode: 0o755 });
    target = path.join(dir, 'ns.img');
    fs.copyFileSync(victim, target);
  });

  test('a backup owned by the user: refused (its content cannot be trusted)', async () => {
    if (need()) return;
    const b = owned(path.join(dir, 'by-user.backup'), forgedBackup());
    const before = fs.readFileSync(target);
    const r = await run(['restore', target, '--backup', b]);
    expect({ code: r.code, err: r.errLines }).toEqual({
      code: 2,
      err: [
        expect.stringMatching(/refusing to write the backup '.*by-user\.backup': it belongs to user \d+ \(ibtest\)/),
      ],
    });
    expect(fs.readFileSync(target).equals(before)).toBe(true);
  });

  test('a root-owned backup anyone may write (0666): refused', async () => {
    if (need()) return;
    const b = path.join(dir, 'open.backup');
    fs.writeFileSync(b, forgedBackup());
    fs.chmodSync(b, 0o666);
    const r = await run(['restore', target, '--backup', b]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([
      expect.stringMatching(/'.*open\.backup': it \(mode 0666\) may be written by other users/),
    ]);
  });

  test('a lock file owned by the user: in the way, nothing changed', async () => {
    if (need()) return;
    const t = path.join(dir, 'locked.img');
    const original = smallImage(t);
    owned(`${t}.infoblock.lock`, 'nd-infoblock lock\npid 999999\n');
    const r = await run(['migrate', t, ...migrateArgs()]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([
      expect.stringMatching(/is in the way of the lock .*: it is a file of user \d+ \(ibtest\)/),
    ]);
    expect(fs.readFileSync(t).equals(original)).toBe(true);
  });

  test("root's own file and backup in root's directory: migrate and restore work (the checks do not get in the way)", async () => {
    if (need()) return;
    const t = path.join(dir, 'fine.img');
    const original = smallImage(t);
    expect((await run(['migrate', t, ...migrateArgs()])).code).toBe(0);
    expect((await run(['restore', t])).code).toBe(0);
    expect(fs.readFileSync(t).equals(original)).toBe(true);
  });
});

describe('a sticky shared directory (mode 1777, like /tmp)', () => {
  let shared: string;
  beforeAll(() => {
    shared = path.join(base, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
  });

  test('a symlink the user planted there: refused', async () => {
    if (need()) return;
    const link = path.join(shared, 'planted');
    fs.symlinkSync(victim, link);
    fs.lchownSync(link, u().uid, u().gid);
    expectRefused(await run(['restore', link]), /'.*planted' belongs to user \d+ \(ibtest\) and sits in the shared/);
  });

  test('a file the user owns there: refused', async () => {
    if (need()) return;
    const f = path.join(shared, 'theirs.img');
    smallImage(f);
    fs.chownSync(f, u().uid, u().gid);
    expectRefused(await run(['migrate', f, ...migrateArgs()]), /'.*theirs\.img' belongs to user \d+/);
  });

  test("a hard link to a root file there: refused (another name may be someone else's)", async () => {
    if (need()) return;
    const f = path.join(shared, 'hard.img');
    fs.linkSync(victim, f);
    expectRefused(await run(['migrate', f, ...migrateArgs()]), /'.*hard\.img' has 2 hard links/);
    fs.unlinkSync(f);
  });

  test("root's own file there: migrated and restored", async () => {
    if (need()) return;
    const f = path.join(shared, 'mine.img');
    const original = smallImage(f);
    expect((await run(['migrate', f, ...migrateArgs()])).code).toBe(0);
    expect((await run(['restore', f])).code).toBe(0);
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  });
});

describe("a symlink is never followed for a target, even root's own", () => {
  test("root's symlink in root's directory: refused, naming the link", async () => {
    if (!isRoot() && unavailable('root')) return;
    const link = path.join(base, 'opt', 'link.img');
    fs.symlinkSync(victim, link);
    expectRefused(
      await run(['migrate', link, ...migrateArgs()]),
      /'.*link\.img' is a symbolic link, which a repair never follows/,
    );
  });

  test('a symlinked parent directory owned by root is followed and its target checked', () => {
    const d = path.join(base, 'opt-link');
    fs.symlinkSync(path.join(base, 'opt'), d);
    expect(checkWritablePath(path.join(d, 'victim.bin'), { what: 'the target' })).toMatchObject({ exists: true });
  });
});

describe('the state directory for block-device backups', () => {
  test.each([
    [
      'owned by the user',
      (d: string): void => fs.chownSync(d, u().uid, u().gid),
      /it belongs to user \d+ \(ibtest\), not to the caller/,
    ],
    ['world-writable (0777)', (d: string): void => fs.chmodSync(d, 0o777), /its mode 0777 lets other users write it/],
  ])('%s: refused, exit 2, no backup written, the device unchanged', async (_n, spoil, why) => {
    if (need()) return;
    const file = path.join(base, `dev-${Math.random().toString(16).slice(2)}.img`);
    const original = smallImage(file);
    const dev = attachLoop(file);
    if (dev === null) {
      unavailable('losetup');
      return;
    }
    try {
      const state = path.join(base, `state-${Math.random().toString(16).slice(2)}`);
      const backups = path.join(state, 'nd-infoblock', 'backups');
      fs.mkdirSync(backups, { recursive: true, mode: 0o700 });
      spoil(backups);
      const r = await run(['migrate', dev, ...migrateArgs()], undefined, {
        env: { ...process.env, XDG_STATE_HOME: state },
      });
      expect(r.code).toBe(2);
      expect(r.errLines).toEqual([
        expect.stringMatching(new RegExp(`refusing to write into the state directory '.*backups': ${why.source}`)),
      ]);
      expect(fs.readdirSync(backups)).toEqual([]);
    } finally {
      detachLoop(dev);
    }
    expect(fs.readFileSync(file).equals(original)).toBe(true);
  });

  test('created 0700 when missing', async () => {
    if (!isRoot() && unavailable('root')) return;
    const file = path.join(base, 'dev-fresh.img');
    smallImage(file);
    const dev = attachLoop(file);
    if (dev === null) {
      unavailable('losetup');
      return;
    }
    const state = path.join(base, 'fresh-state');
    try {
      const r = await run(['migrate', dev, ...migrateArgs()], undefined, {
        env: { ...process.env, XDG_STATE_HOME: state },
      });
      expect(r.code).toBe(0);
    } finally {
      detachLoop(dev);
    }
    for (const d of [state, path.join(state, 'nd-infoblock'), path.join(state, 'nd-infoblock', 'backups')])
      expect((fs.statSync(d).mode & 0o777).toString(8)).toBe('700');
  });
});

test('the library refuses with the typed error (code untrusted)', () => {
  if (need()) return;
  const d = userDir('lib-u');
  const e = thrownBy(() => checkWritablePath(path.join(d, 'x'), { what: 'the target' }));
  expect(e).toBeInstanceOf(UntrustedPathError);
  expect((e as UntrustedPathError).code).toBe('untrusted');
});
