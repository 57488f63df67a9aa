/**
 * Realigning the labelled namespaces of a DIMM image, and undoing it.
 *
 *   lock → read the label area and the heads → planRealign
 *   → backup record of every write (bytes before and after) written complete, fsynced, re-read
 *   → new blocks, fsync → updated labels into free slots, fsync
 *   → the inactive index block (the switch), fsync → read back, compare.
 *
 * A kill at any step leaves the old namespaces (index not yet switched, or
 * torn and failing its checksum) or the new ones (index written); a rerun
 * finishes the job with the first run's backup. `restoreRealign` writes the
 * recorded bytes back, the index first: from that write on the old index is
 * current again, so it too is safe to interrupt and rerun.
 */
import { InfoblockError, InvalidArgumentError, IoError } from '../format/errors';
import { expectU64 } from '../format/int64';
import { dimmLayout } from '../format/labels-spec';
import { decodeLabelArea } from '../format/labels-area';
import { hex } from '../format/units';
import { verifyFile, writeFileDurably } from '../io/durable';
import {
  checkRegularOrAbsent,
  closeQuietly,
  fsyncFd,
  identityOf,
  openTarget,
  readAt,
  readSmallFile,
  writeAt,
  type Identity,
} from '../io/files';
import { checkWritablePath } from '../io/trust';
import { noFaults, type Faults } from '../io/faults';
import { showPath, withSuffix, type FilePath } from '../io/path';
import type { Arch } from '../validate/arch';
import { sameTarget } from '../replace/backup';
import { planRealign, type RealignPlan } from './realign-plan';
import {
  decodeRealignRecord,
  encodeRealignRecord,
  isRealignRecord,
  REALIGN_BACKUP_MAX_BYTES,
  writeState,
  type RealignRecord,
  type RecordedWrite,
} from './realign-backup';
import { restoreHint, withLock, type RestoreRun } from '../replace/replace';
import { expectFields, expectStringOrBytes } from '../format/guard';

/** Options of {@link realignTarget}. */
export interface RealignTargetOptions {
  /** A QEMU-style DIMM image: its last `labelSize` bytes are the label area. */
  target: FilePath;
  labelSize: bigint;
  /** Label uuids to realign (default: every namespace the labels create). */
  namespaces?: readonly string[];
  /** Physical address of the DIMM (default 0). */
  dimmBase?: bigint;
  /** QEMU memory slot: the cookie the labels carry (default 0). */
  slot?: number;
  /** Kernels that must claim each result with the data in place (default: all booted kernels). */
  guardKernel?: string;
  arch?: Arch;
  /** Backup record path (default `TARGET.realign-backup`). */
  backup?: FilePath;
  /** Plan only: no lock, no backup, no write. */
  dryRun?: boolean;
  warn?: (line: string) => void;
  /** Test hook: see src/io/faults.ts. */
  faults?: Faults;
}

/**
 * What realignTarget did, in the realign document's words: `realigned` (written), `planned` (a dry run) or
 * `nothing-to-do`.
 */
export type RealignStatus = 'realigned' | 'planned' | 'nothing-to-do';

export interface RealignTargetResult {
  status: RealignStatus;
  plan: RealignPlan;
  written: boolean;
  /** The backup record (null when nothing was to be written). */
  backupPath: FilePath | null;
  backupReused: boolean;
  /** The operation that undoes it (null when nothing was to be written). */
  undo: RestoreRun | null;
  lockTakenOverFrom: number | null;
}

/** The default backup of a realignment: `TARGET.realign-backup` beside the image. */
export function defaultRealignBackupPath(target: FilePath): FilePath {
  expectStringOrBytes(target, 'target');
  return withSuffix(target, '.realign-backup');
}

function checkOptions(o: RealignTargetOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('realignTarget needs an options object');
  if (typeof o.target !== 'string' && !(o.target instanceof Uint8Array))
    throw new InvalidArgumentError('must be a path (string or Uint8Array)', { field: 'target' });
  expectU64(o.labelSize, 'labelSize');
  if (o.dimmBase !== undefined) expectU64(o.dimmBase, 'dimmBase');
}

