/**
 * Applying a migration to an image file or block device, crash-safe:
 * lock → read and verify → backup (temp file, fsync, rename, fsync dir) →
 * ONE positioned 4 KiB write at offset + 4096 → fsync → re-read and verify.
 * The target is never opened with truncation and no other byte is written.
 * `restoreTarget` puts the backed-up info-block back the same way.
 *
 * INFOBLOCK_FAULT=<step> (after-lock | after-backup | mid-write | after-write)
 * kills the process at that step with SIGKILL: a hook for the crash tests.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { InfoblockError, IoError } from '../format/errors';
import { BLOCK_SIZE } from '../format/fletcher64';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from '../format/head';
import { sameBytes } from '../format/pfn';
import { hex } from '../format/units';
import { ioError, readAt, targetSize } from '../format/files';
import { belongsTo, crc32, decodeBackup, encodeBackup, sameBackup, type BackupRecord, type TargetIdentity } from './backup';
import { acquireLock, type Lock } from './lock';
import { migrate, type MigrateOptions, type MigrationReport } from './migrate';

export type FaultStep = 'after-lock' | 'after-backup' | 'mid-write' | 'after-write';

export function faultAt(step: FaultStep): boolean {
  return process.env.INFOBLOCK_FAULT === step;
}

export function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

export const defaultBackupPath = (target: string): string => `${target}.infoblock-backup`;

export interface TargetOptions {
  target: string;
  /** Where the namespace starts inside the target (the head is there). */
  offset: bigint;
  /** Warnings worth telling the user (stale lock taken over, reused backup). */
  warn?: (line: string) => void;
}

export interface MigrateTargetOptions extends TargetOptions, MigrateOptions {
  backup?: string;
  force?: boolean;
  dryRun?: boolean;
}

export interface MigrateTargetResult {
  report: MigrationReport;
  /** The hazard refusal (nothing written), or null. */
  refused: string | null;
  backupPath: string | null;
  backupReused: boolean;
  written: boolean;
  lockTakenOverFrom: number | null;
}

export function identity(path: string, fd: number): TargetIdentity {
  let st: fs.BigIntStats;
  let real: string;
  try {
    st = fs.fstatSync(fd, { bigint: true });
    real = fs.realpathSync(path);
  } catch (e) {
    throw ioError('stat', path, e);
  }
  return { path: real, size: targetSize(path, fd), dev: st.dev, ino: st.ino };
}

export function openTarget(path: string, write: boolean): number {
  try {
    // 'r+' never truncates or creates; for a block device it is O_RDWR.
    return fs.openSync(path, write ? 'r+' : 'r');
  } catch (e) {
    throw ioError('open', path, e);
  }
}

export function readBackupFile(path: string): BackupRecord {
  let text: string;
  try {
    text = fs.readFileSync(path, 'latin1');
  } catch (e) {
    throw ioError('read backup', path, e);
  }
  return decodeBackup(text, `backup '${path}'`);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write `text` atomically at `path`: temp file, fsync, rename, fsync the directory. */
export function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
    fsyncDir(nodePath.dirname(nodePath.resolve(path)));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw ioError('write backup', path, e);
  }
}

/** One positioned write of `bytes` at `position`, then fsync. Returns the bytes written before a failure, for the message. */
export function writeAt(fd: number, path: string, bytes: Uint8Array, position: bigint): void {
  let n: number;
  try {
    n = fs.writeSync(fd, bytes, 0, bytes.byteLength, Number(position));
    fs.fsyncSync(fd);
  } catch (e) {
    throw ioError('write', path, e);
  }
  if (n !== bytes.byteLength) throw new IoError(`short write to '${path}': ${n} of ${bytes.byteLength} bytes at offset ${position}`);
}

export function restoreCommand(target: string, backup: string, offset: bigint): string {
  return `infoblock restore ${target} --backup ${backup}${offset === 0n ? '' : ` --offset ${offset}`}`;
}

export function withLock<T>(o: TargetOptions, f: (lock: Lock) => T): T {
  const lock = acquireLock(o.target);
  if (lock.tookOverFrom !== null) {
    o.warn?.(`took over the stale lock ${lock.path} left by process ${lock.tookOverFrom}, which is no longer running (an earlier migrate or restore was interrupted)`);
  }
  try {
    return f(lock);
  } finally {
    lock.release();
  }
}

