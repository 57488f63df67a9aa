/**
 * The namespace label storage area (LSA) of an NVDIMM: its two index blocks
 * and its label slots, in the v1.1 (128-byte label) and v1.2 (256-byte
 * label) formats. Field tables, the geometry the kernel derives from the
 * area's size, which index is current, and an encoder for a fresh area.
 * Pure: bytes in, bytes out.
 */
import { InvalidArgumentError } from './errors';
import { fletcher64 } from './fletcher64';
import { makeStructCodec, type Decoded } from './struct';
import { NIL_UUID } from './uuid';
import { expectBigint, expectFields, expectNumber, expectString } from './guard';

/** Index block header, then the free bitmap (one bit per slot, set = free) up to the block's 256-byte size. */
export const INDEX_FIELDS = [
  { name: 'signature', key: 'signature', offset: 0, kind: 'sig16', since: 0 },
  { name: 'flags', key: 'flags', offset: 16, kind: 'bytes', size: 3, since: 0 },
  { name: 'labelsize', key: 'labelsize', offset: 19, kind: 'u8', since: 0 },
  { name: 'seq', key: 'seq', offset: 20, kind: 'u32', since: 0 },
  { name: 'myoff', key: 'myoff', offset: 24, kind: 'u64', since: 0 },
  { name: 'mysize', key: 'mysize', offset: 32, kind: 'u64', since: 0 },
  { name: 'otheroff', key: 'otheroff', offset: 40, kind: 'u64', since: 0 },
  { name: 'labeloff', key: 'labeloff', offset: 48, kind: 'u64', since: 0 },
  { name: 'nslot', key: 'nslot', offset: 56, kind: 'u32', since: 0 },
  { name: 'major', key: 'major', offset: 60, kind: 'u16', since: 0 },
  { name: 'minor', key: 'minor', offset: 62, kind: 'u16', since: 0 },
  { name: 'checksum', key: 'checksum', offset: 64, kind: 'u64', since: 0 },
] as const;
/** Bytes of the index header; the free bitmap starts here. */
export const INDEX_HEADER_SIZE = 72;
export type IndexFields = Decoded<typeof INDEX_FIELDS>;
export const indexCodec = makeStructCodec(INDEX_FIELDS, INDEX_HEADER_SIZE, 'a namespace index header');

/** A namespace label. Fields from `align` on exist only in v1.2 (256-byte) labels. */
export const LABEL_FIELDS = [
  { name: 'uuid', key: 'uuid', offset: 0, kind: 'uuid', since: 1 },
  { name: 'name', key: 'name', offset: 16, kind: 'bytes', size: 64, since: 1 },
  { name: 'flags', key: 'flags', offset: 80, kind: 'u32', since: 1 },
  { name: 'nlabel', key: 'nlabel', offset: 84, kind: 'u16', since: 1 },
  { name: 'position', key: 'position', offset: 86, kind: 'u16', since: 1 },
  { name: 'isetcookie', key: 'isetcookie', offset: 88, kind: 'u64', since: 1 },
  { name: 'lbasize', key: 'lbasize', offset: 96, kind: 'u64', since: 1 },
  { name: 'dpa', key: 'dpa', offset: 104, kind: 'u64', since: 1 },
  { name: 'rawsize', key: 'rawsize', offset: 112, kind: 'u64', since: 1 },
  { name: 'slot', key: 'slot', offset: 120, kind: 'u32', since: 1 },
  { name: 'align', key: 'align', offset: 124, kind: 'u8', since: 2 },
  { name: 'reserved', offset: 125, kind: 'pad', size: 3, since: 2 },
  // GUIDs in EFI byte order (first three groups little-endian), see guidBytesText.
  { name: 'typeGuid', key: 'type_guid', offset: 128, kind: 'uuid', since: 2 },
  { name: 'abstractionGuid', key: 'abstraction_guid', offset: 144, kind: 'uuid', since: 2 },
  { name: 'reserved2', offset: 160, kind: 'pad', size: 88, since: 2 },
  { name: 'checksum', key: 'checksum', offset: 248, kind: 'u64', since: 2 },
] as const;
export type LabelFields = Decoded<typeof LABEL_FIELDS>;
export const labelCodec = makeStructCodec(LABEL_FIELDS, 256, 'a namespace label');

