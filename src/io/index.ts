/** The one home for bytes that touch a file or device: positioned exact I/O, durable writes, locks, stdio. */
export { pathText, showPath, withSuffix, dirOf, baseOf, joinPath } from './path';
/** @internal Buffer-typed, so kept out of the declarations. */
export { pathBytes, bufferOf, fsPath } from './path';
export type { FilePath } from './path';
export { ioError, reasonOf } from './errors';
export {
  MAX_POSITION,
  kindOf,
  checkRange,
  openTarget,
  closeQuietly,
  majorMinor,
  sizeOfFd,
  targetSize,
  identityOf,
  readAt,
  writeAt,
  fsyncFd,
  fsyncDir,
  readExact,
  readSmallFile,
  checkRegularOrAbsent,
  outputKind,
} from './files';
export type { FileKind, Identity, TargetAccess } from './files';
export { readHead, readHeadAsync } from './read-head';
export type { ReadHeadOptions } from './read-head';
export { writeFileDurably, buildFileDurably, verifyFile, tempPathFor } from './durable';
export { copyRangeSparse, allocatedBytes, ZERO_CHUNK } from './sparse';
export type { CopyMethod, RangeCopy } from './sparse';
export type { DurableOptions } from './durable';
export { acquireLock, lockPathOf } from './lock';
export type { Lock } from './lock';
export { readFdRange, writeFdAll, StdoutClosed } from './stdio';
export { FAULT_STEPS, noFaults } from './faults';
export type { Faults, FaultStep } from './faults';
