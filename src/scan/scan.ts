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
import { closeQuietly, openTarget, targetSize } from '../io/files';
import { showPath, type FilePath } from '../io/path';
import { expectU64 } from '../format/int64';
import { hex } from '../format/units';
import { MAX_STRUCT, btrfsAt, extAt, gptAt, infoBlockAt, mbrAt, xfsAt, type Finding } from './detect';

export const DEFAULT_CHUNK = 4 << 20;
/** The largest chunk a read may use (1 GiB). */
export const MAX_CHUNK = 1n << 30n;
const SECTOR = 512;
const PAGE = 4096;

export interface ScanOptions {
  /** First byte to consider (rounded down to 4 KiB for reading; findings before it are dropped). */
  from?: bigint;
  /** End of the range (exclusive; default the target's size). Structures may extend past it. */
  to?: bigint;
  /** Bytes per read: a multiple of 4 KiB from 8 KiB to 1 GiB (default 4 MiB). */
  chunkSize?: bigint;
  onProgress?: (done: bigint, total: bigint) => void;
  /** The read call (default fs.readSync): a seam for callers with their own I/O and for fault tests. */
  read?: (fd: number, buf: Uint8Array, at: number, length: number, position: bigint) => number;
}

export interface ScanResult {
  size: bigint;
  from: bigint;
  to: bigint;
  bytesRead: bigint;
  findings: Finding[];
}

interface State {
  btts: Map<bigint, bigint>;
  xfs: Map<string, { offset: bigint; agBytes: bigint }>;
  findings: Finding[];
  from: bigint;
  to: bigint;
}

/**
 * Run the recognisers over positions [0, limit) of `buf` (buf[0] at absolute
 * `pos0`, a multiple of 4 KiB), with `avail` valid bytes.
 */
function scanChunk(buf: Uint8Array, limit: number, avail: number, pos0: bigint, st: State): void {
  for (let p = 0; p < limit; p += SECTOR) {
    // Hot path: one two-byte test per sector, a few more per page.
    const ext = buf[p + 56] === 0x53 && buf[p + 57] === 0xef && p + 1024 <= avail;
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
      continue;
    const pos = pos0 + BigInt(p);
    if (pos < st.from || pos >= st.to) continue;
    const found: (Finding | null)[] = [];
    if (page) found.push(mbrAt(buf, p, pos));
    if (gpt) found.push(gptAt(buf, p, pos));
    if (ext) found.push(extAt(buf, p, pos));
    if (x) found.push(xfsAt(buf, p, pos, st.xfs));
    if (page) found.push(infoBlockAt(buf, p, pos, st.btts), btrfsAt(buf, p, pos));
    for (const f of found) if (f !== null) st.findings.push(f);
  }
}

/** Scan bytes already in memory (tests, small heads): same recognisers, same result shape. */
export function scanBytes(bytes: Uint8Array, o: Omit<ScanOptions, 'chunkSize'> = {}): ScanResult {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('must be a Uint8Array', { field: 'bytes' });
  const size = BigInt(bytes.byteLength);
  const st = newState(o, size);
  const start = Number(st.from - (st.from % BigInt(PAGE)));
  const end = Math.min(bytes.byteLength, Number(st.to) + MAX_STRUCT);
  scanChunk(bytes.subarray(start, end), end - start, end - start, BigInt(start), st);
  return { size, from: st.from, to: st.to, bytesRead: BigInt(end - start), findings: st.findings };
}

/** Library boundary: the range bounds are u64 bigints, the options an object. */
function checkScanOptions(o: ScanOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('scan options must be an object');
  if (o.from !== undefined) expectU64(o.from, 'from');
  if (o.to !== undefined) expectU64(o.to, 'to');
}

function newState(o: ScanOptions, size: bigint): State {
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

/** Scan a file or block device in constant memory. */
export function scanTarget(path: FilePath, o: ScanOptions = {}): ScanResult {
  checkScanOptions(o);
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
    const buf = Buffer.allocUnsafe(chunk + MAX_STRUCT + PAGE);
    let pos0 = st.from - (st.from % BigInt(PAGE)); // absolute position of buf[0]
    let have = 0; // valid bytes at the front of buf (the carried tail)
    let bytesRead = 0n;
    for (;;) {
      const want = readEnd - (pos0 + BigInt(have));
      const room = buf.byteLength - have;
      const len = want < BigInt(room) ? Number(want) : room;
      const n = len > 0 ? readSome(o.read ?? defaultRead, fd, path, buf, have, len, pos0 + BigInt(have)) : 0;
      bytesRead += BigInt(n);
      const avail = have + n;
      if (n === 0) {
        scanChunk(buf, avail, avail, pos0, st);
        break;
      }
      // Positions whose structure could still grow with the next read wait
      // for it; the cut stays page aligned so buf[0] keeps its alignment.
      const limit = Math.floor((avail - MAX_STRUCT) / PAGE) * PAGE;
      if (limit > 0) {
        scanChunk(buf, limit, avail, pos0, st);
        buf.copyWithin(0, limit, avail);
        pos0 += BigInt(limit);
        have = avail - limit;
      } else have = avail;
      o.onProgress?.(pos0 + BigInt(have) - st.from, readEnd - st.from);
    }
    return { size, from: st.from, to: st.to, bytesRead, findings: st.findings };
  } finally {
    closeQuietly(fd);
  }
}