export type LabelVersion = '1.1' | '1.2';
export const LABEL_SIZE: Record<LabelVersion, bigint> = { '1.1': 128n, '1.2': 256n };
export const INDEX_SIGNATURE = Uint8Array.from(Buffer.from('NAMESPACE_INDEX\0', 'latin1'));
/** Index blocks are padded to multiples of this. */
export const INDEX_ALIGN = 256n;
/** The largest label area: QEMU's label-data commands carry 32-bit offsets (the kernel's area size is 32-bit too). */
export const MAX_LABEL_SIZE = 1n << 31n;
const LABEL_CHECKSUM_OFFSET = 248;
const INDEX_CHECKSUM_OFFSET = 64;

/** Label flags. */
export const LABEL_FLAG = { readOnly: 0x1, local: 0x2, btt: 0x4, updating: 0x8 } as const;
/** The ACPI NFIT range type of persistent memory: a v1.2 label's type_guid must equal its region's. */
export const PMEM_REGION_GUID = '66f0d379-b4f3-4074-ac43-0d3318b78cdb';
/** Abstraction GUIDs (v1.2): which personality may claim the namespace. */
export const ABSTRACTION_GUID = {
  none: NIL_UUID,
  btt: '8aed63a2-29a2-4c66-8b12-f05d15d3922a',
  btt2: '18633bfc-1735-4217-8ac9-17239282d3f8',
  pfn: '266400ba-fb9f-4677-bcb0-968f11d0d225',
  dax: '97a86d9c-3cdd-4eda-986f-5068b4f80088',
} as const;
export type Abstraction = keyof typeof ABSTRACTION_GUID;

/**
 * A GUID's text to the `uuid`-kind text of its stored bytes and back (the same swap both ways): EFI
 * GUIDs store their first three groups little-endian, a uuid field stores bytes in text order.
 */
export function guidBytesText(guid: string): string {
  const h = guid.replace(/-/g, '');
  const sw = (s: string): string => (s.match(/../g) ?? []).reverse().join('');
  const b = sw(h.slice(0, 8)) + sw(h.slice(8, 12)) + sw(h.slice(12, 16)) + h.slice(16);
  return `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`.toLowerCase();
}

/** Where things sit in a label area of `areaSize` bytes holding `labelSize`-byte labels (bytes are bigints). */
export interface LabelGeometry {
  areaSize: bigint;
  labelSize: bigint;
  /** Bytes of one index block (header + bitmap, a multiple of 256). */
  indexSize: bigint;
  /** How many label slots (a count). */
  nslot: number;
  /** Offset of slot 0 (after both index blocks). */
  labelOffset: bigint;
}

const ceilDiv = (x: bigint, a: bigint): bigint => (x + a - 1n) / a;
const indexBytesFor = (nslot: bigint): bigint =>
  ceilDiv(BigInt(INDEX_HEADER_SIZE) + ceilDiv(nslot, 8n), INDEX_ALIGN) * INDEX_ALIGN;

/**
 * The kernel's geometry: a first slot estimate sizes the index blocks, the slots are what remains after two
 * of them, and the area must hold both index blocks and at least two labels. Null when it cannot, and for an
 * area above {@link MAX_LABEL_SIZE} bytes.
 */
export function labelGeometry(areaSize: bigint, labelSize: bigint): LabelGeometry | null {
  expectBigint(areaSize, 'areaSize');
  expectBigint(labelSize, 'labelSize');
  if (areaSize <= 0n || areaSize > MAX_LABEL_SIZE || labelSize <= 0n) return null;
  const first = indexBytesFor(areaSize / labelSize);
  const nslot = (areaSize - 2n * first) / labelSize;
  if (nslot < 2n) return null;
  const indexSize = indexBytesFor(nslot);
  if (2n * indexSize > areaSize - nslot * labelSize) return null;
  return { areaSize, labelSize, indexSize, nslot: Number(nslot), labelOffset: 2n * indexSize };
}

/** Refuse a label area larger than {@link MAX_LABEL_SIZE} bytes (invalid-argument). Not part of the package's API. */
export function refuseAboveMaxArea(areaSize: bigint): void {
  if (areaSize > MAX_LABEL_SIZE)
    throw new InvalidArgumentError(`a ${areaSize}-byte label area is above ${MAX_LABEL_SIZE} bytes`);
}

/** Byte offset of label slot `slot` in the area. Not part of the package's API. */
export function slotOffset(x: AreaIndexes, slot: number): number {
  return x.labelOffset + slot * x.labelSize;
}

