import { expectBytes, expectString } from './guard';
/**
 * Which filesystem an image holds and whether Linux can mount it with DAX:
 * the ext2/3/4 and xfs superblocks, read from the first 4 KiB of the image.
 * Pure: the caller reads the bytes.
 *
 * What disables DAX (from the kernels' mount paths): a block size other than
 * the page size (4096 on x86-64) on ext4 and xfs; ext4's data=journal
 * default mount option (the two cannot be combined); xfs reflink (Linux
 * before 6.0 refuses `-o dax` on a reflink filesystem, and Kata's image
 * builder turns reflink off for the same reason).
 */

/** The filesystems pack knows how to check. */
export type FilesystemKind = 'ext2' | 'ext3' | 'ext4' | 'xfs';

/** Something in the filesystem that keeps Linux from mounting it with DAX, and how to remake it. */
export interface DaxObstacle {
  /** Stable id: `block-size`, `data-journal`, `reflink`. */
  code: 'block-size' | 'data-journal' | 'reflink';
  /** One clause saying what is wrong. */
  message: string;
  /** The command (of the filesystem's own tools) that makes a filesystem without it. */
  fix: string;
}

/** What the superblock says. */
export interface FilesystemInfo {
  kind: FilesystemKind;
  /** Bytes per filesystem block. */
  blockSize: number;
  /** Bytes the filesystem spans (blocks × block size): what must fit in the namespace's data area. */
  size: bigint;
  /** The volume label, '' when none. */
  label: string;
  /** Why DAX would not work; empty when it would. */
  obstacles: DaxObstacle[];
}

/** How many bytes of the image {@link sniffFilesystem} needs. */
export const SNIFF_BYTES = 4096;
/** The page size DAX needs the filesystem block to equal (x86-64). */
export const DAX_PAGE_SIZE = 4096;

const EXT_SB = 1024;
const EXT_MAGIC = 0xef53;
const EXT_COMPAT_JOURNAL = 0x4;
const EXT_INCOMPAT_EXTENTS = 0x40;
const EXT_INCOMPAT_64BIT = 0x80;
const EXT_INCOMPAT_FLEX_BG = 0x200;
const EXT_DEFM_JMODE = 0x60;
const EXT_DEFM_JMODE_DATA = 0x20;
const XFS_MAGIC = 0x58465342; // 'XFSB'
const XFS_RO_COMPAT_REFLINK = 0x4;

function latin(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

function sniffExt(dv: DataView, bytes: Uint8Array): FilesystemInfo | null {
  if (bytes.byteLength < EXT_SB + 1024 || dv.getUint16(EXT_SB + 0x38, true) !== EXT_MAGIC) return null;
  const logBlock = dv.getUint32(EXT_SB + 0x18, true);
  if (logBlock > 6) return null; // 64 KiB is the largest block size: anything else is not a superblock
  const blockSize = 1024 << logBlock;
  const compat = dv.getUint32(EXT_SB + 0x5c, true);
  const incompat = dv.getUint32(EXT_SB + 0x60, true);
  const is64 = (incompat & EXT_INCOMPAT_64BIT) !== 0;
  const blocks =
    BigInt(dv.getUint32(EXT_SB + 0x04, true)) + (is64 ? BigInt(dv.getUint32(EXT_SB + 0x150, true)) << 32n : 0n);
  const kind: FilesystemKind =
    (incompat & (EXT_INCOMPAT_EXTENTS | EXT_INCOMPAT_64BIT | EXT_INCOMPAT_FLEX_BG)) !== 0
      ? 'ext4'
      : (compat & EXT_COMPAT_JOURNAL) !== 0
        ? 'ext3'
        : 'ext2';
  const obstacles: DaxObstacle[] = [];
  if (blockSize !== DAX_PAGE_SIZE) {
    obstacles.push({
      code: 'block-size',
      message: `${kind} with ${blockSize}-byte blocks: DAX needs blocks of the page size (${DAX_PAGE_SIZE})`,
      fix: `mkfs.${kind} -b ${DAX_PAGE_SIZE}`,
    });
  }
  if ((dv.getUint32(EXT_SB + 0x100, true) & EXT_DEFM_JMODE) === EXT_DEFM_JMODE_DATA) {
    obstacles.push({
      code: 'data-journal',
      message: `${kind} with data=journal as its default mount option, which Linux does not combine with DAX`,
      fix: 'tune2fs -o ^journal_data',
    });
  }
  const label = latin(bytes.subarray(EXT_SB + 0x78, EXT_SB + 0x88));
  return { kind, blockSize, size: blocks * BigInt(blockSize), label, obstacles };
}

function sniffXfs(dv: DataView, bytes: Uint8Array): FilesystemInfo | null {
  if (bytes.byteLength < 512 || dv.getUint32(0, false) !== XFS_MAGIC) return null;
  const blockSize = dv.getUint32(4, false);
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) return null;
  const blocks = dv.getBigUint64(8, false);
  const version = dv.getUint16(100, false) & 0xf;
  const roCompat = version >= 5 ? dv.getUint32(212, false) : 0;
  const obstacles: DaxObstacle[] = [];
  if (blockSize !== DAX_PAGE_SIZE) {
    obstacles.push({
      code: 'block-size',
      message: `xfs with ${blockSize}-byte blocks: DAX needs blocks of the page size (${DAX_PAGE_SIZE})`,
      fix: `mkfs.xfs -b size=${DAX_PAGE_SIZE}`,
    });
  }
  if ((roCompat & XFS_RO_COMPAT_REFLINK) !== 0) {
    obstacles.push({
      code: 'reflink',
      message: 'xfs with reflink, which Linux before 6.0 refuses to mount with DAX',
      fix: 'mkfs.xfs -m reflink=0',
    });
  }
  const label = latin(bytes.subarray(108, 120));
  return { kind: 'xfs', blockSize, size: blocks * BigInt(blockSize), label, obstacles };
}

/**
 * The filesystem whose superblock starts `bytes` (at least the first
 * {@link SNIFF_BYTES} of the image), or null when it is none we know.
 */
export function sniffFilesystem(bytes: Uint8Array): FilesystemInfo | null {
  expectBytes(bytes, 'bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return sniffXfs(dv, bytes) ?? sniffExt(dv, bytes);
}

/** The filesystem type to name in `mount -t`: the ext4 driver mounts ext2 and ext3 too, with DAX. */
export function mountType(kind: FilesystemKind): 'ext4' | 'xfs' {
  expectString(kind, 'kind');
  return kind === 'xfs' ? 'xfs' : 'ext4';
}
