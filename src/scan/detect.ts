/**
 * Recognisers for the structures `infoblock scan` reports, each looking at
 * one candidate position of a buffer: pfn/dax and BTT info-blocks (4 KiB
 * granularity), ext2/3/4, XFS and btrfs superblocks, and MBR and GPT
 * partition tables (a disk image in the data area: a partitioned pmem
 * device). Each first tests a few
 * magic bytes (the hot path) and only then decodes and sanity-checks fields,
 * so random data rarely yields a false find.
 */
import * as CRC32 from 'crc-32';
import { decodeBttBlock } from '../format/btt';
import { decodeMbrEntries, SECTOR } from '../format/mbr';
import { decodePfnBlock, type PfnFields } from '../format/pfn';
import { expectBigint, expectBytes, expectNumber, expectOptions } from '../format/guard';

/** Bytes a recogniser may need from its position (the largest structure read). */
export const MAX_STRUCT = 4096;

export interface PfnFinding {
  kind: 'pfn' | 'dax';
  /** Byte position of the info-block itself; the namespace it belongs to would start 4096 bytes earlier. */
  offset: bigint;
  checksumValid: boolean;
  fields: PfnFields;
}

export interface BttFinding {
  kind: 'btt' | 'btt-backup';
  offset: bigint;
  checksumValid: boolean;
  /** Arena start: the block itself, or for a backup the block minus info2off. */
  arena: bigint;
  info2off: bigint;
  /** Bytes per external sector. */
  externalLbasize: bigint;
  /** External sectors in the arena (a count). */
  externalNlba: number;
}

export interface FsFinding {
  kind: 'ext4' | 'xfs' | 'btrfs';
  /** Where the filesystem starts (its byte 0). */
  offset: bigint;
  /** Where this superblock copy lies. */
  superblock: bigint;
  /** The size the superblock claims: block count × block size (btrfs: total_bytes). */
  size: bigint;
  blockSize: bigint;
  uuid: string;
  /** ext2/ext3/ext4 from the feature flags; for XFS and btrfs the kind. */
  variant: string;
  /** A backup or secondary superblock (ext4 group not 0, XFS AG not 0, btrfs mirror). */
  copy: boolean;
  /** Which copy: the ext4 block group, the XFS allocation group, the btrfs mirror (0: the primary). */
  group: number;
}

export interface Partition {
  /** Its number in the table (1-based: MBR slot, GPT entry). */
  number: number;
  /** Absolute byte position of its first byte in the target. */
  start: bigint;
  size: bigint;
  /** MBR: the type byte as "0x83"; GPT: the partition type GUID. */
  type: string;
}

export interface PartitionFinding {
  kind: 'mbr' | 'gpt';
  /** Where the partitioned disk starts (its LBA 0): the MBR itself, or 512 bytes before the GPT header. */
  offset: bigint;
  /** Bytes the table spans: MBR the end of its last partition, GPT up to its backup header (the disk's last LBA). */
  size: bigint;
  partitions: Partition[];
}

export type Finding = PfnFinding | BttFinding | FsFinding | PartitionFinding;

export const isPfnFinding = (f: Finding): f is PfnFinding => {
  expectOptions(f, 'f');
  return f.kind === 'pfn' || f.kind === 'dax';
};
export const isBttFinding = (f: Finding): f is BttFinding => {
  expectOptions(f, 'f');
  return f.kind === 'btt' || f.kind === 'btt-backup';
};
export const isFsFinding = (f: Finding): f is FsFinding => {
  expectOptions(f, 'f');
  return f.kind === 'ext4' || f.kind === 'xfs' || f.kind === 'btrfs';
};
export const isPartitionFinding = (f: Finding): f is PartitionFinding => {
  expectOptions(f, 'f');
  return f.kind === 'mbr' || f.kind === 'gpt';
};

const le16 = (b: Uint8Array, o: number): number => (b[o] as number) | ((b[o + 1] as number) << 8);
const le32 = (b: Uint8Array, o: number): number => (le16(b, o) | (le16(b, o + 2) << 16)) >>> 0;
const be32 = (b: Uint8Array, o: number): number =>
  (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
const le64 = (b: Uint8Array, o: number): bigint => BigInt(le32(b, o)) | (BigInt(le32(b, o + 4)) << 32n);
const be64 = (b: Uint8Array, o: number): bigint => (BigInt(be32(b, o)) << 32n) | BigInt(be32(b, o + 4));

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The uuid at `o` as one flat string: joined, not built with `+=` (a rope of 20 pieces, about 1 KiB of heap per
 * finding, that a scan keeping 126k superblocks held as 110 MiB).
 */
function uuidAt(b: Uint8Array, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) parts.push('-');
    parts.push(HEX2[b[o + i] as number] as string);
  }
  return parts.join('');
}

