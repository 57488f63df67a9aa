/**
 * What every 4 KiB info-block shares (the kernel's "generic superblock"):
 * the 56-byte header (signature, uuids, flags, version) and the checksum in
 * the last 8 bytes. The PFN and BTT tables are built from these.
 */
export const SB_HEADER_FIELDS = [
  { name: 'signature', key: 'signature', offset: 0, kind: 'sig16', since: 0, doc: 'what the block is, NUL-padded' },
  { name: 'uuid', key: 'uuid', offset: 16, kind: 'uuid', since: 0, doc: 'this instance' },
  {
    name: 'parentUuid',
    key: 'parent_uuid',
    offset: 32,
    kind: 'uuid',
    since: 0,
    doc: "the namespace's uuid; all-zero when there are no labels",
  },
  {
    name: 'flags',
    key: 'flags',
    offset: 48,
    kind: 'u32',
    since: 0,
    doc: 'zero in every block a kernel writes (required from minor 3)',
  },
  // ndctl prints these two as one "version": "major.minor" key.
  {
    name: 'versionMajor',
    offset: 52,
    kind: 'u16',
    since: 0,
    doc: 'never read by a released kernel (2 marks our map meaning)',
  },
  { name: 'versionMinor', offset: 54, kind: 'u16', since: 0, doc: 'gates the fields added after 1.0' },
] as const;

/** The checksum field: the last 8 bytes of every 4 KiB info-block. */
export const SB_CHECKSUM_FIELD = {
  name: 'checksum',
  offset: 4088,
  kind: 'u64',
  since: 0,
  doc: 'the sum of the 4096 bytes with this field taken as zero',
} as const;

/** Byte offset of the checksum in a 4 KiB info-block: the offset of the checksum field of the tables. */
export const CHECKSUM_OFFSET: number = SB_CHECKSUM_FIELD.offset;
