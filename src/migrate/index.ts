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
export { planRealign } from './realign-plan';
export type { PlanRealignOptions, RealignPlan, RealignNamespace, RealignWrite } from './realign-plan';
export { realignTarget, restoreRealign, defaultRealignBackupPath, isRealignBackupFile } from './realign';
export type { RealignTargetOptions, RealignTargetResult, RestoreRealignOptions, RestoreRealignResult } from './realign';
export {
  encodeRealignRecord,
  decodeRealignRecord,
  isRealignRecord,
  REALIGN_BACKUP_FORMAT,
  REALIGN_BACKUP_VERSION,
} from './realign-backup';
export type { RealignRecord, RecordedWrite } from './realign-backup';
export { planRebase, rebaseTarget } from './rebase';
export type { RebaseOptions, RebasePlan, RebaseTargetOptions, RebaseTargetResult } from './rebase';
