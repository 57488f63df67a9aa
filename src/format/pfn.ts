/**
 * The nd_pfn info-block (fsdax `NVDIMM_PFN_INFO`, devdax `NVDIMM_DAX_INFO`):
 * its field table, decoder, encoder and the kernel's minor-version gating.
 */
import { InvalidArgumentError } from './errors';
import { copyBytes } from './bytes';
import { BLOCK_SIZE, blockChecksum, verifyChecksum } from './fletcher64';
import { SB_CHECKSUM_FIELD, SB_HEADER_FIELDS } from './sb-common';
import { makeStructCodec, type Decoded } from './struct';

/**
 * The nd_pfn info-block field table (name, offset, kind, JSON key, first minor version that reads it):
 * the single description the decoder, encoder, range checks, ndctl JSON and gating are built from.
 */
export const PFN_FIELDS = [
  ...SB_HEADER_FIELDS,
  { name: 'dataoff', key: 'dataoff', offset: 56, kind: 'u64', since: 0 },
  { name: 'npfns', key: 'npfns', offset: 64, kind: 'u64', since: 0 },
  { name: 'mode', key: 'mode', offset: 72, kind: 'u32', since: 0, json: 'int32' },
  { name: 'startPad', key: 'start_pad', offset: 76, kind: 'u32', since: 1 },
  { name: 'endTrunc', key: 'end_trunc', offset: 80, kind: 'u32', since: 1 },
  { name: 'align', key: 'align', offset: 84, kind: 'u32', since: 2 },
  { name: 'pageSize', key: 'page_size', offset: 88, kind: 'u32', since: 4 },
  { name: 'pageStructSize', key: 'page_struct_size', offset: 92, kind: 'u16', since: 4 },
  { name: 'padding', offset: 94, kind: 'pad', size: 3994, since: 0 },
  SB_CHECKSUM_FIELD,
] as const;

/** Raw field values of an nd_pfn info-block, exactly as stored. */
export type PfnFields = Decoded<typeof PFN_FIELDS>;

/** Decoder/encoder generated from {@link PFN_FIELDS} (little-endian, 4096 bytes). */
export const pfnCodec = makeStructCodec(PFN_FIELDS, BLOCK_SIZE, 'an nd_pfn info-block');

function sig(text: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The 16-byte signature of an fsdax block, `NVDIMM_PFN_INFO`. */
export const PFN_SIGNATURE = sig('NVDIMM_PFN_INFO');
/** The 16-byte signature of a devdax block, `NVDIMM_DAX_INFO`. */
export const DAX_SIGNATURE = sig('NVDIMM_DAX_INFO');
/** The 16-byte signature of a BTT arena block, `BTT_ARENA_INFO`. */
export const BTT_SIGNATURE = sig('BTT_ARENA_INFO');

/** Values of the `mode` field: where the memmap lives (none, RAM or the device, "pmem"). */
export const PFN_MODE = { none: 0, ram: 1, pmem: 2 } as const;

/** What a signature says the block is. */
export type SignatureKind = 'pfn' | 'dax' | 'btt' | 'unknown';

/** Byte-wise equality of two arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The kind of block the first 16 bytes of `signature` name. */
export function signatureKind(signature: Uint8Array): SignatureKind {
  const s = signature.subarray(0, 16);
  if (sameBytes(s, PFN_SIGNATURE)) return 'pfn';
  if (sameBytes(s, DAX_SIGNATURE)) return 'dax';
  if (sameBytes(s, BTT_SIGNATURE)) return 'btt';
  return 'unknown';
}

/** The signature as C text: bytes up to the first NUL (latin1). */
export function signatureText(signature: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const c = signature[i] ?? 0;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Field values as a reader gated on version_minor sees them. */
export interface EffectiveFields {
  startPad: number;
  endTrunc: number;
  align: number;
  pageSize: number;
  pageStructSize: number;
}

/**
 * The kernel gates on version_minor only and never looks at the major:
 * minor < 1 → start_pad = end_trunc = 0; minor < 2 → align = 0;
 * minor < 4 → page_struct_size = 64 and page_size = the reader's page size.
 */
export function effectiveFields(f: PfnFields, readerPageSize = 4096): EffectiveFields {
  const minor = f.versionMinor;
  return {
    startPad: minor < 1 ? 0 : f.startPad,
    endTrunc: minor < 1 ? 0 : f.endTrunc,
    align: minor < 2 ? 0 : f.align,
    pageSize: minor < 4 ? readerPageSize : f.pageSize,
    pageStructSize: minor < 4 ? 64 : f.pageStructSize,
  };
}

/**
 * A pfn/dax info-block as read: raw fields, the values a kernel sees after minor-version gating, and
 * the checksum status.
 */
export interface DecodedPfnBlock {
  kind: SignatureKind;
  fields: PfnFields;
  effective: EffectiveFields;
  /** The checksum the block should carry. */
  computedChecksum: bigint;
  checksumValid: boolean;
}

/** Decode the first 4 KiB of `block` (the info-block itself, not the 8 KiB head). */
export function decodePfnBlock(block: Uint8Array, readerPageSize = 4096): DecodedPfnBlock {
  // A longer buffer is most likely a whole 8 KiB head, whose first 4 KiB are not the block.
  if (block instanceof Uint8Array && block.byteLength > BLOCK_SIZE) {
    throw new InvalidArgumentError(
      `an info-block is ${BLOCK_SIZE} bytes, got ${block.byteLength} (for an 8 KiB namespace head, decode ` +
        `blockOfHead(head))`,
    );
  }
  const fields = pfnCodec.decode(block);
  const computedChecksum = blockChecksum(block);
  return {
    kind: signatureKind(fields.signature),
    fields,
    effective: effectiveFields(fields, readerPageSize),
    computedChecksum,
    checksumValid: computedChecksum === fields.checksum,
  };
}

/** Options of {@link encodePfnBlock}. */
export interface EncodeOptions {
  /** 'fresh' (default) computes the checksum; 'keep' stores fields.checksum as given. */
  checksum?: 'fresh' | 'keep';
}

/** Encode all fields into a new 4 KiB block (padding zero). */
export function encodePfnBlock(fields: PfnFields, opts: EncodeOptions = {}): Uint8Array {
  const out = pfnCodec.encode(fields);
  if ((opts.checksum ?? 'fresh') === 'fresh') pfnCodec.writeFields(out, { checksum: blockChecksum(out) });
  return out;
}

/**
 * A copy of `block` with some fields replaced and a fresh checksum. Every
 * other byte (padding included) is preserved: this is what migration uses.
 */
export function patchPfnBlock(block: Uint8Array, changes: Partial<PfnFields>): Uint8Array {
  const out = copyBytes(block.subarray(0, BLOCK_SIZE));
  pfnCodec.writeFields(out, changes);
  if (changes.checksum === undefined) pfnCodec.writeFields(out, { checksum: blockChecksum(out) });
  return out;
}

export { verifyChecksum };
