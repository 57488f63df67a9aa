/**
 * The migrate concept: the pure migrator, and migrate and restore of targets (through the crash-safe
 * replaceInfoBlock and backup record of src/replace/, re-exported here).
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
export type {
  MigrateOptions,
  MigrationReport,
  MigrationStatus,
  MigrationReason,
  BlockSummary,
  Evidence,
} from './migrate';
// The crash-safe replacement and its backup record live in src/replace/ (recover uses them too); the
// migrate entry point keeps offering them.
export * from '../replace/index';
export { migrateTarget, restoreTarget } from './apply';
export type {
  MigrateTargetOptions,
  MigrateTargetResult,
  MigrateTargetStatus,
  MigrateTargetReason,
  RestoreOptions,
  RestoreResult,
  TargetOptions,
} from './apply';
export { planRealign } from './realign-plan';
export type { PlanRealignOptions, RealignPlan, RealignNamespace, RealignWrite } from './realign-plan';
export { realignTarget, restoreRealign, defaultRealignBackupPath, isRealignBackupFile } from './realign';
export type {
  RealignTargetOptions,
  RealignTargetResult,
  RealignStatus,
  RestoreRealignOptions,
  RestoreRealignResult,
} from './realign';
export {
  encodeRealignRecord,
  decodeRealignRecord,
  isRealignRecord,
  REALIGN_BACKUP_FORMAT,
  REALIGN_BACKUP_VERSION,
} from './realign-backup';
export type { RealignRecord, RecordedWrite } from './realign-backup';
export { planRebase, rebaseTarget } from './rebase';
export type { RebaseOptions, RebasePlan, RebaseStatus, RebaseTargetOptions, RebaseTargetResult } from './rebase';
