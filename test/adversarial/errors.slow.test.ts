// Item 11: every I/O failure is one sentence naming the path (quoted and
// escaped) and what to do, never a raw code (ENOENT, ELOOP, ESPIPE, EFBIG,
// ERR_OUT_OF_RANGE...). Also permission errors for an unprivileged user
// (setpriv, user created with useradd when missing) and a read-only mount.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../support/run';
import {
  cli,
  cliAs,
  isRoot,
  sh,
  migrateArgs,
  mountTmpfs,
  smallImage,
  unavailable,
  unmount,
  unprivileged,
  wordsOnly,
} from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('errors');
let dir: string;
const mounts: string[] = [];
beforeAll(() => {
  dir = tmp.dir;
  fs.chmodSync(dir, 0o755); // the unprivileged user must reach its own files below
});
afterAll(() => {
  for (const m of mounts) unmount(m);
});

const p = (name: string): string => path.join(dir, name);

describe('words, not codes (in process)', () => {
  beforeAll(() => {
    smallImage(p('ok.img'));
    fs.symlinkSync(p('loop2'), p('loop1'));
    fs.symlinkSync(p('loop1'), p('loop2'));
    fs.symlinkSync(p('missing/x'), p('dangling'));
    fs.writeFileSync(p('short.img'), Buffer.alloc(5000));
  });
  const CASES: [string, () => string[], RegExp][] = [
    [
      'symlink loop (ELOOP)',
      () => ['read', p('loop1')],
      /cannot open '.*loop1': too many levels of symbolic links \(a symlink loop\); fix the symbolic link/,
    ],
    [
      'missing file (ENOENT)',
      () => ['check', p('nope.img')],
      /cannot open '.*nope\.img': no such file or directory; check the path/,
    ],
    [
      'dangling symlink as write -o: not "already exists"',
      () => ['write', '-o', p('dangling'), '-s', '64M'],
      /output '.*dangling' is a dangling symbolic link; remove the link or choose another path/,
    ],
    [
      'missing directory component (ENOTDIR)',
      () => ['read', path.join(p('ok.img'), 'x')],
      /cannot open '.*ok\.img\/x': a component of the path is not a directory/,
    ],
    [
      'short image',
      () => ['read', p('short.img')],
      /'.*short\.img' is too short: it is 5000 bytes, the 8192 bytes at offset 0 need 8192/,
    ],
    [
      "--offset '' (migrate)",
      () => ['migrate', p('ok.img'), '--offset', '', '--ns-base', '0', '--to', 'map'],
      /failed to parse offset '': empty/,
    ],
    ["--offset '' (check)", () => ['check', p('ok.img'), '--offset', ''], /failed to parse offset '': empty/],
    ["--offset '' (restore)", () => ['restore', p('ok.img'), '--offset', ''], /failed to parse offset '': empty/],
    [
      "--ns-base ''",
      () => ['migrate', p('ok.img'), '--ns-base', '', '--to', 'map'],
      /failed to parse namespace base '': empty/,
    ],
    [
      'newline in the name',
      () => ['read', p('two\nlines.img')],
      /cannot open '.*two\\nlines\.img': no such file or directory/,
    ],
    [
      'backup missing',
      () => ['restore', p('ok.img'), '--backup', p('none.backup')],
      /cannot read backup '.*none\.backup': no such file or directory/,
    ],
    [
      'svg into a missing directory',
      () => ['explain', p('ok.img'), '--ns-base', '0x100100000', '--ns-size', '64M', '--svg', p('no/dir/x.svg')],
      /cannot write '.*no\/dir\/x\.svg': no such file or directory/,
    ],
  ];
  test.each(CASES)('%s', async (_n, argv, re) => {
    const r = await run(argv());
    expect(r.code).toBe(2);
    const lines = r.errLines.filter((l) => !/^read \d+ infoblock/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^infoblock: /);
    expect(lines[0]).toMatch(re);
    expect(wordsOnly(r.stderr)).toBe(true);
  });
});

