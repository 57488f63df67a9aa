/** The migrate concept: the pure migrator, the backup record, the lock and the crash-safe apply/restore. */
export { migrate, assertNoHazard, alignmentEvidence, dataStartOf, summarize } from './migrate';
export type { DataoffMeaning, MigrateOptions, MigrationReport, MigrationStatus, BlockSummary, Evidence } from './migrate';
export { encodeBackup, decodeBackup, belongsTo, sameBackup, crc32, BACKUP_FORMAT, BACKUP_VERSION } from './backup';
export type { BackupRecord, TargetIdentity } from './backup';
export { acquireLock, lockPathOf } from './lock';
export type { Lock } from './lock';
export { migrateTarget, restoreTarget, restoreCommand, defaultBackupPath } from './apply';
export type { MigrateTargetOptions, MigrateTargetResult, RestoreOptions, RestoreResult, TargetOptions, FaultStep } from './apply';
