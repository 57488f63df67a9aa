/**
 * replaceInfoBlock: the one crash-safe way to put a new 4 KiB info-block on
 * an image file or block device, shared by migrate and by any other repair.
 *
 *   lock → read the 8 KiB head at `offset` → plan(oldHead) gives the new block
 *   → backup record written complete, fsynced, re-read and compared
 *   → ONE positioned 4 KiB write at offset + 4096 → fsync → read back, compare.
 *
 * The target is never created, truncated or written anywhere else; nothing
 * touches it before the backup is known good. `restoreTarget` undoes it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { InfoblockError, InvalidArgumentError, IoError, type Hint } from '../format/errors';
import { expectSpan, expectU64 } from '../format/int64';
import { BLOCK_SIZE } from '../format/fletcher64';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from '../format/head';
import { sameBytes } from '../format/pfn';
import { hex } from '../format/units';
import { reasonOf } from '../io/errors';
import {
  checkRange,
  checkRegularOrAbsent,
  closeQuietly,
  fsyncFd,
  identityOf,
  majorMinor,
  openTarget,
  readAt,
  readSmallFile,
  writeAt,
  type Identity,
} from '../io/files';
import { verifyFile, writeFileDurably } from '../io/durable';
import { noFaults, type Faults } from '../io/faults';
import { acquireLock, type Lock } from '../io/lock';
import { checkWritablePath, ensurePrivateDir } from '../io/trust';
import { baseOf, bufferOf, pathText, showPath, withSuffix, type FilePath } from '../io/path';
import {
  BACKUP_MAX_BYTES,
  belongsTo,
  blockStateFor,
  crc32,
  decodeBackup,
  encodeBackup,
  isTornWrite,
  sameBackup,
} from './backup';
import type { BackupRecord } from './backup';
import { expectBoolean, expectFields, expectOptions, expectStringOrBytes } from '../format/guard';

export interface Label {
  from: string;
  to: string;
}

/** What `plan` sees besides the old head. */
export interface ReplaceContext {
  /** The record already at the backup path when it belongs to this target and offset, else null. */
  backup: BackupRecord | null;
  backupPath: FilePath;
  target: Identity;
}

export interface ReplaceInfoBlockOptions {
  /** Image file or block device (bytes, a Uint8Array, for names that are not UTF-8). */
  target: FilePath;
  /** Where the namespace starts inside the target (the head is there; the block at offset + 4096). Default 0. */
  offset?: bigint;
  /** Backup record path; default `defaultBackupPath(target)`. */
  backup?: FilePath;
  /**
   * Given the old 8 KiB head, return the new 4096-byte block, or null to
   * leave the target alone (nothing written, no backup). Throw an
   * InfoblockError to refuse. Called with the lock held (except dry runs).
   */
  plan(oldHead: Uint8Array, ctx: ReplaceContext): Uint8Array | null;
  /** Recorded in the backup (informational): what the block was and becomes ('legacy' → 'map'). */
  label?: Label | (() => Label);
  nsBase?: bigint;
  nsSize?: bigint;
  /** Plan only: no lock, no backup, no write (the backup path is still checked). */
  dryRun?: boolean;
  /** Warnings worth telling the user (stale lock taken over, reused backup). */
  warn?: (line: string) => void;
  /** Test hook: see src/io/faults.ts. */
  faults?: Faults;
  /** Environment for the default backup directory of block devices (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ReplaceInfoBlockResult {
  written: boolean;
  backupPath: FilePath;
  /** true when an identical backup was already there and kept. */
  backupReused: boolean;
  oldHead: Uint8Array;
  oldBlock: Uint8Array;
  /** The block plan returned (null: nothing to do). */
  newBlock: Uint8Array | null;
  /** Where the block is (offset + 4096). */
  position: bigint;
  lockTakenOverFrom: number | null;
}

/** Directory for backups of block devices: $XDG_STATE_HOME, else ~/.local/state, then nd-infoblock/backups. */
export function backupStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  expectOptions(env, 'env', true);
  return nodePath.join(stateHome(env), 'nd-infoblock', 'backups');
}