// "NVDIMM_" and "BTT_ARENA_INFO" first bytes, tested before any decoding.
const N = 0x4e;
const B = 0x42;

/** A pfn/dax/BTT info-block at `p` (4 KiB aligned position `pos`), or null. */
export function infoBlockAt(buf: Uint8Array, p: number, pos: bigint, btts: Map<bigint, bigint>): Finding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  expectOptions(btts, 'btts');
  const c = buf[p];
  if (c === N) {
    // NVDIMM_PFN_INFO\0 / NVDIMM_DAX_INFO\0
    if (buf[p + 1] !== 0x56 || buf[p + 6] !== 0x5f || buf[p + 10] !== 0x5f || buf[p + 15] !== 0) return null;
    const d = decodePfnBlock(buf.subarray(p, p + 4096));
    if (d.kind !== 'pfn' && d.kind !== 'dax') return null;
    return { kind: d.kind, offset: pos, checksumValid: d.checksumValid, fields: d.fields };
  }
  if (c === B && buf[p + 1] === 0x54 && buf[p + 3] === 0x5f && buf[p + 9] === 0x5f) {
    const d = decodeBttBlock(buf.subarray(p, p + 4096));
    if (d.fields.signature[14] !== 0 || String.fromCharCode(...d.fields.signature.subarray(0, 14)) !== 'BTT_ARENA_INFO')
      return null;
    const info2off = d.fields.info2off;
    // A block whose info2off points back at a primary already seen is that primary's backup.
    const arena = info2off > 0n && info2off <= pos && btts.get(pos - info2off) === info2off ? pos - info2off : pos;
    if (arena === pos) btts.set(pos, info2off);
    return {
      kind: arena === pos ? 'btt' : 'btt-backup',
      offset: pos,
      checksumValid: d.checksumValid,
      arena,
      info2off,
      externalLbasize: d.fields.externalLbasize,
      externalNlba: d.fields.externalNlba,
    };
  }
  return null;
}

const EXT_MAGIC_LO = 0x53;
const EXT_MAGIC_HI = 0xef;

/**
 * An ext2/3/4 superblock at `p` (position `pos`, 512-byte aligned): magic
 * 0xEF53 at +56, then a block size of 1-64 KiB, a first data block that
 * matches it, non-zero counts, a known revision and the group number the
 * copy's position implies. The primary lies at fs start + 1024.
 */
export function extAt(buf: Uint8Array, p: number, pos: bigint): FsFinding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  if (buf[p + 56] !== EXT_MAGIC_LO || buf[p + 57] !== EXT_MAGIC_HI) return null;
  const logBlock = le32(buf, p + 24);
  const firstData = le32(buf, p + 20);
  const perGroup = le32(buf, p + 32);
  const inodes = le32(buf, p + 0);
  const rev = le32(buf, p + 76);
  if (logBlock > 6 || rev > 1 || inodes === 0 || perGroup === 0 || le32(buf, p + 40) === 0) return null;
  const blockSize = 1024 << logBlock;
  if (firstData !== (blockSize === 1024 ? 1 : 0)) return null;
  const incompat = le32(buf, p + 0x60);
  const hi = (incompat & 0x80) !== 0 ? BigInt(le32(buf, p + 0x150)) : 0n;
  const blocks = BigInt(le32(buf, p + 4)) | (hi << 32n);
  if (blocks === 0n) return null;
  const group = le16(buf, p + 0x5a);
  // Group g's copy sits at block first_data_block + g·blocks_per_group; the primary at byte 1024.
  const sbInFs = group === 0 ? 1024n : (BigInt(firstData) + BigInt(group) * BigInt(perGroup)) * BigInt(blockSize);
  if (sbInFs > pos) return null;
  const compat = le32(buf, p + 0x5c);
  const variant = (incompat & 0x2c0) !== 0 ? 'ext4' : (compat & 0x4) !== 0 ? 'ext3' : 'ext2';
  return {
    kind: 'ext4',
    offset: pos - sbInFs,
    superblock: pos,
    size: blocks * BigInt(blockSize),
    blockSize: BigInt(blockSize),
    uuid: uuidAt(buf, p + 0x68),
    variant,
    copy: group !== 0,
    group,
  };
}

