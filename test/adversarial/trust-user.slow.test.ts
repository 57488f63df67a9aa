// Item 1 of issue 18, the user's side: the second local user (created with
// useradd when missing) runs the built CLI as herself (setpriv). On her own
// files in her own directory the repair commands work; the checks that keep
// root from following her links do not get in her way. Root's side is in
// trust.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliAs, isRoot, migrateArgs, smallImage, unavailable, unprivileged } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('trust-user');
let user: { uid: number; gid: number } | null = null;
let home: string;

beforeAll(() => {
  fs.chmodSync(tmp.dir, 0o755);
  user = isRoot() ? unprivileged() : null;
  if (user === null) return;
  home = path.join(tmp.dir, 'home');
  fs.mkdirSync(home, { mode: 0o755 });
  fs.chownSync(home, user.uid, user.gid);
});

const need = (): boolean => user === null && unavailable(isRoot() ? 'useradd/setpriv' : 'root');
const u = (): { uid: number; gid: number } => user as { uid: number; gid: number };

test('her own image in her own directory: migrate, then restore, as herself (exit 0, the image back)', () => {
  if (need()) return;
  const img = path.join(home, 'mine.img');
  const original = smallImage(img);
  fs.chownSync(img, u().uid, u().gid);
  const m = cliAs(u(), ['migrate', img, ...migrateArgs()]);
  expect({ status: m.status, err: m.errLines }).toEqual({ status: 0, err: [] });
  const backup = fs.statSync(`${img}.infoblock-backup`);
  expect([backup.uid, backup.mode & 0o777]).toEqual([u().uid, 0o600]);
  const r = cliAs(u(), ['restore', img]);
  expect({ status: r.status, err: r.errLines }).toEqual({ status: 0, err: [] });
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});

test('her image in a directory root owns (0755): refused by the permissions, not by the trust checks', () => {
  if (need()) return;
  const img = path.join(tmp.dir, 'hers-in-root-dir.img');
  smallImage(img);
  fs.chownSync(img, u().uid, u().gid);
  const r = cliAs(u(), ['migrate', img, ...migrateArgs()]);
  expect(r.status).toBe(2);
  expect(r.errLines).toEqual([expect.stringMatching(/cannot create the lock .*: permission denied/)]);
});

test("root's image in root's directory, reached through her symlink: refused (a symlink is never followed)", () => {
  if (need()) return;
  const target = path.join(tmp.dir, 'roots.img');
  smallImage(target);
  fs.chmodSync(target, 0o666); // even writable by her: the link is not followed
  const link = path.join(home, 'link.img');
  fs.symlinkSync(target, link);
  fs.lchownSync(link, u().uid, u().gid);
  const before = fs.readFileSync(target);
  const r = cliAs(u(), ['migrate', link, ...migrateArgs()]);
  expect(r.status).toBe(2);
  expect(r.errLines).toEqual([expect.stringMatching(/'.*link\.img' is a symbolic link, which a repair never follows/)]);
  expect(fs.readFileSync(target).equals(before)).toBe(true);
});