/** The backup record whose intended block is `block` (same target offset), if any. */
function completedBy(backupPath: string, block: Uint8Array, o: TargetOptions): BackupRecord | null {
  if (!fs.existsSync(backupPath)) return null;
  let r: BackupRecord;
  try {
    r = readBackupFile(backupPath);
  } catch {
    return null;
  }
  return r.offset === o.offset && r.intendedCrc32 === crc32(block.subarray(0, BLOCK_SIZE)) && !sameBytes(r.head.subarray(INFOBLOCK_OFFSET), block.subarray(0, BLOCK_SIZE)) ? r : null;
}

function tornMessage(o: TargetOptions, backupPath: string, e: InfoblockError): InfoblockError {
  return new InfoblockError(
    'precondition',
    `the info-block at ${hex(o.offset + 4096n)} fails its checksum and a backup exists: an earlier migrate was probably interrupted while writing; run \`${restoreCommand(o.target, backupPath, o.offset)}\``,
    { cause: e },
  );
}

/**
 * Plan (and unless dryRun, apply) a migration of the target. Throws
 * InfoblockError for preconditions, ambiguity, locks, backups and I/O; a
 * hazard is returned in `refused` (with the report) and nothing is written.
 */
export function migrateTarget(o: MigrateTargetOptions): MigrateTargetResult {
  const backupPath = o.backup ?? defaultBackupPath(o.target);
  const plan = (fd: number): { head: Uint8Array; report: MigrationReport } => {
    const size = targetSize(o.target, fd);
    if (size < o.offset + BigInt(HEAD_SIZE)) throw new IoError(`'${o.target}' is too short: ${size} bytes, the head needs ${HEAD_SIZE} bytes at offset ${o.offset}`);
    const head = readAt(fd, o.target, o.offset, HEAD_SIZE);
    const block = head.subarray(INFOBLOCK_OFFSET);
    // A rerun after a completed (or killed-after-write) migrate: the backup
    // names this exact block as its result. Without this, an explicit --from
    // would migrate the block a second time.
    const done = completedBy(backupPath, block, o);
    if (done !== null) {
      const report = migrate(block, { ...o, from: o.to });
      report.notes.push(`'${backupPath}' (taken ${done.created}) records this block as the result of an earlier migrate ${done.from} -> ${done.to}`);
      return { head, report };
    }
    try {
      return { head, report: migrate(block, o) };
    } catch (e) {
      if (e instanceof InfoblockError && e.field === 'checksum' && fs.existsSync(backupPath)) throw tornMessage(o, backupPath, e);
      throw e;
    }
  };
  const result = (report: MigrationReport, extra: Partial<MigrateTargetResult> = {}): MigrateTargetResult => ({
    report,
    refused: report.hazard !== null && o.force !== true && report.status === 'migrated' ? report.hazard : null,
    backupPath: null,
    backupReused: false,
    written: false,
    lockTakenOverFrom: null,
    ...extra,
  });

  if (o.dryRun === true) {
    const fd = openTarget(o.target, false);
    try {
      return result(plan(fd).report);
    } finally {
      fs.closeSync(fd);
    }
  }

  return withLock(o, (lock) => {
    if (faultAt('after-lock')) die();
    const fd = openTarget(o.target, true);
    try {
      const { head, report } = plan(fd);
      const res = result(report, { lockTakenOverFrom: lock.tookOverFrom });
      if (report.status !== 'migrated' || res.refused !== null) return res;

      const record: BackupRecord = {
        target: identity(o.target, fd),
        offset: o.offset,
        nsBase: o.nsBase,
        nsSize: o.nsSize,
        created: new Date().toISOString(),
        from: report.from,
        to: report.to,
        head: head.slice(),
        intendedCrc32: crc32(report.block),
      };
      if (fs.existsSync(backupPath)) {
        let old: BackupRecord;
        try {
          old = readBackupFile(backupPath);
        } catch (e) {
          throw new InfoblockError('backup', `a backup already exists at '${backupPath}' and is not a valid record of this head; move it away or pass --backup FILE`, { cause: e });
        }
        if (!sameBackup(old, record)) {
          throw new InfoblockError('backup', `a different backup already exists at '${backupPath}' (taken ${old.created}); refusing to overwrite it: move it away or pass --backup FILE`);
        }
        res.backupReused = true;
        o.warn?.(`reusing the identical backup '${backupPath}' taken ${old.created}`);
      } else {
        try {
          writeDurably(backupPath, encodeBackup(record));
        } catch (e) {
          throw new IoError(`${(e as Error).message}; nothing was written to '${o.target}', it still holds the original block`, { cause: e });
        }
      }
      res.backupPath = backupPath;
      if (faultAt('after-backup')) die();

      const position = o.offset + BigInt(INFOBLOCK_OFFSET);
      const restore = restoreCommand(o.target, backupPath, o.offset);
      try {
        if (faultAt('mid-write')) {
          writeAt(fd, o.target, report.block.subarray(0, BLOCK_SIZE / 2), position);
          die();
        }
        writeAt(fd, o.target, report.block, position);
      } catch (e) {
        throw new IoError(`writing the new info-block failed; the block at ${hex(position)} may be partly written (the backup '${backupPath}' holds the original): run \`${restore}\`: ${(e as Error).message}`, { cause: e });
      }
      if (faultAt('after-write')) die();
      let back: Uint8Array;
      try {
        back = readAt(fd, o.target, position, BLOCK_SIZE);
      } catch (e) {
        throw new IoError(`${(e as Error).message}; the new block was written but could not be read back to verify it: check it, or run \`${restore}\``, { cause: e });
      }
      if (!sameBytes(back, report.block)) {
        throw new IoError(`verification failed: the block read back from '${o.target}' at ${hex(position)} is not what was written; the original is in '${backupPath}': run \`${restore}\``);
      }
      res.written = true;
      return res;
    } finally {
      fs.closeSync(fd);
    }
  });
}

