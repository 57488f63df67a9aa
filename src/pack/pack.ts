/**
 * `packImage` and `unpackImage`: a filesystem image into a DAX-ready NVDIMM
 * image and back. The output is built under a temporary name (a sparse
 * copy, then the head, the MBRs of the Kata layout and the label area
 * written into it), fsynced, and only then named: it appears whole or not
 * at all, full disk included.
 */
import * as fs from 'node:fs';
import { InfoblockError, IoError } from '../format/errors';
import { SNIFF_BYTES, sniffFilesystem, type FilesystemInfo, type FilesystemKind } from '../format/filesystem';
import type { DaxOutcome, FsDaxBehaviour } from '../validate/dax-verdict';
import { findBlocks, headWithBlock, HEAD_SIZE } from '../format/head';
import { hex } from '../format/int64';
import { encodeMbr, kataLayoutOf, SECTOR, type KataLayout } from '../format/kata';
import { encodePfnBlock } from '../format/pfn';
import { randomUuid } from '../format/uuid';
import { checkHead } from '../validate/check';
import { checkKernels } from '../validate/check-kernels';
import { daxGuard } from '../validate/dax-guard';
import { BOOTED_KERNELS } from '../validate/versions';
import type { Verdict } from '../validate/check';
import { buildFileDurably } from '../io/durable';
import { closeQuietly, readExact, targetSize, writeAt, fsyncFd } from '../io/files';
import { fsPath, showPath, type FilePath } from '../io/path';
import { checkWritablePath } from '../io/trust';
import { allocatedBytes, copyRangeSparse, type CopyMethod } from '../io/sparse';
import type { Faults } from '../io/faults';
import { labelAreaOf, planPack, type PackParams, type PackPlan } from './layout';
import { guestUseOf, qemuOptionsFor, type GuestUse, type QemuOptions } from './qemu-options';
import { expectBigint, expectOptions, expectString } from '../format/guard';

/** Options of {@link packImage}. */
export interface PackOptions extends PackParams {
  /** Replace an existing output, and pack content that is no filesystem pack can check. */
  force?: boolean;
  /** Test hook (see src/io/faults.ts). */
  faults?: Faults;
}

/** What one kernel does with the packed namespace. */
export interface PackKernel {
  /** `5.10`, `6.1`, … */
  kernel: string;
  outcome: Verdict['outcome'];
  dataStart: bigint | null;
  dataSize: bigint | null;
  /** The validator's DAX verdict (src/validate/dax-verdict.ts) when the kernel claims the namespace, else null. */
  dax: {
    outcome: DaxOutcome;
    /** What the packed filesystem does under `mount -o dax` (null for content pack could not identify). */
    filesystem: FsDaxBehaviour | null;
    basis: 'observed' | 'source';
    message: string;
  } | null;
}

/** What {@link packImage} made. */
export interface PackResult {
  input: string;
  output: string;
  /** The filesystem found in the input, null when forced past an unknown one. */
  filesystem: FilesystemInfo | null;
  plan: PackPlan;
  copy: CopyMethod;
  /** Bytes the output occupies on disk (it is sparse). */
  allocated: bigint;
  kernels: PackKernel[];
  qemu: QemuOptions;
  guest: GuestUse;
  /** Things the caller should know (a forced unknown filesystem, …), one sentence each. */
  warnings: string[];
}

/** The kernels every pack is judged under: the versions the project boots. */
export const PACK_KERNELS: readonly string[] = BOOTED_KERNELS;

function fileSizeOf(path: string): bigint {
  try {
    const st = fs.statSync(path);
    if (!st.isFile() && !st.isBlockDevice()) throw new IoError(`${showPath(path)} is not a regular file`);
  } catch (e) {
    if (e instanceof InfoblockError) throw e;
    throw new IoError(`cannot read ${showPath(path)}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`, {
      cause: e,
    });
  }
  return targetSize(path);
}

/** The input's filesystem, refused when DAX cannot use it (or when it is none we know, unless forced). */
function filesystemOf(input: string, size: bigint, force: boolean, warnings: string[]): FilesystemInfo | null {
  const fsInfo = size >= BigInt(SNIFF_BYTES) ? sniffFilesystem(readExact(input, 0n, SNIFF_BYTES)) : null;
  if (fsInfo === null) {
    if (!force) {
      throw new InfoblockError(
        'unsupported',
        `${showPath(input)} holds no ext2/3/4 or xfs filesystem, so whether DAX can use it cannot be checked`,
        { hint: { pass: { force: true } } },
      );
    }
    warnings.push('the input holds no filesystem pack can check: whether the guest gets DAX is unknown');
    return null;
  }
  const first = fsInfo.obstacles[0];
  if (first !== undefined) {
    throw new InfoblockError('unsupported', `${showPath(input)}: ${first.message}; remake it with ${first.fix}`);
  }
  if (fsInfo.size > size) {
    throw new InfoblockError(
      'unsupported',
      `${showPath(input)} is truncated: its ${fsInfo.kind} spans ${fsInfo.size} bytes, the file holds ${size}`,
    );
  }
  return fsInfo;
}

