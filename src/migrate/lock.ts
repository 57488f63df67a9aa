/**
 * The per-target exclusive lock: `TARGET.infoblock.lock`, created with
 * O_EXCL, holding the owner's pid. A live owner means refusal ('locked').
 * A lock whose pid is no longer running is stale (a migrate or restore was
 * killed): it is taken over, with a warning, because the crash-recovery
 * path (detect a torn block, point at restore) needs the lock to run at all.
 * The takeover renames the stale file aside first (atomic), re-reads it to
 * make sure it is the dead owner's, and only then creates our own.
 */
import * as fs from 'node:fs';
import { InfoblockError } from '../format/errors';
import { ioError } from '../format/files';

export const lockPathOf = (target: string): string => `${target}.infoblock.lock`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | null {
  try {
    const text = fs.readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function create(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('create lock file', path, e);
  }
  try {
    fs.writeSync(fd, `${process.pid}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

export interface Lock {
  path: string;
  /** Set when a stale lock of a dead process was taken over. */
  tookOverFrom: number | null;
  release(): void;
}

/** Take the target's lock or throw InfoblockError 'locked'. */
export function acquireLock(target: string): Lock {
  const path = lockPathOf(target);
  let tookOverFrom: number | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (create(path)) {
      return {
        path,
        tookOverFrom,
        release: () => {
          if (readPid(path) === process.pid) fs.rmSync(path, { force: true });
        },
      };
    }
    const pid = readPid(path);
    if (pid !== null && pidAlive(pid)) {
      throw new InfoblockError('locked', `'${target}' is locked by process ${pid} (${path}): another migrate or restore is running on it; wait for it to finish`);
    }
    if (attempt === 1) break;
    const aside = `${path}.stale-${process.pid}`;
    try {
      fs.renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else removed it: try again
      throw ioError('take over stale lock', path, e);
    }
    const asidePid = readPid(aside);
    if (asidePid !== pid) {
      // Not the file we judged stale: put it back and refuse.
      try {
        fs.renameSync(aside, path);
      } catch {
        /* the other owner's lock is gone; nothing better to do */
      }
      throw new InfoblockError('locked', `'${target}' is locked (${path}) and its owner changed while we looked; try again`);
    }
    fs.rmSync(aside, { force: true });
    tookOverFrom = pid;
  }
  throw new InfoblockError('locked', `cannot take the lock ${path}: it keeps reappearing; if no migrate or restore is running, remove it by hand (rm '${path}')`);
}