/**
 * The record at `path`, read through the trust checks (src/io/trust.ts): it decides which bytes go where
 * in the target, so one another user owns or could have written (in a shared directory such as /tmp, say)
 * is refused, as the info-block backup is.
 */
function readRecord(path: FilePath): RealignRecord {
  const bytes = readSmallFile(path, REALIGN_BACKUP_MAX_BYTES, 'backup', true);
  return decodeRealignRecord(bytes, `backup ${showPath(path)}`);
}

function recordOf(o: RealignTargetOptions, id: Identity, plan: RealignPlan, fd: number): RealignRecord {
  const writes: RecordedWrite[] = plan.writes.map((w) => ({
    what: w.what,
    position: w.position,
    original: readAt(fd, o.target, w.position, w.bytes.byteLength),
    intended: Uint8Array.from(w.bytes),
  }));
  const namespaces = plan.namespaces
    .filter((n) => n.status === 'realign')
    .map(({ uuid, dpa, size, newDpa, newSize }) => ({ uuid, dpa, size, newDpa, newSize }));
  return {
    target: { path: id.path, size: id.size, dev: id.dev, ino: id.ino },
    created: new Date().toISOString(),
    labelSize: o.labelSize,
    namespaces,
    writes,
  };
}

const sameWrites = (a: RealignRecord, b: RealignRecord): boolean =>
  a.writes.length === b.writes.length &&
  a.writes.every((w, i) => {
    const v = b.writes[i];
    return v !== undefined && v.position === w.position && Buffer.from(v.intended).equals(Buffer.from(w.intended));
  });

/** The backup, complete and checked; or the record of an interrupted run of this same realignment, kept. */
function backupStep(o: RealignTargetOptions, path: FilePath, rec: RealignRecord): boolean {
  const where = `nothing was written to ${showPath(o.target)}`;
  checkWritablePath(path, { what: 'the backup', content: true });
  if (checkRegularOrAbsent(path, 'backup')) {
    let old: RealignRecord;
    try {
      old = readRecord(path);
    } catch (e) {
      throw new InfoblockError(
        'backup',
        `a file at ${showPath(path)} is not a valid realignment backup (${(e as Error).message}); ${where}: move it ` +
          `away or choose another backup file`,
        { cause: e, hint: { pass: { backup: '<FILE>' } } },
      );
    }
    if (sameTarget(old.target, rec.target) && sameWrites(old, rec)) {
      o.warn?.(`an earlier realign (${old.created}) of this same plan was interrupted; its backup is kept`);
      return true;
    }
    throw new InfoblockError(
      'backup',
      `a different backup already exists at ${showPath(path)} (taken ${old.created}); refusing to overwrite it; ` +
        `${where}: restore from it, move it away or choose another backup file`,
      { hint: { pass: { backup: '<FILE>' } } },
    );
  }
  const bytes = encodeRealignRecord(rec);
  try {
    writeFileDurably(path, bytes, { faults: o.faults ?? noFaults });
    verifyFile(path, bytes);
    if (!sameWrites(readRecord(path), rec))
      throw new IoError(`${showPath(path)} does not decode to the record written`);
  } catch (e) {
    throw new IoError(`the backup could not be written completely: ${(e as Error).message}; ${where}`, { cause: e });
  }
  return false;
}

