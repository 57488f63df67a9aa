/**
 * The streaming scanner: reads a file or block device front to back in large
 * sequential reads into one reused buffer (constant memory whatever the
 * size) and runs the recognisers of ./detect at every aligned position:
 * 512 bytes for ext and XFS superblocks, 4 KiB for info-blocks, btrfs and
 * MBRs, 512 bytes into each page for a GPT header.
 * The last MAX_STRUCT bytes of a chunk are carried to the front of the
 * buffer so a structure that straddles two reads is still seen whole.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError, IoError } from '../format/errors';
import { reasonOf } from '../io/errors';
import { allocationMap, type AllocationMap, type Extent } from '../io/extents';
import { pageAlignedBuffer } from '../io/aligned';
import { closeQuietly, openTarget, targetSize } from '../io/files';
import { showPath, type FilePath } from '../io/path';
import { expectU64 } from '../format/int64';
import { hex } from '../format/units';
import { MAX_STRUCT, btrfsAt, extAt, gptAt, infoBlockAt, mbrAt, xfsAt, type Finding } from './detect';
import { expectBytes, expectFields, expectOptions } from '../format/guard';

export const DEFAULT_CHUNK = 4 << 20;
/** The largest chunk a read may use (1 GiB). */
export const MAX_CHUNK = 1n << 30n;
const SECTOR = 512;
const PAGE = 4096;

export interface ScanOptions {
  /** The image file or block device to scan (a path string, or its bytes). */
  target: FilePath;
  /** First byte to consider (rounded down to 4 KiB for reading; findings before it are dropped). */
  from?: bigint;
  /** End of the range (exclusive; default the target's size). Structures may extend past it. */
  to?: bigint;
  /** Bytes per read: a multiple of 4 KiB from 8 KiB to 1 GiB (default 4 MiB). */
  chunkSize?: bigint;
  onProgress?: (done: bigint, total: bigint) => void;
  /** Skip holes by the file's allocation map where one can be had (default true; false reads every byte). */
  allocationMap?: boolean;
  /** The read call (default fs.readSync): a seam for callers with their own I/O and for fault tests. */
  read?: (fd: number, buf: Uint8Array, at: number, length: number, position: bigint) => number;
}

export interface ScanResult {
  /** The target's size when the scan began. */
  size: bigint;
  from: bigint;
  to: bigint;
  /** Where the scan really ended: `to`, or where the file ended when it shrank while being read. */
  end: bigint;
  /** The file's size at the end when it shrank below `to` during the scan, else null. */
  shrunkTo: bigint | null;
  /** Bytes actually read (holes skipped are not). */
  bytesRead: bigint;
  /** Bytes of [from, end) not read because the file's allocation map says they are holes. */
  holesSkipped: bigint;
  /** How the holes were found ('SEEK_DATA/SEEK_HOLE via perl'), or null when every byte was read. */
  allocationMap: string | null;
  findings: Finding[];
}

interface State {
  btts: Map<bigint, bigint>;
  xfs: Map<string, { offset: bigint; agBytes: bigint }>;
  findings: Finding[];
  from: bigint;
  to: bigint;
}

/** ext2/3/4's magic 0xEF53 (little-endian at +56 of a superblock): a sector at `q` that may hold one. */
const extMagic = (b: Uint8Array, q: number): boolean => b[q + 56] === 0x53 && b[q + 57] === 0xef;
/** "XF", the start of XFS's "XFSB". */
const xfsMagic = (b: Uint8Array, q: number): boolean => b[q] === 0x58 && b[q + 1] === 0x46;

/**
 * Run the recognisers at one 512-byte aligned position `p` of `buf` (buf[0]
 * at absolute `pos0`, a multiple of 4 KiB; `avail` valid bytes), pushing
 * what they find in a fixed order: MBR, GPT, ext, XFS, info-block, btrfs.
 */
