/**
 * Writing a recovered info-block, crash-safe, on the primitives of
 * src/migrate/apply.ts: lock → read the 8 KiB head → the caller's
 * plan(oldHead) gives the new block (recover's refuses if the head changed
 * since it planned) → complete fsynced backup of that head → ONE positioned
 * 4 KiB write at offset + 4096 → fsync → read back and compare.
 * `infoblock restore TARGET --backup FILE` undoes it. Same options and
 * contract as the shared replaceInfoBlock: this is the one function to swap
 * for it once it exists.
 * INFOBLOCK_FAULT (after-lock | after-backup | mid-write | after-write)
 * kills the process at that step, as it does for migrate: the crash tests.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { BLOCK_SIZE } from '../format/fletcher64';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from '../format/head';
import { readAt } from '../format/files';
import { sameBytes } from '../format/pfn';
import { hex } from '../format/units';
import { belongsTo, crc32, encodeBackup, sameBackup, type BackupRecord } from '../migrate/backup';
import {
  defaultBackupPath,
  die,
  faultAt,
  identity,
  openTarget,
  readBackupFile,
  restoreCommand,
  withLock,
  writeAt,
  writeDurably,
} from '../migrate/apply';

export interface RecoverWriteOptions {
  target: string;
  /** Where the namespace starts inside the target. */
  offset: bigint;
  nsBase: bigint;
  nsSize: bigint;
  /**
   * Called under the lock with the head as it is now; returns the new
   * 4096-byte block (or throws to write nothing). The same contract as the
   * shared replaceInfoBlock's `plan`.
   */
  plan: (oldHead: Uint8Array) => Uint8Array;
  backup?: string;
  warn?: (line: string) => void;
}

export interface RecoverWriteResult {
  backupPath: string;
  backupReused: boolean;
  position: bigint;
  restore: string;
}

/**
 * Keep the original head safe before anything is written. An existing
 * backup is reused when it records this same head, or when it records an
 * earlier recover of this target that meant to write this same block and
 * was interrupted (it then holds the true original; the torn head does not).
 */
function ensureBackup(backupPath: string, record: BackupRecord, warn?: (line: string) => void): boolean {
  if (!fs.existsSync(backupPath)) {
    writeDurably(backupPath, encodeBackup(record));
    return false;
  }
  let old: BackupRecord;
  try {
    old = readBackupFile(backupPath);
  } catch (e) {
    throw new InfoblockError(
      'backup',
      `a file already exists at '${backupPath}' and is not a backup of this head; move it away or pass --backup FILE`,
      { cause: e },
    );
  }
  if (sameBackup(old, record)) {
    warn?.(`reusing the identical backup '${backupPath}' taken ${old.created}`);
    return true;
  }
  const sameTarget = belongsTo(old, record.target) && old.offset === record.offset;
  if (sameTarget && old.to === 'recovered' && old.intendedCrc32 === record.intendedCrc32) {
    warn?.(
      `an earlier recover (${old.created}) was interrupted writing this same block; its backup of the original is kept`,
    );
    return true;
  }
  throw new InfoblockError(
    'backup',
    `a different backup already exists at '${backupPath}' (taken ${old.created}); move it away or pass --backup FILE`,
  );
}

export function writeRecoveredBlock(o: RecoverWriteOptions): RecoverWriteResult {
  const backupPath = o.backup ?? defaultBackupPath(o.target);
  return withLock(o, () => {
    if (faultAt('after-lock')) die();
    const fd = openTarget(o.target, true);
    try {
      const head = readAt(fd, o.target, o.offset, HEAD_SIZE);
      const block = o.plan(head).subarray(0, BLOCK_SIZE);
      if (block.byteLength !== BLOCK_SIZE)
        throw new InfoblockError('truncated', `the new block is ${block.byteLength} bytes`);
      const record: BackupRecord = {
        target: identity(o.target, fd),
        offset: o.offset,
        nsBase: o.nsBase,
        nsSize: o.nsSize,
        created: new Date().toISOString(),
        from: 'damaged',
        to: 'recovered',
        head: head.slice(),
        intendedCrc32: crc32(block),
      };
      const backupReused = ensureBackup(backupPath, record, o.warn);
      if (faultAt('after-backup')) die();
      const position = o.offset + BigInt(INFOBLOCK_OFFSET);
      const restore = restoreCommand(o.target, backupPath, o.offset);
      if (faultAt('mid-write')) {
        writeAt(fd, o.target, block.subarray(0, BLOCK_SIZE / 2), position);
        die();
      }
      writeAt(fd, o.target, block, position);
      if (faultAt('after-write')) die();
      const back = readAt(fd, o.target, position, BLOCK_SIZE);
      if (!sameBytes(back, block)) {
        throw new IoError(
          `verification failed: the block read back from '${o.target}' at ${hex(position)} is not what was written; ` +
            `run \`${restore}\``,
        );
      }
      return { backupPath, backupReused, position, restore };
    } finally {
      fs.closeSync(fd);
    }
  });
}