/**
 * An XFS superblock at `p` ("XFSB", big-endian fields): block size a power
 * of two 512 B-64 KiB, non-zero data blocks and AG geometry. Secondary
 * copies (one per allocation group) look the same; the scan marks a copy
 * when an earlier superblock with the same uuid lies a whole number of AGs before it.
 */
export function xfsAt(
  buf: Uint8Array,
  p: number,
  pos: bigint,
  seen: Map<string, { offset: bigint; agBytes: bigint }>,
): FsFinding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  expectOptions(seen, 'seen');
  if (buf[p] !== 0x58 || buf[p + 1] !== 0x46 || buf[p + 2] !== 0x53 || buf[p + 3] !== 0x42) return null;
  const blockSize = be32(buf, p + 4);
  const dblocks = be64(buf, p + 8);
  const agblocks = be32(buf, p + 84);
  const agcount = be32(buf, p + 88);
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) return null;
  if (dblocks === 0n || agblocks === 0 || agcount === 0) return null;
  const uuid = uuidAt(buf, p + 32);
  const agBytes = BigInt(agblocks) * BigInt(blockSize);
  const first = seen.get(uuid);
  const copy = first !== undefined && first.agBytes === agBytes && (pos - first.offset) % agBytes === 0n;
  if (first === undefined) seen.set(uuid, { offset: pos, agBytes });
  const start = copy ? first.offset : pos;
  return {
    kind: 'xfs',
    offset: start,
    superblock: pos,
    size: dblocks * BigInt(blockSize),
    blockSize: BigInt(blockSize),
    uuid,
    variant: 'xfs',
    copy,
    group: copy ? Number((pos - first.offset) / agBytes) : 0,
  };
}

/** Bytes of the btrfs superblock's magic "_BHRfS_M" (at +64 of the superblock). */
const BTRFS_MAGIC = [0x5f, 0x42, 0x48, 0x52, 0x66, 0x53, 0x5f, 0x4d];

/** Where btrfs keeps its superblock and mirrors 1 and 2 (bytes from the filesystem start). */
const BTRFS_MIRRORS: readonly bigint[] = [65536n, 64n << 20n, 256n << 30n];

/** A btrfs superblock at `p` (4 KiB aligned): magic at +64, bytenr (its own position in the fs) at +48. */
export function btrfsAt(buf: Uint8Array, p: number, pos: bigint): FsFinding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  if (buf[p + 64] !== 0x5f || buf[p + 71] !== 0x4d) return null;
  for (let i = 1; i < 7; i++) if (buf[p + 64 + i] !== BTRFS_MAGIC[i]) return null;
  const bytenr = le64(buf, p + 48);
  const total = le64(buf, p + 0x70);
  const sector = le32(buf, p + 0x90);
  if (bytenr > pos || total === 0n || sector < 512 || (sector & (sector - 1)) !== 0) return null;
  return {
    kind: 'btrfs',
    offset: pos - bytenr,
    superblock: pos,
    size: total,
    blockSize: BigInt(sector),
    uuid: uuidAt(buf, p + 32),
    variant: 'btrfs',
    copy: bytenr !== 65536n,
    group: BTRFS_MIRRORS.indexOf(bytenr),
  };
}

/**
 * An MBR partition table at `p` (a 4 KiB aligned position: a data area
 * starts on a page): the 0x55AA signature at +510 and four sane entries
 * at +446 (status 0x00 or 0x80; an unused slot all zero in its type, start
 * and count; a used one starting at LBA 1 or later with sectors in it; used
 * slots not overlapping), at least one used. A FAT or NTFS boot sector,
 * whose boot code fills those bytes, does not pass.
 */
export function mbrAt(buf: Uint8Array, p: number, pos: bigint): PartitionFinding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  const entries = decodeMbrEntries(buf, p);
  if (entries === null) return null;
  const partitions: Partition[] = [];
  for (const { index, status, type, startLba: first, sectors: count } of entries) {
    if (status !== 0 && status !== 0x80) return null;
    if (type === 0) {
      if (first !== 0n || count !== 0n || status !== 0) return null;
      continue;
    }
    if (first === 0n || count === 0n) return null;
    partitions.push({
      number: index,
      start: pos + first * SECTOR,
      size: count * SECTOR,
      type: `0x${type.toString(16).padStart(2, '0')}`,
    });
  }
  if (partitions.length === 0) return null;
  const sorted = [...partitions].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Partition;
    if ((sorted[i] as Partition).start < prev.start + prev.size) return null;
  }
  const last = sorted[sorted.length - 1] as Partition;
  // An extended partition's logical ones lie inside its slot: the table spans to the end of the last slot.
  return { kind: 'mbr', offset: pos, size: last.start + last.size - pos, partitions };
}

