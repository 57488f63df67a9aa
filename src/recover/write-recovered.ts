/**
 * Writing a recovered info-block: recover's use of the shared crash-safe
 * replaceInfoBlock (lock → read the 8 KiB head → the caller's plan(oldHead)
 * gives the new block → sealed backup of that head → ONE positioned 4 KiB
 * write at offset + 4096 → fsync → read back and compare). The backup is
 * labelled damaged → recovered; restore (with that backup) undoes it. A
 * rerun after an interrupted recover of the same block keeps the first
 * run's backup (it holds the true original). A block whose checksum is
 * valid is never rewritten unless `force`: a valid block was written on
 * purpose, and evidence that seems to contradict it (a partition table, a
 * filesystem image) is likelier misread than the block.
 */
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from '../format/head';
import { decodePfnBlock } from '../format/pfn';
import { hex } from '../format/units';
import { expectU64 } from '../format/int64';
import type { Faults } from '../io/faults';
import { showPath, type FilePath } from '../io/path';
import { replaceInfoBlock, restoreHint, type RestoreRun } from '../replace/replace';
import { expectFields } from '../format/guard';

export interface RecoverWriteOptions {
  /** Image file or block device (a Uint8Array for names that are not UTF-8). */
  target: FilePath;
  /** Where the namespace starts inside the target. */
  offset: bigint;
  nsBase: bigint;
  nsSize: bigint;
  /**
   * Called under the lock with the head as it is now; returns the new
   * 4096-byte block (or throws an InfoblockError to write nothing).
   */
  plan: (oldHead: Uint8Array) => Uint8Array;
  backup?: FilePath;
  /** Rewrite a block whose checksum is valid too (default: refused, nothing written). */
  force?: boolean;
  warn?: (line: string) => void;
  /** Test hook: see src/io/faults.ts. */
  faults?: Faults;
  /** Environment for the default backup directory of block devices (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RecoverWriteResult {
  backupPath: FilePath;
  backupReused: boolean;
  position: bigint;
  /** The operation that puts the old head back (restore from the backup). */
  undo: RestoreRun;
}

export function writeRecoveredBlock(o: RecoverWriteOptions): RecoverWriteResult {
  expectFields(o, 'o', { target: 'path', offset: 'bigint', nsBase: 'bigint', nsSize: 'bigint', plan: 'function' });
  if (o === null || typeof o !== 'object')
    throw new InvalidArgumentError('writeRecoveredBlock needs an options object');
  if (typeof o.plan !== 'function')
    throw new InvalidArgumentError('writeRecoveredBlock needs a plan(oldHead) function');
  expectU64(o.offset, 'offset');
  expectU64(o.nsBase, 'nsBase');
  expectU64(o.nsSize, 'nsSize');
  const r = replaceInfoBlock({
    target: o.target,
    offset: o.offset,
    nsBase: o.nsBase,
    nsSize: o.nsSize,
    plan: (head) => {
      if (o.force !== true) refuseValidBlock(head, o.target, o.offset);
      return o.plan(head);
    },
    label: { from: 'damaged', to: 'recovered' },
    ...(o.backup === undefined ? {} : { backup: o.backup }),
    ...(o.warn === undefined ? {} : { warn: o.warn }),
    ...(o.faults === undefined ? {} : { faults: o.faults }),
    ...(o.env === undefined ? {} : { env: o.env }),
  });
  return {
    backupPath: r.backupPath,
    backupReused: r.backupReused,
    position: r.position,
    undo: restoreHint(r.backupPath).run,
  };
}

/** A pfn/dax block with a valid checksum at 4096 of `head`: refused (precondition) unless forced. */
export function refuseValidBlock(head: Uint8Array, target: FilePath, offset: bigint): void {
  const d = decodePfnBlock(head.subarray(INFOBLOCK_OFFSET, HEAD_SIZE));
  if ((d.kind === 'pfn' || d.kind === 'dax') && d.checksumValid) {
    throw new InfoblockError(
      'precondition',
      `the ${d.kind} info-block at ${hex(offset + BigInt(INFOBLOCK_OFFSET))} of ${showPath(target)} has a valid ` +
        `checksum: recover does not rewrite a valid block unless forced; nothing written`,
      { hint: { pass: { force: true } } },
    );
  }
}
