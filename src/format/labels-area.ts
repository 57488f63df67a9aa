/**
 * A whole label storage area: decoding it as the kernel reads it (which
 * label size validates, which index is current and why, which slots hold
 * active, valid labels) and encoding a fresh area with one label per
 * namespace. Pure.
 */
import { InvalidArgumentError } from './errors';
import {
  ABSTRACTION_GUID,
  INDEX_HEADER_SIZE,
  INDEX_SIGNATURE,
  LABEL_SIZE,
  PMEM_REGION_GUID,
  areaIndexes,
  refuseAboveMaxArea,
  slotOffset,
  guidBytesText,
  indexChecksum,
  indexCodec,
  labelChecksum,
  labelCodec,
  labelGeometry,
  nameBytes,
  nameText,
  newerSeq,
  type AreaIndexes,
  type IndexFields,
  type LabelFields,
  type LabelGeometry,
  type LabelVersion,
  type NamespaceSpec,
} from './labels';
import { sameBytes } from './pfn';
import { NIL_UUID } from './uuid';
import { expectArray, expectBytes, expectFields, expectFunction } from './guard';

/** One index block as read, with the reasons it does not validate (empty: valid). */
export interface DecodedIndex {
  /** Byte offset of the block in the area. */
  offset: bigint;
  fields: IndexFields;
  problems: string[];
  /** Slots the free bitmap marks in use. */
  usedSlots: number[];
}

export interface DecodedLabel {
  slot: number;
  /** Byte offset of the label in the area. */
  offset: bigint;
  fields: LabelFields;
  name: string;
  /** Reasons the kernel skips this label (empty: it counts). */
  problems: string[];
}

export interface DecodedArea {
  /** The label format the kernel settles on (the first label size whose indexes validate), null when none. */
  version: LabelVersion | null;
  geometry: LabelGeometry | null;
  /** Both index blocks as read in that geometry (or the 128-byte one when neither size validates). */
  indexes: DecodedIndex[];
  /** 0 or 1, or null when no index is valid. */
  current: 0 | 1 | null;
  /** Why that index is current, in words. */
  why: string;
  /** Labels in the slots the current index marks in use. */
  labels: DecodedLabel[];
}

function decodeIndex(area: Uint8Array, i: number, g: LabelGeometry, x: AreaIndexes): DecodedIndex {
  const offset = i * x.indexSize;
  const fields = indexCodec.decode(area.subarray(offset, offset + INDEX_HEADER_SIZE));
  const problems: string[] = [];
  const version = fields.major * 100 + fields.minor;
  const labelSize = version >= 102 ? 1 << (7 + fields.labelsize) : 128;
  if (!sameBytes(fields.signature, INDEX_SIGNATURE)) problems.push('no NAMESPACE_INDEX signature');
  if (BigInt(labelSize) !== g.labelSize)
    problems.push(`labelsize ${fields.labelsize} of ` + `v${fields.major}.${fields.minor} is not ${g.labelSize} bytes`);
  if (fields.checksum !== indexChecksum(area.subarray(offset), x.indexSize)) problems.push('checksum mismatch');
  if ((fields.seq & 3) === 0) problems.push(`seq ${fields.seq} has no valid sequence number`);
  if (fields.myoff !== BigInt(offset)) problems.push(`myoff ${fields.myoff} is not ${offset}`);
  if (fields.otheroff !== BigInt(1 - i) * g.indexSize)
    problems.push(`otheroff ${fields.otheroff} is not ` + `${BigInt(1 - i) * g.indexSize}`);
  if (fields.labeloff !== g.labelOffset) problems.push(`labeloff ${fields.labeloff} is not ${g.labelOffset}`);
  if (fields.mysize > g.indexSize || fields.mysize < BigInt(INDEX_HEADER_SIZE))
    problems.push(`mysize ` + `${fields.mysize} out of range`);
  if (BigInt(fields.nslot) * g.labelSize + 2n * g.indexSize > g.areaSize)
    problems.push(`nslot ${fields.nslot} does not fit`);
  const usedSlots: number[] = [];
  const n = Math.min(fields.nslot, g.nslot);
  for (let s = 0; s < n; s++) {
    const byte = area[offset + INDEX_HEADER_SIZE + (s >> 3)] ?? 0xff;
    if ((byte & (1 << (s & 7))) === 0) usedSlots.push(s);
  }
  return { offset: BigInt(offset), fields, problems, usedSlots };
}

