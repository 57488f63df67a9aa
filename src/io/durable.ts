/**
 * Durable whole-file writes: the bytes go to a temporary name in the same
 * directory, are written completely (checked), fsynced and read back, and
 * only then get their real name (rename, or link when an existing file must
 * not be replaced), followed by an fsync of the directory. On any failure
 * the temporary file is removed: a file under the real name is always whole.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { ioError } from './errors';
import { checkRange, closeQuietly, fsyncDir, fsyncFd, readAt, writeAt } from './files';
import { noFaults, type Faults } from './faults';
import { bufferOf, dirOf, fsPath, showPath, withSuffix, type FilePath } from './path';

export interface DurableOptions {
  /** Replace an existing file (rename); default false: fail if the name exists (link). */
  replace?: boolean;
  /** fsync the file and its directory (default true). */
  sync?: boolean;
  mode?: number;
  /** Read the file back and compare before naming it (default true). */
  verify?: boolean;
  /** Make the file this long (sparsely) after writing `bytes`. */
  extendTo?: bigint;
  faults?: Faults;
}

let counter = 0;
/** A temporary name beside `path`, unique to this process and call. */
export const tempPathFor = (path: FilePath): FilePath => withSuffix(path, `.tmp-${process.pid}-${++counter}`);

function removeQuietly(path: FilePath): void {
  try {
    fs.unlinkSync(fsPath(path));
  } catch {
    /* already gone */
  }
}

function writeTemp(tmp: FilePath, bytes: Uint8Array, o: DurableOptions): void {
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL;
  const fd = fs.openSync(fsPath(tmp), flags, o.mode ?? 0o600);
  try {
    writeAt(fd, tmp, bytes, 0n);
    if (o.extendTo !== undefined) fs.ftruncateSync(fd, checkRange(tmp, o.extendTo, 0));
    o.faults?.at('temp-written');
    if (o.sync !== false) fsyncFd(fd, tmp);
    o.faults?.at('temp-synced');
    if (o.verify !== false && !bufferOf(readAt(fd, tmp, 0n, bytes.byteLength)).equals(bytes)) {
      throw new IoError(`${showPath(tmp)} did not read back as written`);
    }
  } finally {
    closeQuietly(fd);
  }
}

/** Give the temp file its name without replacing anything there (link, or rename where links are unsupported). */
function linkIntoPlace(tmp: FilePath, path: FilePath): void {
  try {
    fs.linkSync(fsPath(tmp), fsPath(path));
    removeQuietly(tmp);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw ioError('create', path, e);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    if (fs.existsSync(fsPath(path))) {
      throw ioError('create', path, Object.assign(new Error('exists'), { code: 'EEXIST' }));
    }
    fs.renameSync(fsPath(tmp), fsPath(path));
  }
}

/** Write `bytes` as the whole content of `path`, durably; see the file header. */
export function writeFileDurably(path: FilePath, bytes: Uint8Array, o: DurableOptions = {}): void {
  const faults = o.faults ?? noFaults;
  const tmp = tempPathFor(path);
  try {
    writeTemp(tmp, bytes, { ...o, faults });
    if (o.replace === true) fs.renameSync(fsPath(tmp), fsPath(path));
    else linkIntoPlace(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    // Name the file the user asked for, not our temporary one.
    if (e instanceof IoError) throw new IoError(e.message.split(showPath(tmp)).join(showPath(path)), { cause: e });
    throw ioError('write', path, e);
  }
  faults.at('after-rename');
  if (o.sync !== false) fsyncDir(dirOf(path));
}

/** Read `path` back and compare with `bytes`; remove it (we wrote it) and fail when it differs. */
export function verifyFile(path: FilePath, bytes: Uint8Array): void {
  let back: Buffer;
  let fd: number | undefined;
  try {
    fd = fs.openSync(fsPath(path), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const size = fs.fstatSync(fd).size;
    back = size === bytes.byteLength ? bufferOf(readAt(fd, path, 0n, size)) : Buffer.alloc(0);
  } catch (e) {
    throw ioError('read back', path, e);
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
  if (!back.equals(bytes)) {
    removeQuietly(path);
    throw new IoError(`${showPath(path)} did not read back as written (removed it); check the file system`);
  }
}

/**
 * A file written in appends under a temporary name and given its real name
 * only by `commit` (fsync, rename, fsync the directory); `abandon` removes
 * it. Used for outputs that must not appear truncated (a corpus manifest).
 */
export class StagedFile {
  private readonly tmp: FilePath;
  private readonly fd: number;
  private position = 0n;
  private open = true;

  constructor(readonly path: FilePath) {
    this.tmp = tempPathFor(path);
    try {
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
      this.fd = fs.openSync(fsPath(this.tmp), flags, 0o666);
    } catch (e) {
      throw ioError('write', path, e);
    }
  }

  append(bytes: Uint8Array): void {
    this.guard(() => writeAt(this.fd, this.tmp, bytes, this.position));
    this.position += BigInt(bytes.byteLength);
  }

  commit(): void {
    this.guard(() => {
      fsyncFd(this.fd, this.tmp);
      this.close();
      fs.renameSync(fsPath(this.tmp), fsPath(this.path));
    });
    fsyncDir(dirOf(this.path));
  }

  abandon(): void {
    this.close();
    removeQuietly(this.tmp);
  }

  private close(): void {
    if (this.open) closeQuietly(this.fd);
    this.open = false;
  }

  /** Run `f`; on failure abandon the file and report it under its real name. */
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.abandon();
      if (!(e instanceof IoError)) throw ioError('write', this.path, e);
      throw new IoError(e.message.split(showPath(this.tmp)).join(showPath(this.path)), { cause: e });
    }
  }
}

/**
 * Make `path` whole or not at all from a file that `build` creates at the
 * temporary name it is given (a sparse copy, then blocks written into it):
 * the result is fsynced and only then named (rename when `replace`, else a
 * link that fails if the name exists), then the directory is fsynced. On
 * any failure, full disk included, the temporary file is removed and
 * nothing appears under `path`.
 */
export function buildFileDurably<T>(
  path: FilePath,
  build: (tmp: FilePath) => T,
  o: Pick<DurableOptions, 'replace' | 'sync' | 'faults'> = {},
): T {
  const faults = o.faults ?? noFaults;
  const tmp = tempPathFor(path);
  let result: T;
  try {
    result = build(tmp);
    faults.at('temp-written');
    if (o.sync !== false) {
      const fd = fs.openSync(fsPath(tmp), fs.constants.O_RDONLY);
      try {
        fsyncFd(fd, tmp);
      } finally {
        closeQuietly(fd);
      }
    }
    faults.at('temp-synced');
    if (o.replace === true) fs.renameSync(fsPath(tmp), fsPath(path));
    else linkIntoPlace(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    if (e instanceof IoError) throw new IoError(e.message.split(showPath(tmp)).join(showPath(path)), { cause: e });
    if (e instanceof InfoblockError) throw e;
    throw ioError('write', path, e);
  }
  faults.at('after-rename');
  if (o.sync !== false) fsyncDir(dirOf(path));
  return result;
}
