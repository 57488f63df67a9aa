/**
 * Kata-style dual images: one file that boots as an NVDIMM with DAX and as
 * a plain disk. Kata Containers' image builder lays its guest images out
 * this way (facts from its image_builder.sh; the layout is written here in
 * our own code):
 *
 * ```
 * 0        512 B      4 KiB   8 KiB         2 MiB     2 MiB+512 B   3 MiB
 * | MBR #1 |          | info-block |        | MBR #2  |            | filesystem … end of file
 * ```
 *
 * - The info-block (fsdax, memmap in RAM) puts the data start at 2 MiB: the
 *   guest's /dev/pmem0 begins with MBR #2, whose one partition starts 1 MiB
 *   in (/dev/pmem0p1, file offset 3 MiB).
 * - MBR #1 at the start of the file describes the same partition from the
 *   file's point of view (it starts at 3 MiB): a hypervisor that attaches
 *   the file as a disk shows it as /dev/vda1.
 * - The file is a multiple of 128 MiB (the memory-hotplug section size the
 *   builder rounds to).
 *
 * Kata's own tool writes an old-version block (version 0.2, memmap in RAM,
 * zero uuids, npfns 0), which Linux accepts for fsdax; pack writes a
 * current (1.4) block with the same data start. Pure: the MBR writer (the
 * table's one decoder is format/mbr.ts) and the layout check over bytes the
 * caller reads.
 */
import { InvalidArgumentError } from './errors';
import { decodeMbr, SECTOR } from './mbr';
import { expectBigint, expectBytes, expectNumber } from './guard';

export { decodeMbr, SECTOR, type MbrPartition } from './mbr';

/** The data start Kata's block gives: MBR #1 and the info-block live in the first 2 MiB. */
export const KATA_HEADER_SIZE = 2n << 20n;
/** Where the partition starts inside the data area (MBR #2's view). */
export const KATA_PARTITION_START = 1n << 20n;
/** Kata rounds its images up to this. */
export const KATA_ROUND = 128n << 20n;
/** The MBR partition type Kata's builder uses (Linux). */
export const LINUX_PARTITION_TYPE = 0x83;

/**
 * A 512-byte MBR with one Linux partition [start, start + size) (bytes, sector multiples), disk id `diskId`.
 * CHS fields hold the "use LBA" marker: Linux and every current loader read the LBA fields.
 */
export function encodeMbr(start: bigint, size: bigint, diskId = 0): Uint8Array {
  expectBigint(start, 'start');
  expectBigint(size, 'size');
  if (diskId !== undefined) expectNumber(diskId, 'diskId');
  if (start % SECTOR !== 0n || size % SECTOR !== 0n || start <= 0n || size <= 0n)
    throw new InvalidArgumentError(`partition ${start}+${size} is not a positive whole number of 512-byte sectors`);
  const lba = start / SECTOR;
  const count = size / SECTOR;
  if (lba + count > 0xffffffffn)
    throw new InvalidArgumentError(`partition end ${start + size} is beyond what an MBR addresses (2 TiB)`);
  const out = new Uint8Array(512);
  const dv = new DataView(out.buffer);
  dv.setUint32(440, diskId >>> 0, true);
  const at = 446;
  out.set([0x00, 0xfe, 0xff, 0xff, LINUX_PARTITION_TYPE, 0xfe, 0xff, 0xff], at);
  dv.setUint32(at + 8, Number(lba), true);
  dv.setUint32(at + 12, Number(count), true);
  out[510] = 0x55;
  out[511] = 0xaa;
  return out;
}

/** What a Kata-style image holds, as read from its two MBRs. */
export interface KataLayout {
  /** The partition as a disk sees it (MBR #1): byte offset and size in the file. */
  disk: { start: bigint; size: bigint };
  /** The partition as the NVDIMM shows it (MBR #2, inside the data area): offset from the data start, and size. */
  nvdimm: { start: bigint; size: bigint };
  /** File offset of the partition through the NVDIMM (data start + its start). */
  fileOffset: bigint;
  /** True when both views name the same bytes: the image works both ways. */
  consistent: boolean;
  /** What is off, one clause each (the partitions disagree, the file is not a 128 MiB multiple, …). */
  problems: string[];
}

/**
 * The Kata-style layout of an image whose info-block gives data start
 * `dataStart` (file offset), from its first sector `sector0` and the first
 * sector of its data area `dataSector`; null unless both hold an MBR with a
 * partition.
 */
export function kataLayoutOf(
  sector0: Uint8Array,
  dataSector: Uint8Array,
  dataStart: bigint,
  fileSize: bigint,
): KataLayout | null {
  expectBytes(sector0, 'sector0');
  expectBytes(dataSector, 'dataSector');
  expectBigint(dataStart, 'dataStart');
  expectBigint(fileSize, 'fileSize');
  const p1 = decodeMbr(sector0)?.[0];
  const p2 = decodeMbr(dataSector)?.[0];
  if (p1 === undefined || p2 === undefined) return null;
  const disk = { start: p1.startLba * SECTOR, size: p1.sectors * SECTOR };
  const nvdimm = { start: p2.startLba * SECTOR, size: p2.sectors * SECTOR };
  const fileOffset = dataStart + nvdimm.start;
  const problems: string[] = [];
  if (disk.start !== fileOffset)
    problems.push(`the disk's partition starts at ${disk.start}, the NVDIMM's at file offset ${fileOffset}`);
  if (disk.size !== nvdimm.size) problems.push(`the partitions differ in size (${disk.size} and ${nvdimm.size})`);
  if (disk.start + disk.size > fileSize) problems.push(`the disk's partition ends past the file (${fileSize} bytes)`);
  if (fileOffset + nvdimm.size > fileSize) problems.push(`the NVDIMM's partition ends past the file`);
  if (dataStart !== KATA_HEADER_SIZE) problems.push(`the data start is ${dataStart}, not Kata's 2 MiB`);
  if (fileSize % KATA_ROUND !== 0n) problems.push(`the file is not a multiple of 128 MiB`);
  const consistent = disk.start === fileOffset && disk.size === nvdimm.size && disk.start + disk.size <= fileSize;
  return { disk, nvdimm, fileOffset, consistent, problems };
}
