/**
 * The migrate concept: the pure migrator, the backup record, the crash-safe replaceInfoBlock, migrate and
 * restore of targets.
 */
export {
  migrate,
  assertNoHazard,
  hazardError,
  checkMigrateOptions,
  alignmentEvidence,
  dataStartOf,
  summarize,
} from './migrate';
export type { MigrateOptions, MigrationReport, MigrationStatus, BlockSummary, Evidence } from './migrate';
export {
  encodeBackup,
  decodeBackup,
  belongsTo,
  sameBackup,
  blockStateFor,
  crc32,
  BACKUP_FORMAT,
  BACKUP_VERSION,
  BACKUP_MAX_BYTES,
} from './backup';
export type { BackupRecord, TargetIdentity } from './backup';
export { acquireLock, lockPathOf } from '../io/lock';
export type { Lock } from '../io/lock';
export type { Faults, FaultStep } from '../io/faults';
export { replaceInfoBlock, defaultBackupPath, backupStateDir, readBackup, restoreHint } from './replace';
export type { ReplaceInfoBlockOptions, ReplaceInfoBlockResult, ReplaceContext, Label, RestoreRun } from './replace';
export { migrateTarget, restoreTarget } from './apply';
export type { MigrateTargetOptions, MigrateTargetResult, RestoreOptions, RestoreResult, TargetOptions } from './apply';