export interface RestoreOptions extends TargetOptions {
  backup: string;
  /** true when --offset was given (it must then match the backup's). */
  offsetGiven: boolean;
  /** Restore even when the first 4 KiB changed since the backup (then the whole 8 KiB head is written). */
  force?: boolean;
}

export interface RestoreResult {
  status: 'restored' | 'already';
  /** Bytes written (4096, or 8192 with --force over a changed first 4 KiB). */
  bytes: number;
  position: bigint;
  record: BackupRecord;
  lockTakenOverFrom: number | null;
}

/**
 * Put the backed-up info-block back. The backup must be intact (CRC-32) and
 * belong to this target (same realpath or dev/ino, same size) and offset.
 * Only bytes 4096..8191 of the head are written; if the first 4 KiB differ
 * from the backup, something other than migrate changed the namespace and
 * restore refuses unless `force` (then it writes the whole 8 KiB head).
 */
export function restoreTarget(o: RestoreOptions): RestoreResult {
  const record = readBackupFile(o.backup);
  const offset = o.offsetGiven ? o.offset : record.offset;
  if (record.offset !== offset) throw new InfoblockError('backup', `backup '${o.backup}' is for offset ${record.offset}, not ${offset}`);
  const opts = { ...o, offset };
  return withLock(opts, (lock) => {
    const fd = openTarget(o.target, true);
    try {
      const id = identity(o.target, fd);
      if (!belongsTo(record, id)) {
        throw new InfoblockError(
          'backup',
          `backup '${o.backup}' belongs to '${record.target.path}' (${record.target.size} bytes, dev ${record.target.dev} ino ${record.target.ino}), not to '${id.path}' (${id.size} bytes, dev ${id.dev} ino ${id.ino})`,
        );
      }
      if (id.size < offset + BigInt(HEAD_SIZE)) throw new IoError(`'${o.target}' is too short for a head at offset ${offset}`);
      const current = readAt(fd, o.target, offset, HEAD_SIZE);
      const base = { record, lockTakenOverFrom: lock.tookOverFrom };
      if (sameBytes(current, record.head)) return { status: 'already', bytes: 0, position: offset + 4096n, ...base };
      const firstSame = sameBytes(current.subarray(0, INFOBLOCK_OFFSET), record.head.subarray(0, INFOBLOCK_OFFSET));
      if (!firstSame && o.force !== true) {
        throw new InfoblockError('backup', `the first 4 KiB of the head at ${hex(offset)} changed since the backup was taken (migrate never writes them): something else wrote this namespace; pass --force to put the whole 8 KiB head back`);
      }
      const [bytes, position] = firstSame ? [record.head.subarray(INFOBLOCK_OFFSET), offset + 4096n] : [record.head, offset];
      writeAt(fd, o.target, bytes, position);
      const back = readAt(fd, o.target, offset, HEAD_SIZE);
      if (!sameBytes(back, record.head)) throw new IoError(`verification failed: the head read back from '${o.target}' at ${hex(offset)} differs from the backup; run restore again`);
      return { status: 'restored', bytes: bytes.byteLength, position, ...base };
    } finally {
      fs.closeSync(fd);
    }
  });
}