function scanSector(buf: Uint8Array, p: number, avail: number, pos0: bigint, st: State): void {
  const ext = extMagic(buf, p) && p + 1024 <= avail;
  const inPage = p & (PAGE - 1);
  const page = inPage === 0 && p + PAGE <= avail;
  const x = buf[p] === 0x58 && p + SECTOR <= avail;
  const gpt = inPage === SECTOR && buf[p] === 0x45 && buf[p + 1] === 0x46 && p + PAGE <= avail;
  if (
    !ext &&
    !x &&
    !gpt &&
    !(page && (buf[p] === 0x4e || buf[p] === 0x42 || buf[p + 64] === 0x5f || buf[p + 510] === 0x55))
  )
    return;
  const pos = pos0 + BigInt(p);
  if (pos < st.from || pos >= st.to) return;
  if (page) push(st, mbrAt(buf, p, pos));
  if (gpt) push(st, gptAt(buf, p, pos));
  if (ext) push(st, extAt(buf, p, pos));
  if (x) push(st, xfsAt(buf, p, pos, st.xfs));
  if (page) {
    push(st, infoBlockAt(buf, p, pos, st.btts));
    push(st, btrfsAt(buf, p, pos));
  }
}

function push(st: State, f: Finding | null): void {
  if (f !== null) st.findings.push(f);
}

/**
 * Whether a whole page may hold the start of a structure: two bytes of every signature a recogniser needs
 * (info-blocks "NV"/"BT" and btrfs "_B" at their offsets, the MBR's 0x55AA, GPT's "EF" in sector 1, and
 * ext2/3/4's and XFS's magic at any sector). A page that fails cannot hold a finding: every recogniser
 * refuses a position without these bytes.
 */
function pageMayHold(buf: Uint8Array, p: number): boolean {
  const c = buf[p];
  if (
    (c === 0x4e && buf[p + 1] === 0x56) ||
    (c === 0x42 && buf[p + 1] === 0x54) ||
    (buf[p + 64] === 0x5f && buf[p + 65] === 0x42) ||
    (buf[p + 510] === 0x55 && buf[p + 511] === 0xaa) ||
    (buf[p + 512] === 0x45 && buf[p + 513] === 0x46)
  )
    return true;
  for (let q = p; q < p + PAGE; q += SECTOR) if (extMagic(buf, q) || xfsMagic(buf, q)) return true;
  return false;
}

/**
 * Run the recognisers over positions [0, limit) of `buf` (buf[0] at absolute
 * `pos0`, a multiple of 4 KiB), with `avail` valid bytes.
 *
 * The hot path: random data must cost a few byte loads per sector. Each
 * whole page is tested by {@link pageMayHold}; a page that passes (about one
 * in 3,000 of random data) is walked sector by sector through scanSector,
 * which decides. Positions past the last whole page take the sector walk.
 */
function scanChunk(buf: Uint8Array, limit: number, avail: number, pos0: bigint, st: State): void {
  let p = 0;
  for (; p + PAGE <= limit; p += PAGE)
    if (pageMayHold(buf, p)) for (let q = p; q < p + PAGE; q += SECTOR) scanSector(buf, q, avail, pos0, st);
  for (; p < limit; p += SECTOR) scanSector(buf, p, avail, pos0, st);
}

/** What {@link scanBytes} takes: the range of {@link ScanOptions}, the bytes standing for the target. */
export type ScanBytesOptions = Omit<ScanOptions, 'target' | 'chunkSize'>;

/** Scan bytes already in memory (tests, small heads): same recognisers, same result shape. */
export function scanBytes(bytes: Uint8Array, o: ScanBytesOptions = {}): ScanResult {
  expectBytes(bytes, 'bytes');
  expectOptions(o, 'o', true);
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('must be a Uint8Array', { field: 'bytes' });
  const size = BigInt(bytes.byteLength);
  const st = newState(o, size);
  const start = Number(st.from - (st.from % BigInt(PAGE)));
  const end = Math.min(bytes.byteLength, Number(st.to) + MAX_STRUCT);
  scanChunk(bytes.subarray(start, end), end - start, end - start, BigInt(start), st);
  return {
    size,
    from: st.from,
    to: st.to,
    end: st.to,
    shrunkTo: null,
    bytesRead: BigInt(end - start),
    holesSkipped: 0n,
    allocationMap: null,
    findings: st.findings,
  };
}

