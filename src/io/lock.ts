/**
 * The per-target exclusive lock `TARGET.infoblock.lock`.
 *
 * Race-free by construction: the lock file is written complete (owner pid)
 * under a temporary name and then link()ed to the lock name, which fails if
 * anything is there, so no process ever sees a lock without its owner.
 *
 * A lock whose owner is dead (a killed migrate or restore) is stale and is
 * taken over, because recovery needs the lock. Only one process may break a
 * stale lock at a time: it must first link `LOCK.break` (same protocol), then
 * removes the lock only if it is still the very inode judged stale. Anything
 * at the lock name that is not a lock written by this tool (a directory, a
 * symlink, a file with other content) is never moved or deleted: refused.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { tempPathFor } from './durable';
import { ioError } from './errors';
import { closeQuietly, kindOf, writeAt } from './files';
import { noFaults, type Faults } from './faults';
import { fsPath, showPath, withSuffix, type FilePath } from './path';
import { callerUid, userName } from './trust';
import { expectOptions, expectStringOrBytes } from '../format/guard';

export const lockPathOf = (target: FilePath): FilePath => {
  expectStringOrBytes(target, 'target');
  return withSuffix(target, '.infoblock.lock');
};

const LOCK_TEXT = (pid: number): string => `nd-infoblock lock\npid ${pid}\n`;

type LockState = { kind: 'absent' } | { kind: 'ours'; pid: number; ino: bigint } | { kind: 'foreign'; what: string };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What is at a lock name: nothing, a lock of ours (pid, inode), or something else. */
function inspect(path: FilePath): LockState {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(fsPath(path), { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw ioError('inspect the lock', path, e);
  }
  if (!st.isFile()) return { kind: 'foreign', what: `a ${kindOf(st)}` };
  // A lock is only ever written by root or the caller, and no one else may write it.
  const owner = Number(st.uid);
  if (owner !== 0 && owner !== callerUid()) return { kind: 'foreign', what: `a file of ${userName(owner)}` };
  if ((Number(st.mode) & 0o022) !== 0) return { kind: 'foreign', what: 'a file other users may write' };
  if (st.size > 64n) return { kind: 'foreign', what: 'a file that is not a lock' };
  let text: string;
  try {
    text = fs.readFileSync(fsPath(path), 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw ioError('read the lock', path, e);
  }
  // The bare "<pid>\n" form is what earlier versions wrote.
  const m = /^nd-infoblock lock\npid (\d{1,10})\n$/.exec(text) ?? /^(\d{1,10})\n$/.exec(text);
  if (m === null) return { kind: 'foreign', what: 'a file that is not a lock' };
  return { kind: 'ours', pid: Number(m[1]), ino: st.ino };
}

/** Write a complete lock file under a temporary name; returns it. */
function prepare(lockPath: FilePath, faults: Faults): FilePath {
  const tmp = tempPathFor(lockPath);
  let fd: number;
  try {
    fd = fs.openSync(fsPath(tmp), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
  } catch (e) {
    throw ioError('create the lock', lockPath, e);
  }
  try {
    writeAt(fd, tmp, Buffer.from(LOCK_TEXT(process.pid)), 0n);
  } catch (e) {
    closeQuietly(fd);
    unlinkQuietly(tmp);
    throw new IoError(`cannot create the lock ${showPath(lockPath)}: ${(e as Error).message}`, { cause: e });
  }
  closeQuietly(fd);
  faults.at('lock-temp-written');
  return tmp;
}

function unlinkQuietly(p: FilePath): void {
  try {
    fs.unlinkSync(fsPath(p));
  } catch {
    /* gone already */
  }
}

/** link(tmp, name): true when it is ours now, false when something is there. */
function place(tmp: FilePath, name: FilePath): boolean {
  try {
    fs.linkSync(fsPath(tmp), fsPath(name));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('create the lock', name, e);
  }
}

/** Remove `path` only while it is still inode `ino`. */
function unlinkIfInode(path: FilePath, ino: bigint): void {
  try {
    if (fs.lstatSync(fsPath(path), { bigint: true }).ino === ino) fs.unlinkSync(fsPath(path));
  } catch {
    /* gone already */
  }
}

const foreign = (path: FilePath, what: string, target: FilePath): IoError =>
  new IoError(
    `${showPath(path)} is in the way of the lock for ${showPath(target)}: it is ${what}, not a lock written by ` +
      `infoblock; nothing was changed: move it away and try again`,
  );

/** Break the stale lock `ino` while holding `LOCK.break`. Returns false when another process is breaking it. */
function breakStale(lockPath: FilePath, ino: bigint, tmp: FilePath, target: FilePath, faults: Faults): void {
  const breaker = withSuffix(lockPath, '.break');
  for (let attempt = 0; attempt < 3; attempt++) {
    if (place(tmp, breaker)) {
      const mine = fs.lstatSync(fsPath(breaker), { bigint: true }).ino;
      try {
        faults.at('lock-break');
        unlinkIfInode(lockPath, ino);
      } finally {
        unlinkIfInode(breaker, mine);
      }
      return;
    }
    const b = inspect(breaker);
    if (b.kind === 'foreign') throw foreign(breaker, b.what, target);
    if (b.kind === 'ours' && pidAlive(b.pid)) {
      throw new InfoblockError(
        'locked',
        `${showPath(target)}: process ${b.pid} is taking over its stale lock right ` + `now; try again`,
      );
    }
    // A breaker whose process died inside the break: it held nothing else.
    if (b.kind === 'ours') unlinkIfInode(breaker, b.ino);
  }
  throw new InfoblockError(
    'locked',
    `cannot take over the stale lock ${showPath(lockPath)}: it keeps changing; try ` + `again`,
  );
}

export interface Lock {
  path: FilePath;
  /** Set when a stale lock of a dead process was taken over. */
  tookOverFrom: number | null;
  release(): void;
}

/** Take the target's lock, or throw InfoblockError 'locked' (live owner) or IoError (cannot; something in the way). */
export function acquireLock(target: FilePath, faults: Faults = noFaults): Lock {
  expectStringOrBytes(target, 'target');
  expectOptions(faults, 'faults', true);
  const lockPath = lockPathOf(target);
  const tmp = prepare(lockPath, faults);
  let tookOverFrom: number | null = null;
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (place(tmp, lockPath)) {
        const ino = fs.lstatSync(fsPath(lockPath), { bigint: true }).ino;
        return { path: lockPath, tookOverFrom, release: () => unlinkIfInode(lockPath, ino) };
      }
      const s = inspect(lockPath);
      if (s.kind === 'absent') continue;
      if (s.kind === 'foreign') throw foreign(lockPath, s.what, target);
      if (pidAlive(s.pid)) {
        throw new InfoblockError(
          'locked',
          `${showPath(target)} is locked by process ${s.pid} ` +
            `(${showPath(lockPath)}): another migrate or restore is running on it; wait for it to finish`,
        );
      }
      breakStale(lockPath, s.ino, tmp, target, faults);
      tookOverFrom = s.pid;
    }
  } finally {
    unlinkQuietly(tmp);
  }
  throw new InfoblockError('locked', `cannot take the lock ${showPath(lockPath)}: it keeps reappearing; try again`);
}
