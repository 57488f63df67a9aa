/**
 * The info-block format: field tables, decode/encode, the fletcher64
 * checksum, the 8 KiB namespace head, ndctl's JSON, sizes, uuids and the
 * error classes. Pure functions over Uint8Array: no file access.
 *
 * Import it alone as `nd-infoblock/format`.
 * @packageDocumentation
 */
export {
  InfoblockError,
  TruncatedError,
  InvalidFieldError,
  InvalidArgumentError,
  IoError,
  UntrustedPathError,
  isInfoblockError,
} from './errors';
export type { InfoblockErrorCode, ErrorPlace, Hint } from './errors';
export { fletcher64, blockChecksum, storedChecksum, verifyChecksum, withFreshChecksum, BLOCK_SIZE } from './fletcher64';
export { CHECKSUM_OFFSET } from './sb-common';
export {
  PFN_FIELDS,
  PFN_SIGNATURE,
  DAX_SIGNATURE,
  BTT_SIGNATURE,
  PFN_MODE,
  pfnCodec,
  decodePfnBlock,
  encodePfnBlock,
  patchPfnBlock,
  effectiveFields,
  signatureKind,
  signatureText,
} from './pfn';
export type { PfnFields, DecodedPfnBlock, EffectiveFields, Meaning, SignatureKind, EncodeOptions } from './pfn';
export { BTT_FIELDS, bttCodec, decodeBttBlock, encodeBttBlock } from './btt';
export type { BttFields, DecodedBttBlock } from './btt';
export { KIND_SIZE, fieldSize } from './struct';
export type { FieldDef, FieldKind, FieldTable, FieldValue } from './struct';
export { findBlocks, headWithBlock, blockOfHead, HEAD_SIZE, INFOBLOCK_OFFSET } from './head';
export type { FoundBlock } from './head';
export { ndctlJson, readSummaryLine } from './ndctl-json';
export { describeBlock } from './describe';
export { recipeFields, checkAlign, DEFAULT_ALIGN } from './recipe';
export type { WriteParams, WriteMeaning, NsMode, MapLocation } from './recipe';
export { parseSize, humanSize } from './units';
export type { ParseSizeOptions } from './units';
export { formatUuid, parseUuid, isUuid, randomUuid, NIL_UUID } from './uuid';
export {
  toJson,
  toWire,
  fromWire,
  parseU64,
  snakeKey,
  camelKey,
  SCHEMAS,
  schemaId,
  jsonDocument,
  jsonText,
} from './json';
export type { SchemaName } from './json';
export { U64_MAX, expectU64, expectSpan } from './int64';
export {
  INDEX_FIELDS,
  LABEL_FIELDS,
  LABEL_SIZE,
  ABSTRACTION_GUID,
  PMEM_REGION_GUID,
  labelGeometry,
  interleaveSetCookie,
  qemuDimm,
  nextSeq,
  newerSeq,
} from './labels';
export type { LabelVersion, NamespaceSpec, LabelGeometry, DimmIdentity, Abstraction } from './labels';
export { decodeLabelArea, encodeLabelArea, restampCookies } from './labels-area';
export type { DecodedArea, DecodedIndex, DecodedLabel, EncodeAreaOptions } from './labels-area';
export { dimmLayout, parseNamespaceSpecs, MIN_LABEL_SIZE, MAX_LABEL_SIZE } from './labels-spec';
