import { expectBytes } from './guard';
/**
 * The MBR partition table (the classic PC disk label): a 512-byte sector
 * with four 16-byte entries at 446 and the signature 0x55 0xAA at 510. Each
 * entry: status (0x80 bootable, 0x00 not), CHS start, type, CHS end, first
 * LBA (u32 LE at +8), sector count (u32 LE at +12). Pure: the one decoder
 * of the table, which the Kata layout (format/kata.ts) and the scanner's
 * partition-table detector (scan/detect.ts) both read through.
 */

export const SECTOR = 512n;
/** Where the four entries start, and each one's size. */
export const MBR_TABLE_OFFSET = 446;
export const MBR_ENTRY_SIZE = 16;

/** One of the four entries as written, an unused one (type 0) included. */
export interface MbrEntry {
  /** 1..4 */
  index: number;
  /** 0x80 bootable, 0x00 not; anything else is not a partition table's. */
  status: number;
  type: number;
  /** First sector (LBA) and sector count. */
  startLba: bigint;
  sectors: bigint;
}

/** One used entry of an MBR partition table. */
export interface MbrPartition {
  /** 1..4 */
  index: number;
  type: number;
  bootable: boolean;
  /** First sector (LBA) and sector count. */
  startLba: bigint;
  sectors: bigint;
}

const le32 = (b: Uint8Array, o: number): number =>
  ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0;

/**
 * The four entries of the MBR at byte `at` of `buf`, or null when the 512
 * bytes there do not end in the 0x55 0xAA signature (or `buf` ends first).
 */
export function decodeMbrEntries(buf: Uint8Array, at = 0): MbrEntry[] | null {
  if (at < 0 || buf.byteLength < at + 512 || buf[at + 510] !== 0x55 || buf[at + 511] !== 0xaa) return null;
  const out: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const e = at + MBR_TABLE_OFFSET + MBR_ENTRY_SIZE * i;
    out.push({
      index: i + 1,
      status: buf[e] as number,
      type: buf[e + 4] as number,
      startLba: BigInt(le32(buf, e + 8)),
      sectors: BigInt(le32(buf, e + 12)),
    });
  }
  return out;
}

/** The used partitions (a type and sectors) of a 512-byte MBR, or null without the 0x55 0xAA signature. */
export function decodeMbr(sector: Uint8Array): MbrPartition[] | null {
  expectBytes(sector, 'sector');
  const entries = decodeMbrEntries(sector);
  if (entries === null) return null;
  return entries
    .filter((e) => e.type !== 0 && e.sectors !== 0n)
    .map((e) => ({
      index: e.index,
      type: e.type,
      bootable: e.status === 0x80,
      startLba: e.startLba,
      sectors: e.sectors,
    }));
}
