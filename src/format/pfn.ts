/**
 * The nd_pfn info-block (fsdax `NVDIMM_PFN_INFO`, devdax `NVDIMM_DAX_INFO`):
 * its field table, decoder, encoder and the kernel's minor-version gating.
 */
import { InvalidArgumentError } from './errors';
import { copyBytes } from './bytes';
import { BLOCK_SIZE, blockChecksum, verifyChecksum } from './fletcher64';
import { SB_CHECKSUM_FIELD, SB_HEADER_FIELDS } from './sb-common';
import { makeStructCodec, type Decoded, type FieldValue } from './struct';
import { expectBytes, expectNumber, expectOptions } from './guard';
import { expectU64 } from './int64';

/**
 * The nd_pfn info-block field table (name, offset, kind, JSON key, first minor version that reads it):
 * the single description the decoder, encoder, range checks, ndctl JSON and gating are built from.
 */
export const PFN_FIELDS = [
  ...SB_HEADER_FIELDS,
  {
    name: 'dataoff',
    key: 'dataoff',
    offset: 56,
    kind: 'u64',
    since: 0,
    doc: 'where the data starts (two meanings: from base + start_pad, or from the raw base)',
  },
  { name: 'npfns', key: 'npfns', offset: 64, kind: 'u64', since: 0, doc: 'pages of data' },
  {
    name: 'mode',
    key: 'mode',
    offset: 72,
    kind: 'u32',
    since: 0,
    json: 'int32',
    doc: 'where the memmap lives: 0 none, 1 system RAM (map=mem), 2 the device (map=dev)',
  },
  {
    name: 'startPad',
    key: 'start_pad',
    offset: 76,
    kind: 'u32',
    unit: 'bytes',
    since: 1,
    before: 0n,
    doc: 'bytes skipped at the start to reach alignment',
  },
  {
    name: 'endTrunc',
    key: 'end_trunc',
    offset: 80,
    kind: 'u32',
    unit: 'bytes',
    since: 1,
    before: 0n,
    doc: 'bytes dropped at the end',
  },
  {
    name: 'align',
    key: 'align',
    offset: 84,
    kind: 'u32',
    unit: 'bytes',
    since: 2,
    before: 0n,
    doc: 'mapping alignment (0: derived from dataoff)',
  },
  {
    name: 'pageSize',
    key: 'page_size',
    offset: 88,
    kind: 'u32',
    unit: 'bytes',
    since: 4,
    before: 'reader-page-size',
    doc: 'page size of the system that wrote the block',
  },
  // The size of the kernel's struct page is a byte count too: it multiplies npfns into the memmap's bytes.
  {
    name: 'pageStructSize',
    key: 'page_struct_size',
    offset: 92,
    kind: 'u16',
    unit: 'bytes',
    since: 4,
    before: 64n,
    doc: "size of the kernel's struct page when written",
  },
  { name: 'padding', offset: 94, kind: 'pad', size: 3994, since: 0, doc: 'zero (required from minor 3)' },
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

/**
 * How a reader measures dataoff: `legacy` from base + start_pad (every released kernel), `map` from the raw
 * base (this project's convention, version_major 2). The one name for it in every layer.
 */
export type Meaning = 'legacy' | 'map';

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
  expectBytes(signature, 'signature');
  const s = signature.subarray(0, 16);
  if (sameBytes(s, PFN_SIGNATURE)) return 'pfn';
  if (sameBytes(s, DAX_SIGNATURE)) return 'dax';
  if (sameBytes(s, BTT_SIGNATURE)) return 'btt';
  return 'unknown';
}

/** The signature as C text: bytes up to the first NUL (latin1). */
export function signatureText(signature: Uint8Array): string {
  expectBytes(signature, 'signature');
  let s = '';
  for (let i = 0; i < 16; i++) {
    const c = signature[i] ?? 0;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** The fields {@link PFN_FIELDS} gates on version_minor, with what an older reader sees instead. */
type GatedField = Extract<(typeof PFN_FIELDS)[number], { before: number | bigint | 'reader-page-size' }>;

/** Field values as a reader gated on version_minor sees them (all byte quantities: bigints). */
export type EffectiveFields = { [F in GatedField as F['name']]: FieldValue<F> };

/** The highest version_minor any reader knows (Linux 5.4 and later). */
export const LATEST_MINOR = Math.max(...PFN_FIELDS.map((f) => f.since));

const GATED = PFN_FIELDS.filter((f): f is GatedField => 'before' in f);

/**
 * The kernel gates on version_minor only and never looks at the major: a field reads as stored when
 * both the block's minor and the reader's (`readerMinor`, the newest it knows) reach the field's
 * `since`, and as its `before` value otherwise (see {@link PFN_FIELDS}): below minor 1 start_pad =
 * end_trunc = 0; below minor 2 align = 0; below minor 4 page_struct_size = 64 and page_size = the
 * reader's page size.
 */
export function effectiveFields(f: PfnFields, readerPageSize = 4096n, readerMinor = LATEST_MINOR): EffectiveFields {
  expectOptions(f, 'f');
  if (readerPageSize !== undefined) expectU64(readerPageSize, 'readerPageSize');
  if (readerMinor !== undefined) expectNumber(readerMinor, 'readerMinor');
  const minor = Math.min(f.versionMinor, readerMinor);
  const out: Record<string, bigint> = {};
  for (const g of GATED) {
    out[g.name] = minor >= g.since ? f[g.name] : g.before === 'reader-page-size' ? readerPageSize : g.before;
  }
  return out as EffectiveFields;
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
export function decodePfnBlock(block: Uint8Array, readerPageSize = 4096n): DecodedPfnBlock {
  expectBytes(block, 'block');
  if (readerPageSize !== undefined) expectU64(readerPageSize, 'readerPageSize');
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
  expectOptions(fields, 'fields');
  expectOptions(opts, 'opts', true);
  const out = pfnCodec.encode(fields);
  if ((opts.checksum ?? 'fresh') === 'fresh') pfnCodec.writeFields(out, { checksum: blockChecksum(out) });
  return out;
}

/**
 * A copy of `block` with some fields replaced and a fresh checksum. Every
 * other byte (padding included) is preserved: this is what migration uses.
 */
export function patchPfnBlock(block: Uint8Array, changes: Partial<PfnFields>): Uint8Array {
  expectBytes(block, 'block');
  expectOptions(changes, 'changes');
  const out = copyBytes(block.subarray(0, BLOCK_SIZE));
  pfnCodec.writeFields(out, changes);
  if (changes.checksum === undefined) pfnCodec.writeFields(out, { checksum: blockChecksum(out) });
  return out;
}

export { verifyChecksum };