function decodeLabel(area: Uint8Array, slot: number, x: AreaIndexes, version: LabelVersion): DecodedLabel {
  const offset = slotOffset(x, slot);
  const raw = new Uint8Array(256);
  raw.set(area.subarray(offset, offset + x.labelSize));
  const fields = labelCodec.decode(raw);
  const problems: string[] = [];
  if (fields.slot !== slot) problems.push(`slot field ${fields.slot} is not its slot ${slot}`);
  if (version === '1.2' && fields.checksum !== labelChecksum(raw)) problems.push('checksum mismatch');
  return { slot, offset: BigInt(offset), fields, name: nameText(fields.name), problems };
}

/** Pick the current index of two, as the kernel does: the only valid one, or the newer sequence number. */
function pickCurrent(ix: DecodedIndex[]): { current: 0 | 1 | null; why: string } {
  const [a, b] = ix;
  if (a === undefined || b === undefined) return { current: null, why: 'no index blocks' };
  const va = a.problems.length === 0;
  const vb = b.problems.length === 0;
  if (!va && !vb) return { current: null, why: `index0: ${a.problems.join(', ')}; index1: ${b.problems.join(', ')}` };
  if (va && !vb) return { current: 0, why: `index1 invalid (${b.problems.join(', ')})` };
  if (!va && vb) return { current: 1, why: `index0 invalid (${a.problems.join(', ')})` };
  const seq = newerSeq(a.fields.seq, b.fields.seq);
  const current = seq === (b.fields.seq & 3) ? 1 : 0;
  return { current, why: `both valid, seq ${a.fields.seq} vs ${b.fields.seq}: index${current} is newer` };
}

/** Decode a label area the way the kernel validates it (128-byte labels tried first, then 256-byte). */
export function decodeLabelArea(area: Uint8Array): DecodedArea {
  expectBytes(area, 'area');
  let fallback: DecodedArea | null = null;
  for (const version of ['1.1', '1.2'] as const) {
    const g = labelGeometry(BigInt(area.byteLength), LABEL_SIZE[version]);
    if (g === null) continue;
    const x = areaIndexes(g);
    const indexes = [decodeIndex(area, 0, g, x), decodeIndex(area, 1, g, x)];
    const { current, why } = pickCurrent(indexes);
    if (current === null) {
      fallback ??= { version: null, geometry: g, indexes, current: null, why, labels: [] };
      continue;
    }
    const used = indexes[current]?.usedSlots ?? [];
    const labels = used.map((s) => decodeLabel(area, s, x, version));
    return { version, geometry: g, indexes, current, why, labels };
  }
  return (
    fallback ?? {
      version: null,
      geometry: null,
      indexes: [],
      current: null,
      why: `a ` + `${area.byteLength}-byte area holds no index pair`,
      labels: [],
    }
  );
}

/** Options of {@link encodeLabelArea}. */
export interface EncodeAreaOptions {
  /** Bytes of the area (at most `MAX_LABEL_SIZE`, 2^31). */
  areaSize: bigint;
  version: LabelVersion;
  /** The region's interleave-set cookie for this label version. */
  cookie: bigint;
  /** Bytes of the DIMM's capacity (what namespaces must fit in). */
  capacity: bigint;
}

function checkSpecs(specs: readonly NamespaceSpec[], capacity: bigint, nslot: number): void {
  if (specs.length > nslot)
    throw new InvalidArgumentError(`${specs.length} namespaces need more than the area's ` + `${nslot} label slots`);
  const seen = new Set<string>();
  specs.forEach((s, i) => {
    if (s.size <= 0n) throw new InvalidArgumentError(`namespace ${i + 1}: size must be positive`);
    if (s.dpa < 0n || s.dpa + s.size > capacity) {
      throw new InvalidArgumentError(
        `namespace ${i + 1}: dpa ${s.dpa} + size ${s.size} exceeds the DIMM ` + `capacity ${capacity}`,
      );
    }
    if (seen.has(s.uuid.toLowerCase())) throw new InvalidArgumentError(`namespace ${i + 1}: uuid ${s.uuid} used twice`);
    seen.add(s.uuid.toLowerCase());
    specs.forEach((t, j) => {
      if (j > i && s.dpa < t.dpa + t.size && t.dpa < s.dpa + s.size) {
        throw new InvalidArgumentError(`namespaces ${i + 1} and ${j + 1} overlap`);
      }
    });
  });
}

