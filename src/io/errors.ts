/**
 * Turning a failed system call into one sentence: what we tried, on which
 * path (quoted, escaped), why in words (never a bare errno code), and what
 * to do about it.
 */
import { IoError } from '../format/errors';
import { showPath, type FilePath } from './path';

const REASONS: Record<string, [reason: string, hint: string]> = {
  ENOENT: ['no such file or directory', 'check the path'],
  EACCES: ['permission denied', 'run as a user who may access it'],
  EPERM: ['operation not permitted', 'run as a user who may access it'],
  EISDIR: ['it is a directory', 'give a file'],
  ENOTDIR: ['a component of the path is not a directory', 'check the path'],
  EROFS: ['the file system is read-only', 'remount it read-write or use a path on a writable file system'],
  ENOSPC: ['no space left on the device', 'free some space and try again'],
  EDQUOT: ['the disk quota is exhausted', 'free some space and try again'],
  EFBIG: [
    'the file would exceed the largest size the file system allows (or the file-size limit of this process)',
    'use a smaller offset or size, or raise the limit (ulimit -f)',
  ],
  EBUSY: ['the device or resource is busy', 'close what uses it and try again'],
  EEXIST: ['it already exists', 'move it away or choose another path'],
  EIO: ['an input/output error (the device reported a failure)', 'check the device (dmesg)'],
  ELOOP: ['too many levels of symbolic links (a symlink loop)', 'fix the symbolic link'],
  ENAMETOOLONG: ['the name is too long', 'use a shorter path'],
  ESPIPE: ['it is not seekable (a pipe or socket)', 'give a regular file or block device'],
  ENXIO: [
    'no such device or address (a FIFO without a writer, or a missing device)',
    'give a regular file or block device',
  ],
  ENODEV: ['no such device', 'give a regular file or block device'],
  EAGAIN: ['it would block', 'give a regular file or block device'],
  EINVAL: ['the operation is not supported on it', 'give a regular file or block device'],
  EMFILE: ['too many open files', 'close some files and try again'],
  ENFILE: ['too many open files in the system', 'try again later'],
  ETXTBSY: ['the file is busy', 'try again later'],
  EXDEV: ['it is on another file system', 'use a path on the same file system'],
  ENOTEMPTY: ['the directory is not empty', 'empty it or choose another path'],
  EPIPE: ['the reader went away (broken pipe)', 'keep the reading end open'],
  EBADF: ['the file is not open for this operation', 'check the redirection'],
  ERR_OUT_OF_RANGE: ['a position or length is out of range', 'use a smaller offset'],
};

/** The words for an error: our table, else the system's own text, never a bare code. */
export function reasonOf(e: unknown): { reason: string; hint: string } {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  const known = code === undefined ? undefined : REASONS[code];
  if (known !== undefined) return { reason: known[0], hint: known[1] };
  const text = err instanceof Error ? err.message : String(e);
  // Node's messages read "ECODE: words, syscall 'path'": keep the words.
  const words = /^[A-Z0-9_]+: ([^,]+)/.exec(text)?.[1] ?? text.split('\n')[0] ?? text;
  return { reason: words, hint: 'check the path and try again' };
}

/** `cannot <action> 'path': <reason>; <hint>` as an IoError chained to the cause. */
export function ioError(action: string, path: FilePath, e: unknown, hint?: string): IoError {
  const r = reasonOf(e);
  return new IoError(`cannot ${action} ${showPath(path)}: ${r.reason}; ${hint ?? r.hint}`, { cause: e });
}