/** A GPT GUID as text: the first three fields little-endian, the rest in byte order. */
function guidAt(b: Uint8Array, o: number): string {
  const h = (i: number): string => (b[o + i] as number).toString(16).padStart(2, '0');
  const part = (idx: number[]): string => idx.map(h).join('');
  return `${part([3, 2, 1, 0])}-${part([5, 4])}-${part([7, 6])}-${part([8, 9])}-${part([10, 11, 12, 13, 14, 15])}`;
}

/** "EFI PART" */
const GPT_SIGNATURE = [0x45, 0x46, 0x49, 0x20, 0x50, 0x41, 0x52, 0x54];
/** GPT entries that lie inside the header's 4 KiB window (entries at LBA 2, 128 bytes each). */
const GPT_WINDOW_ENTRIES = (MAX_STRUCT - 512) / 128;

/**
 * A GPT header at `p` (LBA 1 of a disk whose LBA 0 is 4 KiB aligned):
 * "EFI PART", revision 1.0, a header size of 92-512 bytes whose CRC-32
 * matches, my_lba 1, usable LBAs inside the disk its backup header ends.
 * The partitions listed are the used entries within the 4 KiB read at the
 * header (the first 28 when the array starts at LBA 2, as every tool writes it).
 */
export function gptAt(buf: Uint8Array, p: number, pos: bigint): PartitionFinding | null {
  expectBytes(buf, 'buf');
  expectNumber(p, 'p');
  expectBigint(pos, 'pos');
  for (let i = 0; i < 8; i++) if (buf[p + i] !== GPT_SIGNATURE[i]) return null;
  const headerSize = le32(buf, p + 12);
  if (le32(buf, p + 8) !== 0x00010000 || headerSize < 92 || headerSize > 512) return null;
  if (pos < SECTOR || le64(buf, p + 24) !== 1n) return null;
  const alternate = le64(buf, p + 32);
  const firstUsable = le64(buf, p + 40);
  const lastUsable = le64(buf, p + 48);
  if (!(firstUsable >= 2n && firstUsable <= lastUsable && lastUsable < alternate)) return null;
  const header = Uint8Array.from(buf.subarray(p, p + headerSize));
  const stored = le32(header, 16);
  header.fill(0, 16, 20);
  if (CRC32.buf(header) >>> 0 !== stored) return null;
  const disk = pos - SECTOR;
  const partitions: Partition[] = [];
  const entryLba = le64(buf, p + 72);
  const entries = le32(buf, p + 80);
  if (entryLba === 2n && le32(buf, p + 84) === 128) {
    for (let i = 0; i < Math.min(entries, GPT_WINDOW_ENTRIES); i++) {
      const e = p + 512 + 128 * i;
      let used = false;
      for (let j = 0; j < 16 && !used; j++) used = buf[e + j] !== 0;
      const first = le64(buf, e + 32);
      const last = le64(buf, e + 40);
      if (!used || last < first) continue;
      partitions.push({
        number: i + 1,
        start: disk + first * SECTOR,
        size: (last - first + 1n) * SECTOR,
        type: guidAt(buf, e),
      });
    }
  }
  return { kind: 'gpt', offset: disk, size: (alternate + 1n) * SECTOR, partitions };
}

/**
 * A finding seen from a namespace that starts at `origin` inside the target: every position (the finding's
 * offset, a superblock copy's place, a BTT arena) made relative to it. Sizes and fields are unchanged.
 */
export function relativeTo<F extends Finding>(f: F, origin: bigint): F {
  expectBigint(origin, 'origin');
  if (origin === 0n) return f;
  if (isFsFinding(f)) return { ...f, offset: f.offset - origin, superblock: f.superblock - origin };
  if (isBttFinding(f)) return { ...f, offset: f.offset - origin, arena: f.arena - origin };
  if (isPartitionFinding(f))
    return {
      ...f,
      offset: f.offset - origin,
      partitions: f.partitions.map((x) => ({ ...x, start: x.start - origin })),
    };
  return { ...f, offset: f.offset - origin };
}
