# generated from src/format (PFN_FIELDS, BTT_FIELDS) by npm run gen:format-docs
meta:
  id: btt_info
  title: "Linux NVDIMM BTT arena info-block (BTT_ARENA_INFO)"
  license: "MIT"
  ks-version: 0.9
  endian: le
doc: "The 4096-byte info-block of a BTT arena (BTT_ARENA_INFO), at namespace offset 4096 (and a copy at 0). Same checksum as the pfn block (not computed here). u64 fields (u8) are exact in most target languages; the JavaScript runtime returns a Number, exact only below 2^53. generated from src/format (PFN_FIELDS, BTT_FIELDS) by npm run gen:format-docs."
seq:
  - id: signature
    size: 16
    doc: "what the block is, NUL-padded"
  - id: uuid
    size: 16
    doc: "this instance (16 bytes in the order of the canonical string)"
  - id: parent_uuid
    size: 16
    doc: "the namespace's uuid; all-zero when there are no labels (16 bytes in the order of the canonical string)"
  - id: flags
    type: u4
    doc: "zero in every block a kernel writes (required from minor 3)"
  - id: version_major
    type: u2
    doc: "never read by a released kernel (2 marks our map meaning)"
  - id: version_minor
    type: u2
    doc: "gates the fields added after 1.0"
  - id: external_lbasize
    type: u4
    doc: ""
  - id: external_nlba
    type: u4
    doc: ""
  - id: internal_lbasize
    type: u4
    doc: ""
  - id: internal_nlba
    type: u4
    doc: ""
  - id: nfree
    type: u4
    doc: ""
  - id: infosize
    type: u4
    doc: ""
  - id: nextoff
    type: u8
    doc: ""
  - id: dataoff
    type: u8
    doc: ""
  - id: mapoff
    type: u8
    doc: ""
  - id: logoff
    type: u8
    doc: ""
  - id: info2off
    type: u8
    doc: ""
  - id: padding
    size: 3968
    doc: ""
  - id: checksum
    type: u8
    doc: "the sum of the 4096 bytes with this field taken as zero"
instances:
  is_btt:
    value: "signature == [0x42, 0x54, 0x54, 0x5f, 0x41, 0x52, 0x45, 0x4e, 0x41, 0x5f, 0x49, 0x4e, 0x46, 0x4f, 0x00, 0x00]"
    doc: "the signature is BTT_ARENA_INFO"