describe('a read-only mount', () => {
  test('migrate and restore say the file system is read-only; read works', () => {
    const m = mountTmpfs('1m');
    if (m === null) {
      unavailable(isRoot() ? 'a tmpfs mount' : 'root (mounts)');
      return;
    }
    mounts.push(m);
    const img = path.join(m, 'ro.img');
    const original = smallImage(img);
    expect(cli(['migrate', img, ...migrateArgs()]).status).toBe(0); // a backup to restore from
    expect(cli(['restore', img]).status).toBe(0);
    expect(sh('mount', ['-o', 'remount,ro', m]).ok).toBe(true);
    for (const argv of [
      ['migrate', img, ...migrateArgs()],
      ['restore', img],
    ]) {
      const r = cli(argv);
      expect(r.status).toBe(2);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(
        /the file system is read-only; remount it read-write or use a path on a writable file system$/,
      );
      expect(wordsOnly(r.stderr)).toBe(true);
    }
    expect(cli(['read', img]).status).toBe(0);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });
});

describe('an unprivileged user', () => {
  let user: { uid: number; gid: number } | null = null;
  beforeAll(() => {
    user = unprivileged();
  });
  const need = (): boolean =>
    user === null && unavailable(isRoot() ? 'useradd/setpriv' : 'root (to switch to an unprivileged user)');

  test('migrate on an image it may not write: permission denied, nothing left behind', () => {
    if (need()) return;
    const img = p('root-owned.img');
    const original = smallImage(img);
    fs.chmodSync(img, 0o644);
    const r = cliAs(user as { uid: number; gid: number }, ['migrate', img, ...migrateArgs()]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([
      expect.stringMatching(
        /^infoblock: cannot open '.*root-owned\.img': permission denied; run as a user who may access it$/,
      ),
    ]);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('root-owned.img.'))).toEqual([]);
  });

  test('read of an image it may not read: permission denied', () => {
    if (need()) return;
    const img = p('secret.img');
    smallImage(img);
    fs.chmodSync(img, 0o600);
    const r = cliAs(user as { uid: number; gid: number }, ['read', img]);
    expect(r.status).toBe(2);
    expect(r.errLines[0]).toMatch(
      /^infoblock: cannot open '.*secret\.img': permission denied; run as a user who may access it$/,
    );
  });

  test('a writable image in a directory it may not write: the lock cannot be created, exit 2, nothing changed', () => {
    if (need()) return;
    const img = p('shared.img');
    const original = smallImage(img);
    fs.chmodSync(img, 0o666);
    const r = cliAs(user as { uid: number; gid: number }, [
      'migrate',
      img,
      ...migrateArgs(),
      '--backup',
      '/tmp/ib-unused.backup',
    ]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([
      expect.stringMatching(
        /^infoblock: cannot create the lock '.*shared\.img\.infoblock\.lock': permission denied; run as a user who may access it$/,
      ),
    ]);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });

  test('in its own directory everything works; a backup it may not read is refused with a sentence', () => {
    if (need()) return;
    const u = user as { uid: number; gid: number };
    const own = p('own');
    fs.mkdirSync(own);
    fs.chownSync(own, u.uid, u.gid);
    const img = path.join(own, 'mine.img');
    const original = smallImage(img);
    fs.chownSync(img, u.uid, u.gid);
    expect(cliAs(u, ['migrate', img, ...migrateArgs()]).status).toBe(0);
    const backup = `${img}.infoblock-backup`;
    const locked = p('root-only.backup');
    fs.copyFileSync(backup, locked);
    fs.chmodSync(locked, 0o600);
    const r = cliAs(u, ['restore', img, '--backup', locked]);
    expect(r.status).toBe(2);
    expect(r.errLines[0]).toMatch(/^infoblock: cannot read backup '.*root-only\.backup': permission denied/);
    expect(cliAs(u, ['restore', img]).status).toBe(0);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });
});