/** Library boundary: the range bounds are u64 bigints, the options an object. */
function checkScanOptions(o: ScanBytesOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('scan options must be an object');
  if (o.from !== undefined) expectU64(o.from, 'from');
  if (o.to !== undefined) expectU64(o.to, 'to');
}

function newState(o: ScanBytesOptions, size: bigint): State {
  checkScanOptions(o);
  const from = o.from ?? 0n;
  const to = o.to ?? size;
  if (from > size)
    throw new InvalidArgumentError(`the scan start ${hex(from)} is past the end of the target (${hex(size)} bytes)`, {
      field: 'from',
    });
  if (to < from)
    throw new InvalidArgumentError(`the scan end ${hex(to)} is before the scan start ${hex(from)}`, { field: 'to' });
  return { btts: new Map(), xfs: new Map(), findings: [], from, to: to > size ? size : to };
}

type Read = NonNullable<ScanOptions['read']>;
const defaultRead: Read = (fd, buf, at, length, position) => fs.readSync(fd, buf, at, length, position);

function readSome(
  read: Read,
  fd: number,
  path: FilePath,
  buf: Uint8Array,
  at: number,
  length: number,
  position: bigint,
): number {
  try {
    return read(fd, buf, at, length, position);
  } catch (e) {
    const r = reasonOf(e);
    throw new IoError(`cannot read ${showPath(path)} at offset ${hex(position)}: ${r.reason}; ${r.hint}`, { cause: e });
  }
}

interface Reader {
  read: Read;
  fd: number;
  path: FilePath;
  buf: Buffer;
}

/**
 * Stream [first, readEnd) through the buffer, judging positions below
 * `stop`; returns the bytes read and where the file ended when it ended
 * early (it shrank while being read), else null.
 */
function scanStretch(
  r: Reader,
  st: State,
  first: bigint,
  stop: bigint,
  readEnd: bigint,
  progress: (at: bigint) => void,
): { bytes: bigint; eof: bigint | null } {
  const { buf } = r;
  let pos0 = first; // absolute position of buf[0], a multiple of 4 KiB
  let have = 0; // valid bytes at the front of buf (the carried tail)
  let bytes = 0n;
  for (;;) {
    const want = readEnd - (pos0 + BigInt(have));
    const room = buf.byteLength - have;
    const len = want < BigInt(room) ? Number(want) : room;
    const n = len > 0 ? readSome(r.read, r.fd, r.path, buf, have, len, pos0 + BigInt(have)) : 0;
    bytes += BigInt(n);
    const avail = have + n;
    if (n === 0) {
      const end = pos0 + BigInt(avail);
      const upTo = stop < end ? stop : end;
      if (upTo > pos0) scanChunk(buf, Number(upTo - pos0), avail, pos0, st);
      return { bytes, eof: len > 0 && end < readEnd ? end : null };
    }
    // Positions whose structure could still grow with the next read wait
    // for it; the cut stays page aligned so buf[0] keeps its alignment.
    const limit = Math.floor((avail - MAX_STRUCT) / PAGE) * PAGE;
    if (limit > 0) {
      const upTo = stop < pos0 + BigInt(limit) ? stop : pos0 + BigInt(limit);
      if (upTo > pos0) scanChunk(buf, Number(upTo - pos0), avail, pos0, st);
      buf.copyWithin(0, limit, avail);
      pos0 += BigInt(limit);
      have = avail - limit;
    } else have = avail;
    progress(pos0 + BigInt(have));
  }
}

/**
 * The stretches a sparse-aware scan reads: the file's data ranges, widened
 * to whole pages and merged when less than a structure apart (a structure
 * that starts in one may reach into the next). Positions in a hole never
 * match: every recogniser tests a non-zero byte of the position's own
 * 512-byte sector first, and holes are whole file system blocks.
 */