/** A geometry's byte quantities as numbers, to index the area's bytes with. */
export interface AreaIndexes {
  areaSize: number;
  labelSize: number;
  indexSize: number;
  nslot: number;
  labelOffset: number;
}

/**
 * The one place a geometry's bigints become numbers: {@link labelGeometry} makes none above
 * {@link MAX_LABEL_SIZE} (2^31) bytes, so each is exact. Not part of the package's API.
 */
export function areaIndexes(g: LabelGeometry): AreaIndexes {
  refuseAboveMaxArea(g.areaSize);
  return {
    areaSize: Number(g.areaSize),
    labelSize: Number(g.labelSize),
    indexSize: Number(g.indexSize),
    nslot: g.nslot,
    labelOffset: Number(g.labelOffset),
  };
}

/** The index sequence successor: 1 → 2 → 3 → 1 (0 never valid). */
export function nextSeq(seq: number): number {
  expectNumber(seq, 'seq');
  return [0, 2, 3, 1][seq & 3] ?? 0;
}

/** Which of two sequence numbers is newer (the kernel's rule, used when both indexes are valid). */
export function newerSeq(a: number, b: number): number {
  expectNumber(a, 'a');
  expectNumber(b, 'b');
  const x = a & 3;
  const y = b & 3;
  if (x === 0 || x === y) return y;
  if (y === 0) return x;
  return nextSeq(x) === y ? y : x;
}

/** Checksum of an index block of `size` bytes (checksum field taken as zero). */
export function indexChecksum(block: Uint8Array, size: number): bigint {
  return fletcher64(block.subarray(0, size), INDEX_CHECKSUM_OFFSET);
}

/** Checksum of a v1.2 label (checksum field taken as zero). */
export function labelChecksum(label: Uint8Array): bigint {
  return fletcher64(label.subarray(0, 256), LABEL_CHECKSUM_OFFSET);
}

/** The interleave-set cookie the platform gives one single-DIMM region, for the label version's formula. */
export interface DimmIdentity {
  /** NFIT control region serial number (QEMU: 0x123456 + slot). */
  serial: number;
  /** NFIT memory device region offset (QEMU: 0). */
  regionOffset: bigint;
  /** NFIT control region vendor id (QEMU: 0x8086). */
  vendorId: number;
  manufacturingDate: number;
  manufacturingLocation: number;
}

/** What QEMU's NFIT says about the NVDIMM in memory slot `slot`. */
export function qemuDimm(slot: number): DimmIdentity {
  expectNumber(slot, 'slot');
  return {
    serial: 0x123456 + slot,
    regionOffset: 0n,
    vendorId: 0x8086,
    manufacturingDate: 0,
    manufacturingLocation: 0,
  };
}

/**
 * v1.1 labels carry the cookie over (region offset u64, serial u32, pad u32); v1.2 labels the one over the
 * 48-byte record that adds vendor, manufacturing date and location. Both are Fletcher64 over the records.
 */
export function interleaveSetCookie(dimm: DimmIdentity, version: LabelVersion): bigint {
  expectFields(dimm, 'dimm', {
    serial: 'number',
    regionOffset: 'bigint',
    vendorId: 'number',
    manufacturingDate: 'number',
    manufacturingLocation: 'number',
  });
  expectString(version, 'version');
  const rec = new Uint8Array(version === '1.1' ? 16 : 48);
  const dv = new DataView(rec.buffer);
  dv.setBigUint64(0, dimm.regionOffset, true);
  dv.setUint32(8, dimm.serial >>> 0, true);
  if (version === '1.2') {
    dv.setUint16(12, dimm.vendorId, true);
    dv.setUint16(14, dimm.manufacturingDate, true);
    dv.setUint8(16, dimm.manufacturingLocation);
  }
  return fletcher64(rec);
}

/** One namespace to describe in a fresh label area. */
export interface NamespaceSpec {
  uuid: string;
  /** Bytes (the label's rawsize). */
  size: bigint;
  /** Device physical address of its first byte. */
  dpa: bigint;
  name?: string;
  /** v1.2 only: which personality may claim it (default none: any). */
  abstraction?: Abstraction;
}

export function nameBytes(name: string): Uint8Array {
  const out = new Uint8Array(64);
  const b = Buffer.from(name, 'utf8');
  if (b.byteLength > 63) throw new InvalidArgumentError(`namespace name '${name}' is longer than 63 bytes`);
  out.set(b);
  return out;
}

export function nameText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? bytes.byteLength : end)).toString('utf8');
}
