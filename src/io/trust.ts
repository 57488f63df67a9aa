/**
 * Whose files a repair may write: the checks every writer makes before it
 * opens a target, a backup, a lock or a state directory for writing.
 *
 * A repair is often run by root on a file someone else named. Whoever can
 * write a directory on the way to a file can swap what is there (a symlink
 * to /etc/shadow, a forged backup record) between any check and the write.
 * So, walking the path from `/` one component at a time (symlinks of parent
 * directories resolved as the kernel would, each one checked):
 *
 * - every directory must belong to root or to the caller, and no one else
 *   may write it, except a sticky shared directory (/tmp), where only the
 *   owner of an entry can replace it: there the entry itself must belong to
 *   root or the caller (and a regular file must have one link, so it cannot
 *   be a hard link someone made to a file they could not write);
 * - a symbolic link on the way must belong to root or the caller; the last
 *   component is never followed: a symlink there is refused;
 * - a file that is read to decide what to write (a backup record, a lock)
 *   must belong to root or the caller and be writable by no one else.
 *
 * The target is then opened with O_NOFOLLOW and the open descriptor's
 * device and inode compared with what was checked, so a swap between the
 * check and the open is caught.
 */
import * as fs from 'node:fs';
import { UntrustedPathError } from '../format/errors';
import { ioError } from './errors';
import { bufferOf, showPath, type FilePath } from './path';

/** At most this many symbolic links on one path (the kernel's own limit). */
const MAX_LINKS = 40;
const SLASH = 0x2f;

/** The effective uid the checks trust besides root (-1 where the platform has no uids). */
export const callerUid = (): number => (typeof process.geteuid === 'function' ? process.geteuid() : -1);

/** `user 1001 (name)` from the password file, or `user 1001`. */
export function userName(uid: number): string {
  let name: string | undefined;
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    name = line?.split(':')[0];
  } catch {
    name = undefined;
  }
  return name === undefined || name === '' ? `user ${uid}` : `user ${uid} (${name})`;
}

const trustedOwner = (uid: number): boolean => uid === 0 || uid === callerUid();
const othersMayWrite = (mode: number): boolean => (mode & 0o022) !== 0;
const sticky = (mode: number): boolean => (mode & 0o1000) !== 0;

function lstatOrNull(p: Buffer, shown: FilePath): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError('inspect', shown, e);
  }
}

const MOVE = 'run it as the owner of those files, or copy the file to a directory only you can write';

function refuse(what: string, path: FilePath, why: string, fix = MOVE): UntrustedPathError {
  return new UntrustedPathError(`refusing to write ${what} ${showPath(path)}: ${why}; nothing was written: ${fix}`);
}

/** A directory on the way: root's or the caller's, and not writable by others unless sticky. */
function checkDir(dir: Buffer, st: fs.Stats, what: string, path: FilePath): void {
  if (!st.isDirectory()) return; // ENOTDIR comes from the open
  if (!trustedOwner(st.uid)) {
    throw refuse(
      what,
      path,
      `the directory ${showPath(dir)} belongs to ${userName(st.uid)}, who could replace what is in it`,
    );
  }
  if (othersMayWrite(st.mode) && !sticky(st.mode)) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw refuse(what, path, `the directory ${showPath(dir)} (mode ${mode}) may be written by other users`);
  }
}

/** An entry of `dir`: in a sticky shared directory it must be root's or the caller's (and not a hard link). */
function checkEntry(dirSt: fs.Stats, dir: Buffer, entry: Buffer, st: fs.Stats, what: string, path: FilePath): void {
  if (!othersMayWrite(dirSt.mode)) return;
  if (!trustedOwner(st.uid)) {
    throw refuse(
      what,
      path,
      `${showPath(entry)} belongs to ${userName(st.uid)} and sits in the shared directory ${showPath(dir)}`,
    );
  }
  if (st.isFile() && st.nlink > 1) {
    throw refuse(
      what,
      path,
      `${showPath(entry)} has ${st.nlink} hard links and sits in the shared directory ${showPath(dir)}: another ` +
        `name may be someone else's`,
    );
  }
}

const join = (dir: Buffer, name: Buffer): Buffer =>
  dir.length === 1 ? Buffer.concat([dir, name]) : Buffer.concat([dir, Buffer.from([SLASH]), name]);

function parentOf(dir: Buffer): Buffer {
  const i = dir.lastIndexOf(SLASH);
  return i <= 0 ? Buffer.from('/') : dir.subarray(0, i);
}