/**
 * The output may be created or (forced) replaced: not a special file, not
 * the input itself (a hard link included: replacing it would lose the
 * input), and on a path no other user can swap (src/io/trust.ts: the build's
 * temporary file sits beside it, so a directory someone else may write is
 * refused, and a symlink as the output is never followed).
 */
function checkOutput(input: string, output: string, force: boolean): void {
  checkWritablePath(output, { what: 'output' });
  let st: fs.Stats;
  try {
    st = fs.lstatSync(output);
  } catch {
    return; // absent: the usual case
  }
  if (!st.isFile()) throw new IoError(`${showPath(output)} exists and is not a regular file; nothing was written`);
  const inSt = fs.statSync(input);
  if (inSt.dev === st.dev && inSt.ino === st.ino) {
    throw new IoError(`${showPath(output)} is the input itself; nothing was written: name a new output file`);
  }
  if (!force) {
    throw new IoError(`${showPath(output)} exists; nothing was written`, { hint: { pass: { force: true } } });
  }
}

/** The head: 4 KiB (Kata: MBR #1 in its first sector) then the info-block. */
function headOf(plan: PackPlan): Uint8Array {
  const head = headWithBlock(encodePfnBlock(plan.fields));
  if (plan.layout === 'kata') head.set(encodeMbr(plan.contentOffset, plan.fileSize - plan.contentOffset), 0);
  return head;
}

/** Write the head, Kata's MBR #2 and the label area into the built copy, and size it. */
function finishImage(tmp: FilePath, plan: PackPlan, head: Uint8Array): void {
  const fd = fs.openSync(fsPath(tmp), fs.constants.O_RDWR);
  try {
    fs.ftruncateSync(fd, Number(plan.fileSize));
    writeAt(fd, tmp, head, 0n);
    if (plan.layout === 'kata') {
      const inData = plan.contentOffset - plan.dataStart;
      writeAt(fd, tmp, encodeMbr(inData, plan.nsSize - plan.contentOffset), plan.dataStart);
    }
    const labels = labelAreaOf(plan);
    if (labels !== null) writeAt(fd, tmp, labels, plan.nsSize);
    fsyncFd(fd, tmp);
  } finally {
    closeQuietly(fd);
  }
}

/** Every booted kernel's verdict on the head, with its DAX verdict for the packed filesystem. */
function kernelsOf(head: Uint8Array, plan: PackPlan, fs: FilesystemKind | null): PackKernel[] {
  const parent = plan.namespaceUuid === null ? {} : { parentUuid: plan.namespaceUuid };
  const report = checkKernels(head, { nsBase: plan.nsBase, nsSize: plan.nsSize, ...parent }, PACK_KERNELS.join(','));
  return report.kernels.map((id) => {
    const v = report.verdicts[id] as Verdict;
    const d = v.dax;
    const dax =
      d === undefined
        ? null
        : {
            outcome: d.outcome,
            filesystem: fs === null ? null : d.filesystems[fs === 'xfs' ? 'xfs' : fs === 'ext2' ? 'ext2' : 'ext4'],
            basis: d.basis,
            message: d.message,
          };
    return { kernel: v.kernel, outcome: v.outcome, dataStart: v.dataStart, dataSize: v.dataSize, dax };
  });
}

/**
 * Pack the filesystem image `input` into a new NVDIMM image `output`
 * (see the file header). Throws InfoblockError subclasses with a hint: a
 * filesystem DAX cannot use (with the mkfs line that makes one that can),
 * content that is no filesystem (unless `force`), a base that would force a
 * start_pad (with the nearest good base), an existing output (unless
 * `force`), I/O errors.
 */
export function packImage(input: string, output: string, o: PackOptions = {}): PackResult {
  expectString(input, 'input');
  expectString(output, 'output');
  expectOptions(o, 'o', true);
  const warnings: string[] = [];
  const size = fileSizeOf(input);
  const filesystem = filesystemOf(input, size, o.force === true, warnings);
  const plan = planPack(size, o, randomUuid());
  checkOutput(input, output, o.force === true);
  const head = headOf(plan);
  // The shared guard of every block writer (never tripped by a plan, which has no start_pad: a second opinion).
  daxGuard(
    head.subarray(HEAD_SIZE - 4096),
    {
      nsBase: plan.nsBase,
      nsSize: plan.nsSize,
      ...(plan.namespaceUuid === null ? {} : { parentUuid: plan.namespaceUuid }),
    },
    'pack',
  );
  // Everything the report needs is worked out before the output is made: a failure after it would leave it behind.
  const kernels = kernelsOf(head, plan, filesystem?.kind ?? null);
  const qemu = qemuOptionsFor(plan, output);
  const guest = guestUseOf(plan, filesystem?.kind ?? null);
  const copy = buildFileDurably(
    output,
    (tmp) => {
      const method = copyRangeSparse(input, tmp, { from: 0n, length: size, at: plan.contentOffset });
      finishImage(tmp, plan, head);
      return method;
    },
    { replace: o.force === true, ...(o.faults === undefined ? {} : { faults: o.faults }) },
  );
  return { input, output, filesystem, plan, copy, allocated: allocatedBytes(output), kernels, qemu, guest, warnings };
}