function encodeLabel(s: NamespaceSpec, slot: number, o: EncodeAreaOptions, labelSize: number): Uint8Array {
  const v12 = o.version === '1.2';
  const raw = labelCodec.encode({
    uuid: s.uuid,
    name: nameBytes(s.name ?? ''),
    flags: 0,
    nlabel: 1,
    position: 0,
    isetcookie: o.cookie,
    lbasize: 0n,
    dpa: s.dpa,
    rawsize: s.size,
    slot,
    align: 0,
    typeGuid: v12 ? guidBytesText(PMEM_REGION_GUID) : NIL_UUID,
    abstractionGuid: v12 ? guidBytesText(ABSTRACTION_GUID[s.abstraction ?? 'none']) : NIL_UUID,
    checksum: 0n,
  });
  if (v12) labelCodec.writeFields(raw, { checksum: labelChecksum(raw) });
  return raw.subarray(0, labelSize);
}

/**
 * A fresh label area: index0 current (seq 3) and index1 one step older (seq 2), both marking slots
 * 0..n-1 in use, and one label per namespace in slot order.
 */
export function encodeLabelArea(specs: readonly NamespaceSpec[], o: EncodeAreaOptions): Uint8Array {
  expectArray(specs, 'specs');
  expectFields(o, 'o', { areaSize: 'bigint', version: 'string', cookie: 'bigint', capacity: 'bigint' });
  refuseAboveMaxArea(o.areaSize);
  const g = labelGeometry(o.areaSize, LABEL_SIZE[o.version]);
  if (g === null)
    throw new InvalidArgumentError(`a ${o.areaSize}-byte label area cannot hold two index blocks ` + `and two labels`);
  checkSpecs(specs, o.capacity, g.nslot);
  const x = areaIndexes(g);
  const area = new Uint8Array(x.areaSize);
  for (const i of [0, 1]) {
    const off = i * x.indexSize;
    const hdr = indexCodec.encode({
      signature: INDEX_SIGNATURE,
      flags: new Uint8Array(3),
      labelsize: o.version === '1.2' ? 1 : 0,
      seq: i === 0 ? 3 : 2,
      myoff: BigInt(off),
      mysize: g.indexSize,
      otheroff: BigInt(1 - i) * g.indexSize,
      labeloff: g.labelOffset,
      nslot: g.nslot,
      major: 1,
      minor: o.version === '1.2' ? 2 : 1,
      checksum: 0n,
    });
    area.set(hdr, off);
    for (let s = specs.length; s < g.nslot; s++) area[off + INDEX_HEADER_SIZE + (s >> 3)]! |= 1 << (s & 7);
    const checksum = indexChecksum(area.subarray(off), x.indexSize);
    indexCodec.writeFields(area.subarray(off, off + INDEX_HEADER_SIZE), { checksum });
  }
  specs.forEach((s, slot) => area.set(encodeLabel(s, slot, o, x.labelSize), slotOffset(x, slot)));
  return area;
}

/**
 * Give every active label whose interleave-set cookie is `from` the cookie `to` instead (with a fresh
 * checksum for v1.2), in place. Labels written for one platform slot then describe the same namespaces in
 * another. Returns how many labels changed.
 */
export function restampCookies(area: Uint8Array, cookieOf: (v: LabelVersion) => { from: bigint; to: bigint }): number {
  expectBytes(area, 'area');
  expectFunction(cookieOf, 'cookieOf');
  const d = decodeLabelArea(area);
  if (d.version === null || d.geometry === null) return 0;
  const { from, to } = cookieOf(d.version);
  if (from === to) return 0;
  const x = areaIndexes(d.geometry);
  let n = 0;
  for (const l of d.labels) {
    if (l.fields.isetcookie !== from) continue;
    const at = slotOffset(x, l.slot);
    const raw = new Uint8Array(256);
    raw.set(area.subarray(at, at + x.labelSize));
    labelCodec.writeFields(raw, { isetcookie: to });
    // A label whose checksum was already wrong stays wrong: the move must not repair what a test broke.
    if (d.version === '1.2' && l.problems.length === 0) labelCodec.writeFields(raw, { checksum: labelChecksum(raw) });
    area.set(raw.subarray(0, x.labelSize), at);
    n++;
  }
  return n;
}
