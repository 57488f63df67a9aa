/**
 * Migrating and restoring the info-block of an image file or block device.
 * `migrateTarget` is `replaceInfoBlock` (src/replace/replace.ts) with the
 * migrator as its plan; `restoreTarget` puts a backed-up head back, but only
 * over a block that migrate (or another replaceInfoBlock caller) could have
 * left there, unless forced.
 */
import { InfoblockError, InvalidArgumentError, IoError } from '../format/errors';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from '../format/head';
import { sameBytes } from '../format/pfn';
import { expectSpan, expectU64 } from '../format/int64';
import { hex } from '../format/units';
import { checkRegularOrAbsent, closeQuietly, fsyncFd, identityOf, openTarget, readAt, writeAt } from '../io/files';
import type { Faults } from '../io/faults';
import { showPath, type FilePath } from '../io/path';
import { belongsTo, blockStateFor, isTornWrite, type BackupRecord } from '../replace/backup';
import {
  checkMigrateOptions,
  migrate,
  type MigrateOptions,
  type MigrationReason,
  type MigrationReport,
} from './migrate';
import {
  defaultBackupPath,
  readBackup,
  replaceInfoBlock,
  restoreHint,
  tornBlockError,
  withLock,
} from '../replace/replace';
import type { ReplaceContext, RestoreRun } from '../replace/replace';
import { expectFields } from '../format/guard';

export { defaultBackupPath };

export interface TargetOptions {
  target: FilePath;
  /** Where the namespace starts inside the target (the head is there; default 0, as in every `*Target`). */
  offset?: bigint;
  /** Warnings worth telling the user (stale lock taken over, reused backup). */
  warn?: (line: string) => void;
  /** Test hook: see src/io/faults.ts. */
  faults?: Faults;
  /** Environment for the default backup directory of block devices. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface MigrateTargetOptions extends TargetOptions, MigrateOptions {
  backup?: FilePath;
  force?: boolean;
  /** Write even a block a guard kernel would misplace data or crash under DAX with, or every guard kernel refuses. */
  allowHazard?: boolean;
  dryRun?: boolean;
}

/**
 * What a migrate of a target did, in the migrate document's words (schemas/migrate.schema.json): `planned` (a
 * dry run that would write), `migrated` (written, read back and verified), `unchanged` (nothing to do) or
 * `refused` (a hazard, nothing written).
 */
export type MigrateTargetStatus = 'planned' | 'migrated' | 'unchanged' | 'refused';

/** Why a migrate of a target wrote nothing: the report's reason, or `hazard` (refused). */
export type MigrateTargetReason = MigrationReason | 'hazard';

export interface MigrateTargetResult {
  status: MigrateTargetStatus;
  /** Why nothing was written (unchanged or refused); null for planned and migrated. */
  reason: MigrateTargetReason | null;
  /** The pure migrator's report (its status is planned or unchanged: it writes nothing). */
  report: MigrationReport;
  /** The hazard refusal (nothing written), or null. */
  refused: string | null;
  /** What writing the refused block anyway takes: `force` (a misplacing guard kernel) or `allowHazard` (DAX). */
  refusedNeeds: 'force' | 'allowHazard' | null;
  /** The backup record (null when nothing was to be written). */
  backupPath: FilePath | null;
  /** The operation that puts the original back (null when nothing was to be written). */
  undo: RestoreRun | null;
  backupReused: boolean;
  written: boolean;
  lockTakenOverFrom: number | null;
}

/** Library boundary: typed errors for values the CLI would never pass. */
function validateMigrateOptions(o: MigrateTargetOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('migrateTarget needs an options object');
  if (typeof o.target !== 'string' && !(o.target instanceof Uint8Array)) {
    throw new InvalidArgumentError('must be a path (string or Uint8Array)', { field: 'target' });
  }
  if (o.target.length === 0) throw new InvalidArgumentError('is an empty path', { field: 'target' });
  checkMigrateOptions(o);
}

/** The migrator as a plan: the new block, or null (nothing to do, or refused). */
interface PlanOut {
  report?: MigrationReport;
  refused: string | null;
  refusedNeeds: 'force' | 'allowHazard' | null;
}

function migratePlan(o: MigrateTargetOptions, offset: bigint, out: PlanOut) {
  return (head: Uint8Array, ctx: ReplaceContext): Uint8Array | null => {
    const block = head.subarray(INFOBLOCK_OFFSET);
    const done = ctx.backup;
    // A rerun after a completed (or killed-after-write) migrate: the backup
    // names this exact block as its result. Without this, an explicit `from`
    // would migrate the block a second time.
    if (done !== null && blockStateFor(done, block) === 'intended') {
      out.report = migrate(block, { ...o, from: o.to });
      out.report.notes.push(
        `${showPath(ctx.backupPath)} (taken ${done.created}) records this block as the result of ` +
          `an earlier migrate ${done.from} -> ${done.to}`,
      );
      return null;
    }
    // A write of ours torn mid-way (the backup proves it): restore, whatever the torn bytes now look like.
    if (isTornWrite(done, block)) throw tornBlockError(offset + 4096n, ctx.backupPath);
    const report = migrate(block, o);
    out.report = report;
    const migrating = report.status === 'planned';
    if (migrating && report.hazard !== null && o.force !== true) {
      out.refused = report.hazard;
      out.refusedNeeds = 'force';
    } else if (migrating && report.daxHazard !== null && o.allowHazard !== true) {
      out.refused = report.daxHazard;
      out.refusedNeeds = 'allowHazard';
    }
    return migrating && out.refused === null ? report.block : null;
  };
}