/** $XDG_STATE_HOME when absolute, else ~/.local/state. */
function stateHome(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_STATE_HOME;
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
  return xdg !== undefined && nodePath.isAbsolute(xdg) ? xdg : nodePath.join(home, '.local', 'state');
}

/**
 * The default backup path: `TARGET.infoblock-backup` beside an image file;
 * for a block device (whose directory, /dev, lives in RAM) a file named by
 * the device and its major:minor in `backupStateDir()`.
 */
export function defaultBackupPath(
  target: FilePath,
  id?: Pick<Identity, 'kind' | 'rdev' | 'path'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): FilePath {
  expectStringOrBytes(target, 'target');
  if (id !== undefined) expectFields(id, 'id', { kind: 'string', rdev: 'bigint', path: 'bytes' });
  expectOptions(env, 'env', true);
  if (id?.kind !== 'block device') return withSuffix(target, '.infoblock-backup');
  const [maj, min] = majorMinor(id.rdev);
  const name = pathText(baseOf(id.path)).replace(/[^A-Za-z0-9._-]/g, '_');
  return nodePath.join(backupStateDir(env), `${name}-${maj}:${min}.infoblock-backup`);
}

/** The operation that puts a backed-up head back: `restore` of the same target from `backup`. */
export interface RestoreRun {
  readonly operation: 'restore';
  readonly params: { readonly backup: string };
}

/** What to run to put the original head back from the record at `backup` (its target is the caller's). */
export function restoreHint(backup: FilePath): Hint & { run: RestoreRun } {
  expectStringOrBytes(backup, 'backup');
  return { run: { operation: 'restore', params: { backup: typeof backup === 'string' ? backup : pathText(backup) } } };
}

const choosePlace = { pass: { backup: '<FILE>' } } as const;

/**
 * The one report of a torn block (see isTornWrite): it is torn, the backup
 * holds the only copy of the original, and restore puts it back.
 */