/** The writes in their order: blocks, fsync, labels, fsync, the index (torn on request), fsync. */
function writeSteps(o: RealignTargetOptions, fd: number, plan: RealignPlan, backup: FilePath): void {
  const faults = o.faults ?? noFaults;
  const undo = `the original bytes are in ${showPath(backup)}: restore them from there`;
  try {
    for (const what of ['block', 'label'] as const) {
      for (const w of plan.writes.filter((x) => x.what === what)) {
        writeAt(fd, o.target, w.bytes, w.position);
        faults.at(what === 'block' ? 'after-block' : 'after-label');
      }
      fsyncFd(fd, o.target);
    }
    const index = plan.writes.find((x) => x.what === 'index');
    if (index === undefined) throw new Error('internal: a realignment plan without an index write');
    const tear = faults.tear?.();
    if (tear !== undefined) {
      writeAt(fd, o.target, index.bytes.subarray(0, Math.min(tear, index.bytes.byteLength)), index.position);
      faults.at('mid-write');
    }
    writeAt(fd, o.target, index.bytes, index.position);
    faults.at('after-write');
    fsyncFd(fd, o.target);
    faults.at('after-fsync');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new IoError(`realigning failed part way (${why}); ${undo}`, { cause: e, hint: restoreHint(backup) });
  }
  for (const w of plan.writes) {
    if (!Buffer.from(readAt(fd, o.target, w.position, w.bytes.byteLength)).equals(Buffer.from(w.bytes)))
      throw new IoError(`verification failed: the ${w.what} at ${hex(w.position)} is not what was written; ${undo}`, {
        hint: restoreHint(backup),
      });
  }
  faults.at('after-verify');
}

function planOf(o: RealignTargetOptions, fd: number, size: bigint): RealignPlan {
  const { capacity, labelOffset } = dimmLayout(size, o.labelSize);
  const area = readAt(fd, o.target, labelOffset, Number(o.labelSize));
  return planRealign(area, (off, len) => readAt(fd, o.target, off, len), {
    capacity,
    labelOffset,
    ...(o.namespaces === undefined ? {} : { namespaces: o.namespaces }),
    ...(o.dimmBase === undefined ? {} : { dimmBase: o.dimmBase }),
    ...(o.slot === undefined ? {} : { slot: o.slot }),
    ...(o.guardKernel === undefined ? {} : { guardKernel: o.guardKernel }),
    ...(o.arch === undefined ? {} : { arch: o.arch }),
  });
}

/**
 * Realign the chosen labelled namespaces of the DIMM image `target` (see src/migrate/realign-plan.ts):
 * nothing is written when none has start_pad, and nothing when the plan is refused (InfoblockError
 * 'precondition'). Throws 'backup' when another record is in the way, 'locked', and IoError.
 */
export function realignTarget(o: RealignTargetOptions): RealignTargetResult {
  expectFields(o, 'o', { target: 'path', labelSize: 'bigint' });
  checkOptions(o);
  const backupPath = o.backup ?? defaultRealignBackupPath(o.target);
  const run = (locked: boolean, tookOverFrom: number | null): RealignTargetResult => {
    const fd = openTarget(o.target, locked ? 'write' : 'read');
    try {
      const id = identityOf(o.target, fd);
      o.faults?.at('after-read');
      const plan = planOf(o, fd, id.size);
      const nothing = plan.writes.length === 0;
      const result: RealignTargetResult = {
        status: plan.status,
        plan,
        written: false,
        backupPath: nothing ? null : backupPath,
        backupReused: false,
        undo: nothing ? null : restoreHint(backupPath).run,
        lockTakenOverFrom: tookOverFrom,
      };
      if (nothing || !locked) return result;
      result.backupReused = backupStep(o, backupPath, recordOf(o, id, plan, fd));
      o.faults?.at('after-backup');
      writeSteps(o, fd, plan, backupPath);
      result.written = true;
      result.status = 'realigned';
      return result;
    } finally {
      closeQuietly(fd);
    }
  };
  if (o.dryRun === true) return run(false, null);
  closeQuietly(openTarget(o.target, 'write'));
  return withLock(o.target, o, (lock) => run(true, lock.tookOverFrom));
}

/** Options of {@link restoreRealign}. */
export interface RestoreRealignOptions {
  target: FilePath;
  /** Default `TARGET.realign-backup`. */
  backup?: FilePath;
  /** Write the recorded bytes back even over bytes that are neither the original nor the written ones. */
  force?: boolean;
  warn?: (line: string) => void;
  faults?: Faults;
}

export interface RestoreRealignResult {
  /** The restore document's words (schemas/restore.schema.json): `unchanged` when nothing needed writing. */
  status: 'restored' | 'unchanged';
  /** Bytes written back. */
  bytes: bigint;
  backupPath: FilePath;
  record: RealignRecord;
  lockTakenOverFrom: number | null;
}