/**
 * The Kata-style layout of the namespace at `offset` of `file` whose data
 * starts `dataStart` bytes in (from a verdict), or null when it has none.
 */
export function kataViewOf(file: string, offset: bigint, dataStart: bigint): KataLayout | null {
  expectString(file, 'file');
  expectBigint(offset, 'offset');
  expectBigint(dataStart, 'dataStart');
  const size = targetSize(file);
  if (offset + dataStart + SECTOR > size) return null;
  const sector = (at: bigint): Uint8Array => readExact(file, at, Number(SECTOR));
  return kataLayoutOf(sector(offset), sector(offset + dataStart), dataStart, size - offset);
}

/** Options of {@link unpackImage}. */
export interface UnpackOptions {
  /** Where the namespace starts in the input (default 0). */
  offset?: bigint;
  /** The namespace's guest address, for the kernel's view of the block (default: 4 GiB). */
  nsBase?: bigint;
  /** The namespace's size (default: the input from `offset` to its end). */
  nsSize?: bigint;
  /** Replace an existing output. */
  force?: boolean;
  faults?: Faults;
}

/** What {@link unpackImage} wrote. */
export interface UnpackResult {
  input: string;
  output: string;
  /** Input offset and length of the bytes written out. */
  from: bigint;
  length: bigint;
  /** What the bytes are: the filesystem found at the data start (or in Kata's partition), or the whole data area. */
  what: 'filesystem' | 'partition' | 'data area';
  filesystem: FilesystemInfo | null;
  kata: KataLayout | null;
  copy: CopyMethod;
}

/** The data area a kernel would expose (its verdict when it claims the namespace, else the block's arithmetic). */
function dataAreaOf(input: string, o: UnpackOptions): { start: bigint; size: bigint; fileSize: bigint } {
  const offset = o.offset ?? 0n;
  const fileSize = fileSizeOf(input);
  const head = readExact(input, offset, HEAD_SIZE);
  const block = findBlocks(head).find((b) => b.kind === 'pfn' || b.kind === 'dax');
  if (block === undefined || block.kind === 'btt' || !block.checksumValid) {
    throw new InfoblockError(
      'no-block',
      `${showPath(input)} has no valid fsdax or devdax info-block at ${hex(offset + 4096n)}`,
    );
  }
  const nsSize = o.nsSize ?? fileSize - offset;
  const v = checkHead(head, {
    nsBase: o.nsBase ?? 4n << 30n,
    nsSize,
    parentUuid: block.pfn.fields.parentUuid,
    kernel: 'linux-latest',
    hazards: false,
  });
  if (v.outcome === 'claimed' && v.dataStart !== null && v.dataSize !== null) {
    return { start: offset + v.dataStart, size: v.dataSize, fileSize };
  }
  const why = v.message === null ? '' : ` (${v.message})`;
  throw new InfoblockError(
    'unsupported',
    `${showPath(input)}: Linux would not claim this namespace${why}, so it has no data area to unpack`,
  );
}

/**
 * Write the data of the NVDIMM image `input` to a new file `output`,
 * sparse: the filesystem at the data start (its own size), the partition
 * of a Kata-style image, or else the whole data area.
 */
export function unpackImage(input: string, output: string, o: UnpackOptions = {}): UnpackResult {
  expectString(input, 'input');
  expectString(output, 'output');
  expectOptions(o, 'o', true);
  const area = dataAreaOf(input, o);
  let from = area.start;
  let length = area.size;
  let what: UnpackResult['what'] = 'data area';
  const kata = kataViewOf(input, o.offset ?? 0n, area.start - (o.offset ?? 0n));
  if (kata !== null && kata.consistent) {
    from = (o.offset ?? 0n) + kata.fileOffset;
    length = kata.nvdimm.size;
    what = 'partition';
  }
  const filesystem =
    from + BigInt(SNIFF_BYTES) <= area.fileSize ? sniffFilesystem(readExact(input, from, SNIFF_BYTES)) : null;
  if (filesystem !== null && filesystem.size <= length) {
    length = filesystem.size;
    what = what === 'partition' ? 'partition' : 'filesystem';
  }
  checkOutput(input, output, o.force === true);
  const copy = buildFileDurably(output, (tmp) => copyRangeSparse(input, tmp, { from, length, at: 0n }), {
    replace: o.force === true,
    ...(o.faults === undefined ? {} : { faults: o.faults }),
  });
  return { input, output, from, length, what, filesystem, kata, copy };
}