export function tornBlockError(position: bigint, backupPath: FilePath, cause?: unknown): InfoblockError {
  return new InfoblockError(
    'precondition',
    `the info-block at ${hex(position)} is torn: it fails its checksum and a backup exists, ` +
      `${showPath(backupPath)}, that shows an earlier write of it was interrupted; that backup holds the only ` +
      `copy of the original: restore it`,
    { hint: restoreHint(backupPath), ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * The torn-write check for a target a reader looks at: the backup record
 * at its default path (beside an image file), when there is one that belongs to
 * it and `offset`, and proves the block at offset + 4096 torn. Null otherwise
 * (no backup, another file's, unreadable: a reader says nothing then).
 */
export function tornBackupOf(target: FilePath, offset: bigint, block: Uint8Array): FilePath | null {
  try {
    const fd = openTarget(target, 'read');
    try {
      const id = identityOf(target, fd);
      const backupPath = defaultBackupPath(target, id);
      const r = readBackupIfAny(backupPath);
      if (r === null || !belongsTo(r, id) || r.offset !== offset) return null;
      return isTornWrite(r, block) ? backupPath : null;
    } finally {
      closeQuietly(fd);
    }
  } catch {
    return null;
  }
}

/** Read the record at `path` if there is one; a file there that is not a record is an error. */
export function readBackupIfAny(path: FilePath, trusted = false): BackupRecord | null {
  if (!checkRegularOrAbsent(path, 'backup')) return null;
  return readBackup(path, trusted);
}

/**
 * Read and check the record at `path`. `trusted`: it will decide what is
 * written, so the file and its directories must be root's or the caller's
 * (see src/io/trust.ts): a record another user could have written is refused.
 */
export function readBackup(path: FilePath, trusted = false): BackupRecord {
  expectStringOrBytes(path, 'path');
  if (trusted !== undefined) expectBoolean(trusted, 'trusted');
  return decodeBackup(readSmallFile(path, BACKUP_MAX_BYTES, 'backup', trusted), `backup ${showPath(path)}`);
}

interface Prepared {
  fd: number;
  id: Identity;
  head: Buffer;
  backupPath: FilePath;
  existing: BackupRecord | null;
  existingError: InfoblockError | null;
}

/**
 * The state directory for backups of block devices, when the backup goes
 * there: created 0700 where missing, refused when it is not the caller's
 * alone. Then the backup's own path must pass the trust checks.
 */
function ensureBackupDir(o: ReplaceInfoBlockOptions, path: FilePath): void {
  const env = o.env ?? process.env;
  if (o.backup === undefined && typeof path === 'string' && nodePath.dirname(path) === backupStateDir(env)) {
    const base = stateHome(env);
    try {
      fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new IoError(
        `cannot create the backup directory for ${showPath(path)}: ${reasonOf(e).reason}; choose a backup file ` +
          `on a persistent file system`,
        { cause: e, hint: choosePlace },
      );
    }
    ensurePrivateDir(backupStateDir(env), base);
  }
  checkWritablePath(path, { what: 'the backup', content: true });
}

/** Open, identify, size-check and read the head; look at the backup path. */
function prepare(o: ReplaceInfoBlockOptions, offset: bigint, write: boolean): Prepared {
  const fd = openTarget(o.target, write ? 'write' : 'read');
  try {
    const id = identityOf(o.target, fd);
    checkRange(o.target, offset, HEAD_SIZE);
    if (id.size < offset + BigInt(HEAD_SIZE)) {
      throw new IoError(
        `${showPath(o.target)} is too short: ${id.size} bytes, the 8 KiB head needs ` +
          `${offset + BigInt(HEAD_SIZE)} (offset ${offset})`,
      );
    }
    const backupPath = o.backup ?? defaultBackupPath(o.target, id, o.env);
    if (write) ensureBackupDir(o, backupPath);
    let existing: BackupRecord | null = null;
    let existingError: InfoblockError | null = null;
    try {
      existing = readBackupIfAny(backupPath, write);
    } catch (e) {
      if (!(e instanceof InfoblockError) || e.code !== 'backup') throw e; // not a regular file, unreadable: stop here
      existingError = e;
    }
    const head = bufferOf(readAt(fd, o.target, offset, HEAD_SIZE));
    return { fd, id, head, backupPath, existing, existingError };
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}

function context(p: Prepared, offset: bigint): ReplaceContext {
  const ours = p.existing !== null && belongsTo(p.existing, p.id) && p.existing.offset === offset ? p.existing : null;
  return { backup: ours, backupPath: p.backupPath, target: p.id };
}

function checkPlanned(block: Uint8Array): Uint8Array {
  if (!(block instanceof Uint8Array) || block.byteLength !== BLOCK_SIZE) {
    throw new InvalidArgumentError(`plan must return a ${BLOCK_SIZE}-byte block or null`);
  }
  return block;
}

/**
 * An earlier run that meant to write this same block was interrupted: the
 * block now on the target is the original, a torn mix or the new block, the
 * rest of the head is as the backup recorded it, and the backup, not the
 * head read now, holds the true original. Reusing it keeps `restore` exact.
 */
function interruptedSameWrite(old: BackupRecord, now: BackupRecord): boolean {
  if (!belongsTo(old, now.target) || old.offset !== now.offset || sameBytes(old.head, now.head)) return false;
  const intended = now.intended ?? new Uint8Array(0);
  if (old.intendedCrc32 !== now.intendedCrc32 || (old.intended !== undefined && !sameBytes(old.intended, intended))) {
    return false;
  }
  const lead = HEAD_SIZE - BLOCK_SIZE;
  if (!sameBytes(old.head.subarray(0, lead), now.head.subarray(0, lead))) return false;
  return blockStateFor(old, now.head.subarray(lead)) !== 'foreign';
}

function sameIntent(a: BackupRecord, b: BackupRecord): boolean {
  if (a.intendedCrc32 !== b.intendedCrc32) return false;
  return a.intended === undefined || b.intended === undefined || sameBytes(a.intended, b.intended);
}

/** Step 2: the backup, complete and checked, or an identical one reused. Returns whether it was reused. */
function backupStep(o: ReplaceInfoBlockOptions, p: Prepared, record: BackupRecord): boolean {
  let resealing = false;
  const where = `nothing was written to ${showPath(o.target)}, it still holds the original block`;
  if (p.existingError !== null) {
    throw new InfoblockError(
      'backup',
      `a backup already exists at ${showPath(p.backupPath)} but is not a valid ` +
        `backup record (${p.existingError.message}); ${where}: move it away or choose another backup file`,
      { cause: p.existingError, hint: choosePlace },
    );
  }
  if (p.existing !== null) {
    if (interruptedSameWrite(p.existing, record)) {
      o.warn?.(
        `an earlier run (${p.existing.from} -> ${p.existing.to}, ${p.existing.created}) was interrupted ` +
          `writing this same block; its backup ${showPath(p.backupPath)} of the original is kept`,
      );
      return true;
    }
    const now = p.head.subarray(INFOBLOCK_OFFSET);
    if (belongsTo(p.existing, p.id) && p.existing.offset === record.offset && isTornWrite(p.existing, now)) {
      throw tornBlockError(record.offset + BigInt(INFOBLOCK_OFFSET), p.backupPath);
    }
    if (!sameBackup(p.existing, record)) {
      throw new InfoblockError(
        'backup',
        `a different backup already exists at ${showPath(p.backupPath)} (taken ` +
          `${p.existing.created}); refusing to overwrite it; ${where}: move it away or choose another backup file`,
        { hint: choosePlace },
      );
    }
    if (sameIntent(p.existing, record)) {
      o.warn?.(`reusing the identical backup ${showPath(p.backupPath)} taken ${p.existing.created}`);
      return true;
    }
    // Same original head, but it names a block that was never written (the
    // head is still the original): reseal it for this block, or restore
    // would refuse the block this run writes.
    o.warn?.(
      `the backup ${showPath(p.backupPath)} taken ${p.existing.created} holds this same original head for ` +
        `a block that was never written; it is rewritten for the block written now`,
    );
    resealing = true;
  }
  const bytes = encodeBackup(record);
  try {
    writeFileDurably(p.backupPath, bytes, { faults: o.faults ?? noFaults, replace: resealing });
    verifyFile(p.backupPath, bytes);
    if (!sameBackup(readBackup(p.backupPath), record))
      throw new IoError(`${showPath(p.backupPath)} does not decode ` + `to the record written`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new IoError(`the backup could not be written completely: ${msg}; ${where}`, { cause: e });
  }
  return false;
}

/** Steps 3-4: one positioned write (torn on request of the fault hook), fsync, read back. */
function writeStep(o: ReplaceInfoBlockOptions, p: Prepared, block: Uint8Array, position: bigint): void {
  const faults = o.faults ?? noFaults;
  const undo = `the original is in ${showPath(p.backupPath)}: restore it from there`;
  const hint = restoreHint(p.backupPath);
  try {
    const tear = faults.tear?.();
    if (tear !== undefined) {
      writeAt(p.fd, o.target, block.subarray(0, tear), position);
      faults.at('mid-write');
    }
    writeAt(p.fd, o.target, block, position);
    faults.at('after-write');
    fsyncFd(p.fd, o.target);
    faults.at('after-fsync');
  } catch (e) {
    const why = e instanceof IoError ? e.message : reasonOf(e).reason;
    throw new IoError(
      `writing the new info-block at ${hex(position)} failed, it may be partly written (${why}); ` + `${undo}`,
      { cause: e, hint },
    );
  }
  let back: Uint8Array;
  try {
    back = readAt(p.fd, o.target, position, BLOCK_SIZE);
  } catch (e) {
    throw new IoError(
      `the new block was written but could not be read back (${(e as Error).message}); check it, or ` + `${undo}`,
      { cause: e, hint },
    );
  }
  if (!sameBytes(back, block))
    throw new IoError(
      `verification failed: the block read back from ` +
        `${showPath(o.target)} at ${hex(position)} is not what was written; ${undo}`,
      { hint },
    );
  faults.at('after-verify');
}

export interface LockUser {
  warn?: (line: string) => void;
  faults?: Faults;
}

export function withLock<T>(target: FilePath, o: LockUser, f: (lock: Lock) => T): T {
  const lock = acquireLock(target, o.faults ?? noFaults);
  if (lock.tookOverFrom !== null) {
    o.warn?.(
      `took over the stale lock ${showPath(lock.path)} left by process ${lock.tookOverFrom}, which is no ` +
        `longer running (an earlier migrate or restore was interrupted)`,
    );
  }
  try {
    o.faults?.at('after-lock');
    const r = f(lock);
    o.faults?.at('before-release');
    return r;
  } finally {
    lock.release();
  }
}

function record(o: ReplaceInfoBlockOptions, p: Prepared, offset: bigint, block: Uint8Array): BackupRecord {
  const label = typeof o.label === 'function' ? o.label() : o.label;
  return {
    target: { path: p.id.path, size: p.id.size, dev: p.id.dev, ino: p.id.ino },
    offset,
    nsBase: o.nsBase ?? 0n,
    nsSize: o.nsSize ?? p.id.size - offset,
    created: new Date().toISOString(),
    from: label?.from ?? 'original',
    to: label?.to ?? 'replaced',
    head: Uint8Array.from(p.head),
    intendedCrc32: crc32(block),
    intended: Uint8Array.from(block),
  };
}

/** Replace the info-block of `target` crash-safely; see the file header. */
export function replaceInfoBlock(o: ReplaceInfoBlockOptions): ReplaceInfoBlockResult {
  expectFields(o, 'o', { target: 'path' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('replaceInfoBlock needs an options object');
  const offset = o.offset === undefined ? 0n : expectU64(o.offset, 'offset');
  if (o.nsBase !== undefined) expectU64(o.nsBase, 'nsBase');
  if (o.nsSize !== undefined) expectU64(o.nsSize, 'nsSize');
  if (o.nsBase !== undefined && o.nsSize !== undefined) expectSpan(o.nsBase, o.nsSize);
  if (typeof o.plan !== 'function') throw new InvalidArgumentError('replaceInfoBlock needs a plan(oldHead) function');
  if (o.backup !== undefined) checkRegularOrAbsent(o.backup, 'backup');
  const position = offset + BigInt(INFOBLOCK_OFFSET);
  const run = (lock: Lock | null): ReplaceInfoBlockResult => {
    const p = prepare(o, offset, lock !== null);
    try {
      o.faults?.at('after-read');
      const planned = o.plan(Uint8Array.from(p.head), context(p, offset));
      const block = planned === null ? null : checkPlanned(planned);
      const res: ReplaceInfoBlockResult = {
        written: false,
        backupPath: p.backupPath,
        backupReused: false,
        oldHead: Uint8Array.from(p.head),
        oldBlock: Uint8Array.from(p.head.subarray(INFOBLOCK_OFFSET)),
        newBlock: block === null ? null : Uint8Array.from(block),
        position,
        lockTakenOverFrom: lock?.tookOverFrom ?? null,
      };
      if (block === null || lock === null) return res;
      res.backupReused = backupStep(o, p, record(o, p, offset, block));
      o.faults?.at('after-backup');
      writeStep(o, p, block, position);
      res.written = true;
      return res;
    } finally {
      closeQuietly(p.fd);
    }
  };
  if (o.dryRun === true) return run(null);
  // Open once before locking, so a target we may not write (or a FIFO) is
  // reported as such rather than as a lock that cannot be created.
  closeQuietly(openTarget(o.target, 'write'));
  return withLock(o.target, o, run);
}
