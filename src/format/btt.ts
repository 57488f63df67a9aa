/**
 * The BTT arena info-block, decoded for read parity with ndctl
 * (`read-infoblock` reports it). Same checksum algorithm as nd_pfn.
 */
import { BLOCK_SIZE, blockChecksum } from './fletcher64';
import { SB_CHECKSUM_FIELD, SB_HEADER_FIELDS } from './sb-common';
import { makeStructCodec, type Decoded } from './struct';
import { expectBytes, expectOptions } from './guard';

/** The BTT arena info-block header fields ndctl reports: name, offset, kind, JSON key. */
export const BTT_FIELDS = [
  ...SB_HEADER_FIELDS,
  { name: 'externalLbasize', unit: 'bytes', json: 'int32', key: 'external_lbasize', offset: 56, kind: 'u32', since: 0 },
  { name: 'externalNlba', json: 'int32', key: 'external_nlba', offset: 60, kind: 'u32', since: 0 },
  { name: 'internalLbasize', unit: 'bytes', json: 'int32', key: 'internal_lbasize', offset: 64, kind: 'u32', since: 0 },
  { name: 'internalNlba', json: 'int32', key: 'internal_nlba', offset: 68, kind: 'u32', since: 0 },
  { name: 'nfree', json: 'int32', key: 'nfree', offset: 72, kind: 'u32', since: 0 },
  { name: 'infosize', unit: 'bytes', json: 'int32', key: 'infosize', offset: 76, kind: 'u32', since: 0 },
  { name: 'nextoff', key: 'nextoff', offset: 80, kind: 'u64', since: 0 },
  { name: 'dataoff', key: 'dataoff', offset: 88, kind: 'u64', since: 0 },
  { name: 'mapoff', key: 'mapoff', offset: 96, kind: 'u64', since: 0 },
  { name: 'logoff', key: 'logoff', offset: 104, kind: 'u64', since: 0 },
  { name: 'info2off', key: 'info2off', offset: 112, kind: 'u64', since: 0 },
  { name: 'padding', offset: 120, kind: 'pad', size: 3968, since: 0 },
  SB_CHECKSUM_FIELD,
] as const;

/**
 * A decoded BTT header: one property per field of {@link BTT_FIELDS}; u64 fields and the byte sizes (the lba
 * sizes and infosize) as bigints, the counts (nlba, nfree) as numbers.
 */
export type BttFields = Decoded<typeof BTT_FIELDS>;

/** Decoder/encoder generated from {@link BTT_FIELDS} (little-endian, 4096 bytes). */
export const bttCodec = makeStructCodec(BTT_FIELDS, BLOCK_SIZE, 'a BTT info-block');

/** A BTT info-block as read: its fields and whether its stored checksum holds. */
export interface DecodedBttBlock {
  fields: BttFields;
  computedChecksum: bigint;
  checksumValid: boolean;
}

/** Decode a 4 KiB BTT info-block; never mutates `block`. */
export function decodeBttBlock(block: Uint8Array): DecodedBttBlock {
  expectBytes(block, 'block');
  const fields = bttCodec.decode(block);
  const computedChecksum = blockChecksum(block);
  return { fields, computedChecksum, checksumValid: computedChecksum === fields.checksum };
}

/** Encode BTT fields into a fresh 4 KiB block carrying a fresh checksum. */
export function encodeBttBlock(fields: BttFields): Uint8Array {
  expectOptions(fields, 'fields');
  const out = bttCodec.encode(fields);
  bttCodec.writeFields(out, { checksum: blockChecksum(out) });
  return out;
}
