// Hand-built info-blocks for the differential suites. Deliberately written
// without importing src/: the oracle side of a differential test must not
// share code with the implementation under test.

export const PFN_SIG = 'NVDIMM_PFN_INFO\0';
export const DAX_SIG = 'NVDIMM_DAX_INFO\0';
export const BTT_SIG = 'BTT_ARENA_INFO\0\0';

/** The kernel's checksum (docs/format.md): lo/hi sums mod 2^32 over 1024 LE words, checksum word zero. */
export function blockChecksum(block: Uint8Array): bigint {
  const dv = new DataView(block.buffer, block.byteOffset, 4096);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 1024; i++) {
    const w = i >= 1022 ? 0 : dv.getUint32(i * 4, true);
    lo = (lo + w) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function sealChecksum(block: Uint8Array, corrupt = false): Uint8Array {
  const dv = new DataView(block.buffer, block.byteOffset, 4096);
  let c = blockChecksum(block);
  if (corrupt) c ^= 1n;
  dv.setBigUint64(4088, c, true);
  return block;
}

export function uuidBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad uuid ${s}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export interface PfnSpec {
  signature?: string; // 16 chars, latin1
  uuid?: Uint8Array;
  parentUuid?: Uint8Array;
  flags?: number;
  versionMajor?: number;
  versionMinor?: number;
  dataoff?: bigint;
  npfns?: bigint;
  mode?: number;
  startPad?: number;
  endTrunc?: number;
  align?: number;
  pageSize?: number;
  pageStructSize?: number;
  /** leave the checksum field as computed (default), corrupt it, or zero it. */
  checksum?: 'good' | 'bad' | 'zero';
}

export function pfnBlock(s: PfnSpec = {}): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  b.set(Buffer.from(s.signature ?? PFN_SIG, 'latin1').subarray(0, 16), 0);
  b.set(s.uuid ?? new Uint8Array(16).fill(0x11), 16);
  b.set(s.parentUuid ?? new Uint8Array(16), 32);
  dv.setUint32(48, s.flags ?? 0, true);
  dv.setUint16(52, s.versionMajor ?? 1, true);
  dv.setUint16(54, s.versionMinor ?? 4, true);
  dv.setBigUint64(56, s.dataoff ?? 0x200000n, true);
  dv.setBigUint64(64, s.npfns ?? 15872n, true);
  dv.setUint32(72, s.mode ?? 2, true);
  dv.setUint32(76, s.startPad ?? 0, true);
  dv.setUint32(80, s.endTrunc ?? 0, true);
  dv.setUint32(84, s.align ?? 0x200000, true);
  dv.setUint32(88, s.pageSize ?? 4096, true);
  dv.setUint16(92, s.pageStructSize ?? 64, true);
  if ((s.checksum ?? 'good') !== 'zero') sealChecksum(b, s.checksum === 'bad');
  return b;
}

export interface BttSpec {
  uuid?: Uint8Array;
  parentUuid?: Uint8Array;
  flags?: number;
  versionMajor?: number;
  versionMinor?: number;
  /** external_lbasize, external_nlba, internal_lbasize, internal_nlba, nfree, infosize */
  u32s?: [number, number, number, number, number, number];
  /** nextoff, dataoff, mapoff, logoff, info2off */
  u64s?: [bigint, bigint, bigint, bigint, bigint];
  checksum?: 'good' | 'bad';
}

export function bttBlock(s: BttSpec = {}): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  b.set(Buffer.from(BTT_SIG, 'latin1'), 0);
  b.set(s.uuid ?? new Uint8Array(16).fill(0x22), 16);
  b.set(s.parentUuid ?? new Uint8Array(16), 32);
  dv.setUint32(48, s.flags ?? 0, true);
  dv.setUint16(52, s.versionMajor ?? 2, true);
  dv.setUint16(54, s.versionMinor ?? 0, true);
  const u32s = s.u32s ?? [4096, 1000, 4096, 1256, 256, 4096];
  u32s.forEach((v, i) => dv.setUint32(56 + 4 * i, v, true));
  const u64s = s.u64s ?? [0n, 4096n, 0x1000000n, 0x1100000n, 0x1200000n];
  u64s.forEach((v, i) => dv.setBigUint64(80 + 8 * i, v, true));
  sealChecksum(b, s.checksum === 'bad');
  return b;
}

/** An 8 KiB head: `first` at 0 (zeros by default), `second` at 4096. */
export function head(second?: Uint8Array, first?: Uint8Array): Buffer {
  const h = Buffer.alloc(8192);
  if (first) h.set(first, 0);
  if (second) h.set(second, 4096);
  return h;
}