/** Index first (the switch back), then labels, then blocks. */
const RESTORE_ORDER = ['index', 'label', 'block'] as const;

function restoreLocked(o: RestoreRealignOptions, rec: RealignRecord, path: FilePath, fd: number): bigint {
  const id = identityOf(o.target, fd);
  if (!sameTarget(rec.target, id))
    throw new InfoblockError(
      'backup',
      `backup ${showPath(path)} belongs to ${showPath(rec.target.path)} (${rec.target.size} bytes), not to ` +
        `${showPath(id.path)} (${id.size} bytes)`,
    );
  const now = rec.writes.map((w) => readAt(fd, o.target, w.position, w.original.byteLength));
  o.faults?.at('after-read');
  rec.writes.forEach((w, i) => {
    if (writeState(w, now[i] as Uint8Array) === 'foreign' && o.force !== true)
      throw new InfoblockError(
        'backup',
        `the ${w.what} at ${hex(w.position)} is neither what realign (${rec.created}) wrote nor what was there ` +
          `before: something else changed the DIMM since; nothing written; overwriting it needs force`,
        { hint: { pass: { force: true } } },
      );
  });
  let bytes = 0n;
  for (const what of RESTORE_ORDER) {
    rec.writes.forEach((w, i) => {
      if (w.what !== what || Buffer.from(now[i] as Uint8Array).equals(Buffer.from(w.original))) return;
      const tear = what === 'index' ? o.faults?.tear?.() : undefined;
      if (tear !== undefined) {
        writeAt(fd, o.target, w.original.subarray(0, Math.min(tear, w.original.byteLength)), w.position);
        o.faults?.at('mid-write');
      }
      writeAt(fd, o.target, w.original, w.position);
      o.faults?.at('after-write');
      bytes += BigInt(w.original.byteLength);
    });
    fsyncFd(fd, o.target);
  }
  o.faults?.at('after-fsync');
  for (const w of rec.writes)
    if (!Buffer.from(readAt(fd, o.target, w.position, w.original.byteLength)).equals(Buffer.from(w.original)))
      throw new IoError(
        `verification failed: the ${w.what} at ${hex(w.position)} differs from the backup; restore again`,
      );
  o.faults?.at('after-verify');
  return bytes;
}

/**
 * Undo a realignment from its backup record: the record must be intact and belong to `target`, and every
 * place it wrote must hold the original, the written bytes or a torn mix (else refused unless `force`).
 */
export function restoreRealign(o: RestoreRealignOptions): RestoreRealignResult {
  expectFields(o, 'o', { target: 'path' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('restoreRealign needs an options object');
  const path = o.backup ?? defaultRealignBackupPath(o.target);
  if (!checkRegularOrAbsent(path, 'backup'))
    throw new IoError(`cannot read backup ${showPath(path)}: no such file or directory`, {
      hint: { pass: { backup: '<FILE>' } },
    });
  const record = readRecord(path);
  const fd = openTarget(o.target, 'write');
  try {
    return withLock(o.target, o, (lock) => {
      const bytes = restoreLocked(o, record, path, fd);
      return {
        status: bytes === 0n ? 'unchanged' : 'restored',
        bytes,
        backupPath: path,
        record,
        lockTakenOverFrom: lock.tookOverFrom,
      };
    });
  } finally {
    closeQuietly(fd);
  }
}

/** Whether the regular file at `path` holds a realignment record (false when absent or another kind). */
export function isRealignBackupFile(path: FilePath): boolean {
  expectStringOrBytes(path, 'path');
  if (!checkRegularOrAbsent(path, 'backup')) return false;
  return isRealignRecord(readSmallFile(path, REALIGN_BACKUP_MAX_BYTES, 'backup'));
}

/** The label area now, decoded: which index is current (for reports after a write or a restore). */
export function currentIndexOf(target: FilePath, labelSize: bigint): 0 | 1 | null {
  const fd = openTarget(target, 'read');
  try {
    const { labelOffset } = dimmLayout(identityOf(target, fd).size, labelSize);
    return decodeLabelArea(readAt(fd, target, labelOffset, Number(labelSize))).current;
  } finally {
    closeQuietly(fd);
  }
}
