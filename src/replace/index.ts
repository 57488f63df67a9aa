/**
 * The crash-safe replacement of a target's info-block (backup record first, then the write, verified, under
 * a lock) that migrate, restore and recover all go through, and the backup record it writes.
 */
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
