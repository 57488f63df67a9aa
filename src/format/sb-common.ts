/**
 * What every 4 KiB info-block shares (the kernel's "generic superblock"):
 * the 56-byte header (signature, uuids, flags, version) and the checksum in
 * the last 8 bytes. The PFN and BTT tables are built from these.
 */
export const SB_HEADER_FIELDS = [
  { name: 'signature', key: 'signature', offset: 0, kind: 'sig16', since: 0 },
  { name: 'uuid', key: 'uuid', offset: 16, kind: 'uuid', since: 0 },
  { name: 'parentUuid', key: 'parent_uuid', offset: 32, kind: 'uuid', since: 0 },
  { name: 'flags', key: 'flags', offset: 48, kind: 'u32', since: 0 },
  // ndctl prints these two as one "version": "major.minor" key.
  { name: 'versionMajor', offset: 52, kind: 'u16', since: 0 },
  { name: 'versionMinor', offset: 54, kind: 'u16', since: 0 },
] as const;

export const SB_CHECKSUM_FIELD = { name: 'checksum', offset: 4088, kind: 'u64', since: 0 } as const;
