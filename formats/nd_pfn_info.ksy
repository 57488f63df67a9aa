# generated from src/format (PFN_FIELDS, BTT_FIELDS) by npm run gen:format-docs
meta:
  id: nd_pfn_info
  title: "Linux NVDIMM pfn/dax info-block (fsdax NVDIMM_PFN_INFO, devdax NVDIMM_DAX_INFO)"
  license: "MIT"
  ks-version: 0.9
  endian: le
doc: "The 4096-byte info-block at namespace offset 4096 that makes a Linux NVDIMM namespace fsdax (NVDIMM_PFN_INFO) or devdax (NVDIMM_DAX_INFO). Readers gate fields on version_minor only; the *_as_read instances give what such a reader sees. The checksum is the kernel's nd_fletcher64 over the block with the checksum field taken as zero (not computed here). u64 fields (u8) are exact in most target languages; the JavaScript runtime returns a Number, exact only below 2^53. generated from src/format (PFN_FIELDS, BTT_FIELDS) by npm run gen:format-docs."
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
  - id: dataoff
    type: u8
    doc: "where the data starts (two meanings: from base + start_pad, or from the raw base)"
  - id: npfns
    type: u8
    doc: "pages of data"
  - id: mode
    type: u4
    enum: mode
    doc: "where the memmap lives: 0 none, 1 system RAM (map=mem), 2 the device (map=dev)"
  - id: start_pad
    type: u4
    doc: "bytes skipped at the start to reach alignment (read from version minor 1)"
  - id: end_trunc
    type: u4
    doc: "bytes dropped at the end (read from version minor 1)"
  - id: align
    type: u4
    doc: "mapping alignment (0: derived from dataoff) (read from version minor 2)"
  - id: page_size
    type: u4
    doc: "page size of the system that wrote the block (read from version minor 4)"
  - id: page_struct_size
    type: u2
    doc: "size of the kernel's struct page when written (read from version minor 4)"
  - id: padding
    size: 3994
    doc: "zero (required from minor 3)"
  - id: checksum
    type: u8
    doc: "the sum of the 4096 bytes with this field taken as zero"
instances:
  kind:
    value: "signature == [0x4e, 0x56, 0x44, 0x49, 0x4d, 0x4d, 0x5f, 0x50, 0x46, 0x4e, 0x5f, 0x49, 0x4e, 0x46, 0x4f, 0x00] ? signature_kind::pfn : signature == [0x4e, 0x56, 0x44, 0x49, 0x4d, 0x4d, 0x5f, 0x44, 0x41, 0x58, 0x5f, 0x49, 0x4e, 0x46, 0x4f, 0x00] ? signature_kind::dax : signature_kind::unknown"
    doc: "what the signature says the block is"
  start_pad_as_read:
    value: "version_minor >= 1 ? start_pad : 0"
    doc: "start_pad as a reader gated on version_minor sees it (before minor 1: 0)"
  end_trunc_as_read:
    value: "version_minor >= 1 ? end_trunc : 0"
    doc: "end_trunc as a reader gated on version_minor sees it (before minor 1: 0)"
  align_as_read:
    value: "version_minor >= 2 ? align : 0"
    doc: "align as a reader gated on version_minor sees it (before minor 2: 0)"
  page_size_as_read:
    value: "version_minor >= 4 ? page_size : 4096"
    doc: "page_size as a reader gated on version_minor sees it (before minor 4: the reader's page size, 4096 on x86-64)"
  page_struct_size_as_read:
    value: "version_minor >= 4 ? page_struct_size : 64"
    doc: "page_struct_size as a reader gated on version_minor sees it (before minor 4: 64)"
enums:
  signature_kind:
    0: unknown
    1: pfn
    2: dax
  mode:
    0: none
    1: ram
    2: pmem