function stretchesOf(map: AllocationMap, from: bigint, to: bigint): Extent[] {
  const out: Extent[] = [];
  const P = BigInt(PAGE);
  for (const e of map.extents) {
    const start = e.start - (e.start % P);
    const end = e.end < to ? e.end : to;
    if (end <= from || start >= to || end <= start) continue;
    const s = start < from ? from - (from % P) : start;
    const last = out[out.length - 1];
    if (last !== undefined && s <= last.end + BigInt(MAX_STRUCT)) last.end = end > last.end ? end : last.end;
    else out.push({ start: s, end });
  }
  return out;
}

/**
 * Scan a file or block device in constant memory. A sparse regular file is
 * read only where its allocation map says data lies (`holesSkipped`,
 * `allocationMap`); everything else, and any file whose map cannot be had,
 * is read whole. Takes one options object, as every `*Target` function does.
 */
export function scanTarget(o: ScanOptions): ScanResult {
  expectFields(o, 'o', { target: 'path' });
  checkScanOptions(o);
  const path = o.target;
  const chunkSize = o.chunkSize === undefined ? BigInt(DEFAULT_CHUNK) : expectU64(o.chunkSize, 'chunkSize');
  if (chunkSize < BigInt(PAGE * 2) || chunkSize % BigInt(PAGE) !== 0n || chunkSize > MAX_CHUNK)
    throw new InvalidArgumentError(`${chunkSize} must be a multiple of 4096 from 8192 to 1 GiB`, {
      field: 'chunkSize',
    });
  const chunk = Number(chunkSize);
  const fd = openTarget(path, 'read');
  try {
    const size = targetSize(path, fd);
    const st = newState(o, size);
    const readEnd = st.to + BigInt(MAX_STRUCT) < size ? st.to + BigInt(MAX_STRUCT) : size;
    // Room for a chunk behind the carried tail (at most MAX_STRUCT + one page).
    const r: Reader = { read: o.read ?? defaultRead, fd, path, buf: pageAlignedBuffer(chunk + MAX_STRUCT + PAGE) };
    const map = o.allocationMap === false ? null : allocationMap(fd, size);
    const first = st.from - (st.from % BigInt(PAGE));
    const stretches = map === null ? [{ start: first, end: st.to }] : stretchesOf(map, st.from, st.to);
    const total = readEnd - st.from;
    let bytesRead = 0n;
    let planned = 0n; // bytes of the stretches done, so the progress runs over what is read
    let end = st.to;
    let shrunkTo: bigint | null = null;
    for (const x of stretches) {
      const stop = x.end;
      const upTo = x.end + BigInt(MAX_STRUCT) < readEnd ? x.end + BigInt(MAX_STRUCT) : readEnd;
      const done = planned;
      const got = scanStretch(r, st, x.start, stop, upTo, (at) => o.onProgress?.(done + at - x.start, total));
      bytesRead += got.bytes;
      planned += upTo - x.start;
      if (got.eof !== null) {
        end = got.eof < st.to ? got.eof : st.to;
        shrunkTo = sizeNow(path, fd, got.eof);
        break;
      }
    }
    if (shrunkTo === null && map !== null) {
      // A file that shrank inside a hole shows it only in its size.
      const now = sizeNow(path, fd, size);
      if (now < st.to) {
        shrunkTo = now;
        end = now;
      }
    }
    o.onProgress?.(total, total);
    const holesSkipped = map === null ? 0n : end - st.from - coveredBy(stretches, st.from, end);
    return {
      size,
      from: st.from,
      to: st.to,
      end,
      shrunkTo,
      bytesRead,
      holesSkipped,
      allocationMap: map === null ? null : map.method,
      findings: st.findings,
    };
  } finally {
    closeQuietly(fd);
  }
}

/** Bytes of [from, end) inside the stretches. */
function coveredBy(stretches: readonly Extent[], from: bigint, end: bigint): bigint {
  let n = 0n;
  for (const x of stretches) {
    const a = x.start > from ? x.start : from;
    const b = x.end < end ? x.end : end;
    if (b > a) n += b - a;
  }
  return n;
}

/** The target's size now (it may have shrunk while being read); `dflt` when it cannot be had. */
function sizeNow(path: FilePath, fd: number, dflt: bigint): bigint {
  try {
    return targetSize(path, fd);
  } catch {
    return dflt;
  }
}