/**
 * Plan (and unless dryRun, apply) a migration of the target. Throws
 * InfoblockError for preconditions, ambiguity, locks, backups and I/O; a
 * hazard is returned in `refused` (with the report) and nothing is written.
 */
export function migrateTarget(o: MigrateTargetOptions): MigrateTargetResult {
  expectFields(o, 'o', { target: 'path', to: 'string', nsBase: 'bigint', nsSize: 'bigint' });
  const offset = o.offset === undefined ? 0n : expectU64(o.offset, 'offset');
  validateMigrateOptions(o);
  const out: PlanOut = { refused: null, refusedNeeds: null };
  const r = replaceInfoBlock({
    target: o.target,
    offset,
    plan: migratePlan(o, offset, out),
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    label: () => ({ from: out.report?.from ?? o.from ?? 'version', to: o.to }),
    ...(o.backup === undefined ? {} : { backup: o.backup }),
    ...(o.dryRun === undefined ? {} : { dryRun: o.dryRun }),
    ...(o.warn === undefined ? {} : { warn: o.warn }),
    ...(o.faults === undefined ? {} : { faults: o.faults }),
    ...(o.env === undefined ? {} : { env: o.env }),
  });
  const report = out.report;
  if (report === undefined) throw new Error('internal: the plan ran without a report');
  let status: MigrateTargetStatus = r.written ? 'migrated' : 'planned';
  if (report.status === 'unchanged') status = 'unchanged';
  else if (out.refused !== null) status = 'refused';
  return {
    status,
    reason: status === 'refused' ? 'hazard' : report.reason,
    report,
    refused: out.refused,
    refusedNeeds: out.refusedNeeds,
    backupPath: r.newBlock === null ? null : r.backupPath,
    undo: r.newBlock === null ? null : restoreHint(r.backupPath).run,
    backupReused: r.backupReused,
    written: r.written,
    lockTakenOverFrom: r.lockTakenOverFrom,
  };
}