const components = (p: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i === p.length || p[i] === SLASH) {
      if (i > start) out.push(p.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
};

/** What was checked at the last component: absent, or its device and inode (for the compare after the open). */
export type Checked = { exists: false } | { exists: true; dev: number; ino: number; stat: fs.Stats };

export interface TrustOptions {
  /** What the file is, for the message ('target', 'backup', 'lock'). */
  what: string;
  /** The file is read to decide what to write: it must be root's or the caller's and writable by no one else. */
  content?: boolean;
}

/**
 * Check the path to a file about to be written (see the file header); the
 * last component may be absent (a file to be created) but never a symlink.
 */
export function checkWritablePath(path: FilePath, o: TrustOptions): Checked {
  const given = Buffer.from(bufferOf(typeof path === 'string' ? Buffer.from(path, 'utf8') : path));
  if (given.length === 0) throw refuse(o.what, path, 'the path is empty');
  const start = given[0] === SLASH ? given : Buffer.concat([Buffer.from(`${process.cwd()}/`, 'utf8'), given]);
  const todo = components(start);
  const root = Buffer.from('/');
  let dir: Buffer = root;
  let dirSt = fs.statSync(root);
  checkDir(root, dirSt, o.what, path);
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift() as Buffer;
    const last = todo.length === 0;
    if (name.equals(Buffer.from('.'))) continue;
    if (name.equals(Buffer.from('..'))) {
      if (last) throw refuse(o.what, path, 'the path ends in ..');
      dir = parentOf(dir);
      dirSt = fs.lstatSync(dir);
      continue;
    }
    const entry = join(dir, name);
    const st = lstatOrNull(entry, path);
    // Nothing there (or a directory on the way missing): the open or create that follows fails on its own.
    if (st === null) return { exists: false };
    checkEntry(dirSt, dir, entry, st, o.what, path);
    if (st.isSymbolicLink()) {
      if (last) {
        throw refuse(
          o.what,
          path,
          `${showPath(entry)} is a symbolic link, which a repair never follows: name the file itself`,
        );
      }
      if (!trustedOwner(st.uid))
        throw refuse(o.what, path, `the symbolic link ${showPath(entry)} belongs to ${userName(st.uid)}`);
      if (++links > MAX_LINKS) throw ioError('open', path, Object.assign(new Error('loop'), { code: 'ELOOP' }));
      const to = fs.readlinkSync(entry, { encoding: 'buffer' });
      todo.unshift(...components(to));
      if (to[0] === SLASH) {
        dir = root;
        dirSt = fs.statSync(root);
      }
      continue;
    }
    if (last) return finalEntry(st, path, o);
    checkDir(entry, st, o.what, path);
    dir = entry;
    dirSt = st;
  }
  throw refuse(o.what, path, 'the path names a directory');
}

function finalEntry(st: fs.Stats, path: FilePath, o: TrustOptions): Checked {
  if (o.content === true && !st.isDirectory()) {
    if (!trustedOwner(st.uid))
      throw refuse(o.what, path, `it belongs to ${userName(st.uid)}, so its content cannot be trusted`);
    if (othersMayWrite(st.mode)) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      throw refuse(o.what, path, `it (mode ${mode}) may be written by other users, so its content cannot be trusted`);
    }
  }
  return { exists: true, dev: st.dev, ino: st.ino, stat: st };
}

/** After an open of a checked path: the descriptor must be the very file that was checked. */
export function checkSameFile(fd: number, checked: Checked, what: string, path: FilePath): void {
  const st = fs.fstatSync(fd);
  if (!checked.exists || st.dev !== checked.dev || st.ino !== checked.ino) {
    throw refuse(what, path, 'it was replaced while it was being opened');
  }
}

/**
 * A directory this tool creates for its own state (backups of block
 * devices): made 0700 where missing; one that is there must belong to the
 * caller and be writable by no one else.
 */
export function ensurePrivateDir(dir: string, base: string): void {
  const parts = dir
    .slice(base.length)
    .split('/')
    .filter((s) => s !== '');
  let at = base;
  for (const part of parts) {
    at = `${at}/${part}`;
    try {
      fs.mkdirSync(at, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = fs.lstatSync(at);
    const fix = 'remove it, or make it yours with mode 0700';
    if (!st.isDirectory()) throw refuse('into the state directory', at, 'it is not a directory', fix);
    if (st.uid !== callerUid())
      throw refuse('into the state directory', at, `it belongs to ${userName(st.uid)}, not to the caller`, fix);
    if (othersMayWrite(st.mode)) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      throw refuse('into the state directory', at, `its mode ${mode} lets other users write it`, fix);
    }
  }
}
