/**
 * Moved to src/io (the one home for file and device I/O). This re-export
 * keeps older import paths working; new code imports from '../io'.
 */
export { ioError, readAt, readExact, targetSize } from '../io/index';
import { HEAD_SIZE } from './head';
import { readExact } from '../io/files';
import type { FilePath } from '../io/path';

export const readHead = (path: FilePath, offset: bigint): Uint8Array => readExact(path, offset, HEAD_SIZE);