export interface RestoreOptions {
  target: FilePath;
  /** Default: `defaultBackupPath(target)` (beside a file; the state directory for a block device). */
  backup?: FilePath;
  /** Where the namespace starts; default the backup's (when given, it must match). */
  offset?: bigint;
  /** Physical address of the namespace: when given, it must be the one the backup records. */
  nsBase?: bigint;
  /** Namespace size: when given, it must be the one the backup records. */
  nsSize?: bigint;
  /**
   * Restore over anything: a block that is neither the original, nor what
   * was written, nor a torn mix of the two; or a head whose first 4 KiB
   * changed (then the whole 8 KiB head is written).
   */
  force?: boolean;
  warn?: (line: string) => void;
  faults?: Faults;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RestoreResult {
  /** The restore document's words (schemas/restore.schema.json): `unchanged` when the head already holds the bytes. */
  status: 'restored' | 'unchanged';
  /** Bytes written (4096, or 8192 with force over a changed first 4 KiB). */
  bytes: bigint;
  position: bigint;
  backupPath: FilePath;
  record: BackupRecord;
  lockTakenOverFrom: number | null;
}

/** Which bytes restore writes, or why it refuses. */
type Span = [bytes: Uint8Array, position: bigint];

function restorePlan(o: RestoreOptions, record: BackupRecord, current: Uint8Array, offset: bigint): Span {
  const firstSame = sameBytes(current.subarray(0, INFOBLOCK_OFFSET), record.head.subarray(0, INFOBLOCK_OFFSET));
  if (!firstSame && o.force !== true) {
    throw new InfoblockError(
      'backup',
      `the first 4 KiB of the head at ${hex(offset)} changed since the backup was ` +
        `taken (migrate never writes them): something else wrote this namespace; putting the whole 8 KiB head ` +
        `back needs force`,
      { hint: { pass: { force: true } } },
    );
  }
  const state = blockStateFor(record, current.subarray(INFOBLOCK_OFFSET, HEAD_SIZE));
  if (state === 'foreign' && o.force !== true) {
    throw new InfoblockError(
      'backup',
      `the info-block at ${hex(offset + 4096n)} is neither the one written after this backup (${record.from} -> ` +
        `${record.to}, ${record.created}) nor the ` +
        `original${record.intended === undefined ? '' : ' nor a torn mix of the two'}: it changed since; nothing ` +
        `written: check it; overwriting it with the backup needs force`,
      { hint: { pass: { force: true } } },
    );
  }
  return firstSame ? [record.head.subarray(INFOBLOCK_OFFSET), offset + 4096n] : [record.head, offset];
}

type Restored = Omit<RestoreResult, 'lockTakenOverFrom'>;

function restoreLocked(
  o: RestoreOptions,
  record: BackupRecord,
  backupPath: FilePath,
  offset: bigint,
  fd: number,
): Restored {
  const id = identityOf(o.target, fd);
  if (!belongsTo(record, id)) {
    throw new InfoblockError(
      'backup',
      `backup ${showPath(backupPath)} belongs to ${showPath(record.target.path)} (${record.target.size} bytes, dev ` +
        `${record.target.dev} ino ${record.target.ino}), not to ${showPath(id.path)} (${id.size} bytes, dev ` +
        `${id.dev} ino ${id.ino})`,
    );
  }
  if (id.size < offset + BigInt(HEAD_SIZE))
    throw new IoError(`${showPath(o.target)} is too short for a head at ` + `offset ${offset}`);
  const current = readAt(fd, o.target, offset, HEAD_SIZE);
  o.faults?.at('after-read');
  const base = { record, backupPath };
  if (sameBytes(current, record.head)) return { status: 'unchanged', bytes: 0n, position: offset + 4096n, ...base };
  const [bytes, position] = restorePlan(o, record, current, offset);
  const tear = o.faults?.tear?.();
  if (tear !== undefined) {
    writeAt(fd, o.target, bytes.subarray(0, Math.min(tear, bytes.byteLength)), position);
    o.faults?.at('mid-write');
  }
  writeAt(fd, o.target, bytes, position);
  o.faults?.at('after-write');
  fsyncFd(fd, o.target);
  o.faults?.at('after-fsync');
  const back = readAt(fd, o.target, offset, HEAD_SIZE);
  if (!sameBytes(back, record.head))
    throw new IoError(
      `verification failed: the head read back from ` +
        `${showPath(o.target)} at ${hex(offset)} differs from the backup; restore again`,
      { hint: restoreHint(backupPath) },
    );
  o.faults?.at('after-verify');
  return { status: 'restored', bytes: BigInt(bytes.byteLength), position, ...base };
}

/**
 * Put the backed-up head back. The backup must be intact (CRC-32) and belong
 * to this target (same realpath or dev/ino, same size) and offset; the block
 * it replaces must be the original, the block written after the backup, or a
 * torn mix of the two (else refused unless `force`). Only bytes 4096..8191
 * of the head are written, unless the first 4 KiB changed and `force`.
 */
function noBackup(path: FilePath): IoError {
  return new IoError(
    `cannot read backup ${showPath(path)}: no such file or directory; give the backup record migrate or recover wrote`,
    { hint: { pass: { backup: '<FILE>' } } },
  );
}

/** The record's placement against what the caller said (offset, and nsBase/nsSize when given). */
function checkPlacement(o: RestoreOptions, record: BackupRecord, backupPath: FilePath): bigint {
  const offset = o.offset ?? record.offset;
  const checks: [string, bigint, bigint | undefined][] = [
    ['offset', record.offset, offset],
    ['namespace base', record.nsBase, o.nsBase],
    ['namespace size', record.nsSize, o.nsSize],
  ];
  for (const [what, recorded, given] of checks) {
    if (given !== undefined && given !== recorded)
      throw new InfoblockError(
        'backup',
        `backup ${showPath(backupPath)} is for ${what} ${hex(recorded)}, not ${hex(given)}`,
      );
  }
  return offset;
}

export function restoreTarget(o: RestoreOptions): RestoreResult {
  expectFields(o, 'o', { target: 'path' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('restoreTarget needs an options object');
  if (o.offset !== undefined) expectU64(o.offset, 'offset');
  if (o.nsBase !== undefined) expectU64(o.nsBase, 'nsBase');
  if (o.nsSize !== undefined) expectU64(o.nsSize, 'nsSize');
  if (o.nsBase !== undefined && o.nsSize !== undefined) expectSpan(o.nsBase, o.nsSize);
  if (o.backup !== undefined && !checkRegularOrAbsent(o.backup, 'backup')) throw noBackup(o.backup);
  const fd = openTarget(o.target, 'write');
  try {
    const backupPath = o.backup ?? defaultBackupPath(o.target, identityOf(o.target, fd), o.env);
    if (o.backup === undefined && !checkRegularOrAbsent(backupPath, 'backup')) throw noBackup(backupPath);
    const record = readBackup(backupPath, true);
    const offset = checkPlacement(o, record, backupPath);
    return withLock(o.target, o, (lock) => ({
      ...restoreLocked(o, record, backupPath, offset, fd),
      lockTakenOverFrom: lock.tookOverFrom,
    }));
  } finally {
    closeQuietly(fd);
  }
}
