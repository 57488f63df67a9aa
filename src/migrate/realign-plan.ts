/**
 * Planning a realignment of labelled namespaces (pure): a namespace whose
 * info-block carries start_pad becomes the namespace that starts at its
 * aligned base `dpa + start_pad` and ends before its end_trunc, with a new
 * block (start_pad 0, end_trunc 0, the same dataoff) at the new offset
 * 4096. The data start `dpa + start_pad + dataoff` is then
 * `new dpa + dataoff`: not a data byte moves, and a DAX mapping and read(2)
 * agree again (a DAX fault maps `base + dataoff`, block I/O reads
 * `base + start_pad + dataoff`; with start_pad 0 they are one address).
 *
 * The plan is a list of writes in the order that keeps either the old or
 * the new namespaces valid at every moment: the new blocks first (each
 * lies in the first 8 KiB after the old aligned base, a reserve no kernel
 * uses), then the updated labels into free slots (free in the current
 * index: the kernel does not read them), then the inactive index block
 * with the next sequence number, the old slots freed and the new ones in
 * use: the one write that switches the DIMM over. A torn index fails its
 * checksum and the old index stays current.
 */
import { InfoblockError, InvalidArgumentError } from '../format/errors';
import { BLOCK_SIZE } from '../format/fletcher64';
import { headWithBlock, INFOBLOCK_OFFSET } from '../format/head';
import { expectU64, SZ_2M, SZ_4K, SZ_8K } from '../format/int64';
import {
  INDEX_HEADER_SIZE,
  areaIndexes,
  indexChecksum,
  indexCodec,
  labelChecksum,
  labelCodec,
  nextSeq,
  slotOffset,
  type AreaIndexes,
  type LabelVersion,
} from '../format/labels';
import { decodeLabelArea, type DecodedArea, type DecodedLabel } from '../format/labels-area';
import { decodePfnBlock, patchPfnBlock, type PfnFields } from '../format/pfn';
import { hex } from '../format/units';
import { checkHead, type Verdict } from '../validate/check';
import { checkLabelledDimm, type DimmReader } from '../validate/labels';
import type { Arch } from '../validate/arch';
import { resolveKernels } from '../validate/versions';
import { expectBytes, expectFields, expectFunction } from '../format/guard';

/** What realigning one namespace of the labels means. */
export interface RealignNamespace {
  uuid: string;
  name: string;
  /** `realign`: it is rewritten; `aligned`: start_pad is already 0, nothing to do. */
  status: 'realign' | 'aligned';
  kind: 'pfn' | 'dax';
  slot: number;
  /** The slot the updated label goes to (null when nothing is done). */
  newSlot: number | null;
  dpa: bigint;
  size: bigint;
  newDpa: bigint;
  newSize: bigint;
  startPad: bigint;
  endTrunc: bigint;
  dataoff: bigint;
  /** Bytes from the DIMM's first byte to the data start: the same before and after. */
  dataDpa: bigint;
  dataSize: bigint;
  /** The 4 KiB block now and the one written at newDpa + 4096 (equal when nothing is done). */
  oldBlock: Uint8Array;
  newBlock: Uint8Array;
  /** Each guard kernel's verdict on the new namespace (the old one's when nothing is done). */
  verdicts: Verdict[];
}

/** One positioned write of the plan: its place in the image and the bytes it puts there. */
export interface RealignWrite {
  what: 'block' | 'label' | 'index';
  /** Byte offset in the image (the DIMM's capacity starts at 0, the label area at `labelOffset`). */
  position: bigint;
  bytes: Uint8Array;
  /** The namespace a block or label write is for; null for the index. */
  uuid: string | null;
}

export interface RealignPlan {
  /**
   * In the realign document's words (schemas/realign.schema.json): `planned` (writes to make) or `nothing-to-do`
   * (no chosen namespace has start_pad). Only realignTarget, after writing, says `realigned`.
   */
  status: 'planned' | 'nothing-to-do';
  version: LabelVersion;
  /** The index current now, its sequence number, and the index that becomes current. */
  currentIndex: 0 | 1;
  seq: number;
  newIndex: 0 | 1;
  newSeq: number;
  namespaces: RealignNamespace[];
  /** In the order they must happen; empty when no namespace needs realigning. */
  writes: RealignWrite[];
}

/** Options of {@link planRealign}. */
export interface PlanRealignOptions {
  /** Bytes of the DIMM's capacity (the namespaces' DPA space). */
  capacity: bigint;
  /** Where the label area starts in the image. */
  labelOffset: bigint;
  /** The namespaces (label uuids) to realign; default every namespace of the labels. */
  namespaces?: readonly string[];
  /** Physical address of the DIMM's first byte (default 0): the alignment the kernels check is physical. */
  dimmBase?: bigint;
  /** QEMU memory slot: the interleave-set cookie the labels must carry (default 0). */
  slot?: number;
  /** Kernels that must claim the result with the data where it is (default: all booted kernels). */
  guardKernel?: string;
  arch?: Arch;
}

const refuse = (msg: string): InfoblockError => new InfoblockError('precondition', msg);

/** The block of a chosen namespace, checked: a valid legacy fsdax/devdax block of this namespace. */
function blockOf(read: DimmReader, uuid: string, dpa: bigint): { raw: Uint8Array; f: PfnFields; kind: 'pfn' | 'dax' } {
  const raw = read(dpa + BigInt(INFOBLOCK_OFFSET), BLOCK_SIZE);
  const d = decodePfnBlock(raw);
  if ((d.kind !== 'pfn' && d.kind !== 'dax') || !d.checksumValid)
    throw refuse(
      `namespace ${uuid} has no valid fsdax or devdax info-block at ${hex(dpa + 4096n)}: nothing to realign`,
    );
  if (d.fields.parentUuid !== uuid.toLowerCase())
    throw refuse(`the info-block of namespace ${uuid} belongs to namespace ${d.fields.parentUuid}`);
  if (d.fields.versionMajor >= 2)
    throw refuse(
      `the info-block of namespace ${uuid} is in the map meaning (version ${d.fields.versionMajor}.` +
        `${d.fields.versionMinor}): migrate it back to the legacy meaning first`,
    );
  return { raw, f: d.fields, kind: d.kind };
}

/** Refuse a label area whose labels in use overlap (the kernel's view of the DIMM is then not the labels'). */
function checkOverlaps(labels: readonly DecodedLabel[]): void {
  labels.forEach((a, i) =>
    labels.slice(i + 1).forEach((b) => {
      const [x, y] = [a.fields, b.fields];
      if (x.dpa < y.dpa + y.rawsize && y.dpa < x.dpa + x.rawsize) {
        throw refuse(
          `the labels of namespaces ${x.uuid} (slot ${a.slot}) and ${y.uuid} (slot ${b.slot}) overlap ` +
            `(${hex(x.dpa)}+${hex(x.rawsize)} and ${hex(y.dpa)}+${hex(y.rawsize)}): nothing is written to such an area`,
        );
      }
    }),
  );
}

interface Shape {
  startPad: bigint;
  endTrunc: bigint;
  newDpa: bigint;
  newSize: bigint;
  newBlock: Uint8Array;
}

/** The new namespace and block of one padded namespace, or the reason it cannot be realigned. */
function reshape(uuid: string, dpa: bigint, size: bigint, raw: Uint8Array, f: PfnFields, o: PlanRealignOptions): Shape {
  const startPad = f.versionMinor < 1 ? 0n : f.startPad;
  const endTrunc = f.versionMinor < 1 ? 0n : f.endTrunc;
  const pageSize = f.versionMinor < 4 || f.pageSize === 0n ? SZ_4K : f.pageSize;
  const newDpa = dpa + startPad;
  const newSize = size - startPad - endTrunc;
  const base = (o.dimmBase ?? 0n) + newDpa;
  if (startPad % SZ_4K !== 0n)
    throw refuse(
      `namespace ${uuid}: start_pad ${hex(startPad)} is not a multiple of 4 KiB; no namespace can start there`,
    );
  if (base % SZ_2M !== 0n || (base + newSize) % SZ_2M !== 0n)
    throw refuse(
      `namespace ${uuid}: the realigned namespace ${hex(base)}..${hex(base + newSize)} would not be 2 MiB aligned ` +
        `(the kernels' memremap_compat_align), so no kernel would claim it`,
    );
  if (f.dataoff < SZ_8K || newSize <= f.dataoff)
    throw refuse(`namespace ${uuid}: dataoff ${hex(f.dataoff)} leaves no room for the 8 KiB reserve or the data`);
  const npfns = (newSize - f.dataoff) / pageSize;
  const newBlock = patchPfnBlock(raw, { startPad: 0n, endTrunc: 0n, npfns });
  return { startPad, endTrunc, newDpa, newSize, newBlock };
}

function verdictsOn(block: Uint8Array, uuid: string, dpa: bigint, size: bigint, o: PlanRealignOptions): Verdict[] {
  return resolveKernels(o.guardKernel ?? 'all').map((k) =>
    checkHead(headWithBlock(block), {
      kernel: k.id,
      arch: o.arch ?? 'x86_64',
      nsBase: (o.dimmBase ?? 0n) + dpa,
      nsSize: size,
      parentUuid: uuid,
      hazards: false,
    }),
  );
}

/** Every guard kernel must claim the new namespace with the data at the same DPA. */
function checkVerdicts(uuid: string, verdicts: Verdict[], dataoff: bigint): void {
  for (const v of verdicts) {
    if (v.outcome !== 'claimed' || v.dataStart !== dataoff) {
      const what = v.outcome === 'claimed' ? `puts the data at ${hex(v.dataStart ?? 0n)}` : `${v.outcome} it`;
      throw refuse(
        `namespace ${uuid}: ${v.profile} ${what}${v.message === null ? '' : ` (${v.message})`} once realigned, ` +
          `so nothing is written`,
      );
    }
  }
}

function planNamespace(l: DecodedLabel, read: DimmReader, o: PlanRealignOptions): RealignNamespace {
  const { uuid, dpa, rawsize: size } = l.fields;
  if (l.fields.nlabel > 1)
    throw refuse(
      `namespace ${uuid} spans ${l.fields.nlabel} DIMMs (an interleave set): only single-DIMM labels are realigned`,
    );
  const { raw, f, kind } = blockOf(read, uuid, dpa);
  const startPad = f.versionMinor < 1 ? 0n : f.startPad;
  const common = { uuid, name: l.name, kind, slot: l.slot, dpa, size, dataoff: f.dataoff, oldBlock: raw };
  if (startPad === 0n) {
    const endTrunc = f.versionMinor < 1 ? 0n : f.endTrunc;
    return {
      ...common,
      status: 'aligned',
      newSlot: null,
      newDpa: dpa,
      newSize: size,
      startPad,
      endTrunc,
      dataDpa: dpa + f.dataoff,
      dataSize: size - endTrunc - f.dataoff,
      newBlock: raw,
      verdicts: verdictsOn(raw, uuid, dpa, size, o),
    };
  }
  const s = reshape(uuid, dpa, size, raw, f, o);
  const verdicts = verdictsOn(s.newBlock, uuid, s.newDpa, s.newSize, o);
  checkVerdicts(uuid, verdicts, f.dataoff);
  return {
    ...common,
    status: 'realign',
    newSlot: null,
    newDpa: s.newDpa,
    newSize: s.newSize,
    startPad: s.startPad,
    endTrunc: s.endTrunc,
    dataDpa: s.newDpa + f.dataoff,
    dataSize: s.newSize - f.dataoff,
    newBlock: s.newBlock,
    verdicts,
  };
}

/** The labels the kernel creates namespaces from, narrowed to the chosen uuids (each must be one of them). */
function chosen(area: Uint8Array, d: DecodedArea, read: DimmReader, o: PlanRealignOptions): DecodedLabel[] {
  const kernelView = checkLabelledDimm(area, o.capacity, read, {
    ...(o.dimmBase === undefined ? {} : { dimmBase: o.dimmBase }),
    ...(o.slot === undefined ? {} : { slot: o.slot }),
  });
  const created = new Set(kernelView.namespaces.map((n) => n.slot));
  const labels = d.labels.filter((l) => created.has(l.slot));
  if (o.namespaces === undefined) return labels;
  return o.namespaces.map((u) => {
    const l = labels.find((x) => x.fields.uuid === u.toLowerCase());
    if (l === undefined) {
      const skipped = kernelView.skipped.find((s) => s.uuid === u.toLowerCase());
      throw refuse(
        skipped === undefined
          ? `no namespace ${u} in the labels`
          : `the kernel skips the label of namespace ${u} (${skipped.reasons.join('; ')}): nothing to realign`,
      );
    }
    return l;
  });
}

/** Slots free in the current index, lowest first. */
function freeSlots(d: DecodedArea, current: 0 | 1): number[] {
  const used = new Set(d.indexes[current]?.usedSlots ?? []);
  const nslot = Math.min(d.indexes[current]?.fields.nslot ?? 0, d.geometry?.nslot ?? 0);
  return Array.from({ length: nslot }, (_, s) => s).filter((s) => !used.has(s));
}

/** The updated label: the old one with the new DPA, size and slot (and, v1.2, a fresh checksum). */
function movedLabel(
  area: Uint8Array,
  l: DecodedLabel,
  n: RealignNamespace,
  slot: number,
  d: DecodedArea,
  x: AreaIndexes,
): Uint8Array {
  const size = x.labelSize;
  const at = slotOffset(x, l.slot);
  const raw = new Uint8Array(256);
  raw.set(area.subarray(at, at + size));
  labelCodec.writeFields(raw, { dpa: n.newDpa, rawsize: n.newSize, slot });
  if (d.version === '1.2') labelCodec.writeFields(raw, { checksum: labelChecksum(raw) });
  return raw.subarray(0, size);
}

/** The inactive index rewritten: the current one's slots with the moved labels' old slots freed and new used. */
function nextIndex(area: Uint8Array, x: AreaIndexes, current: 0 | 1, moves: [number, number][]): Uint8Array {
  const from = current * x.indexSize;
  const to = (1 - current) * x.indexSize;
  const block = Uint8Array.from(area.subarray(from, from + x.indexSize));
  const seq = nextSeq(indexCodec.decode(block.subarray(0, INDEX_HEADER_SIZE)).seq);
  for (const [oldSlot, newSlot] of moves) {
    block[INDEX_HEADER_SIZE + (oldSlot >> 3)]! |= 1 << (oldSlot & 7);
    block[INDEX_HEADER_SIZE + (newSlot >> 3)]! &= ~(1 << (newSlot & 7));
  }
  const head = block.subarray(0, INDEX_HEADER_SIZE);
  indexCodec.writeFields(head, { seq, myoff: BigInt(to), otheroff: BigInt(from), checksum: 0n });
  indexCodec.writeFields(head, { checksum: indexChecksum(block, x.indexSize) });
  return block;
}

/**
 * Plan the realignment of the chosen namespaces of a labelled DIMM: `area` is its label area, `read` reads
 * its capacity. Throws InfoblockError 'precondition' when it cannot be done safely (no valid index, labels
 * that overlap, a namespace of several DIMMs, a block that is not this namespace's, a result some guard
 * kernel would not claim with the data in place, too few free label slots): nothing may be written then.
 */
export function planRealign(area: Uint8Array, read: DimmReader, o: PlanRealignOptions): RealignPlan {
  expectBytes(area, 'area');
  expectFunction(read, 'read');
  expectFields(o, 'o', { capacity: 'bigint', labelOffset: 'bigint' });
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('planRealign needs an options object');
  expectU64(o.capacity, 'capacity');
  expectU64(o.labelOffset, 'labelOffset');
  if (o.dimmBase !== undefined) expectU64(o.dimmBase, 'dimmBase');
  const d = decodeLabelArea(area);
  if (d.current === null || d.version === null || d.geometry === null)
    throw refuse(
      'no valid label index: the kernel treats the DIMM as one label-less namespace; rebase its block instead',
    );
  checkOverlaps(d.labels);
  const labels = chosen(area, d, read, o);
  const namespaces = labels.map((l) => planNamespace(l, read, o));
  const moving = namespaces.filter((n) => n.status === 'realign');
  const current = d.current;
  const seq = d.indexes[current]?.fields.seq ?? 0;
  const plan: RealignPlan = {
    status: moving.length === 0 ? 'nothing-to-do' : 'planned',
    version: d.version,
    currentIndex: current,
    seq,
    newIndex: (1 - current) as 0 | 1,
    newSeq: nextSeq(seq),
    namespaces,
    writes: [],
  };
  if (moving.length === 0) return plan;
  const free = freeSlots(d, current);
  if (free.length < moving.length)
    throw refuse(
      `the label area has ${free.length} free slot${free.length === 1 ? '' : 's'}, realigning ` +
        `${moving.length} namespace${moving.length === 1 ? '' : 's'} needs ${moving.length}: the updated labels ` +
        `must go to free slots before the index switches to them`,
    );
  const g = d.geometry;
  // Numbers to index the area's bytes with.
  const bytesAt = areaIndexes(g);
  const labelAt = (slot: number): bigint => o.labelOffset + BigInt(slotOffset(bytesAt, slot));
  const moves: [number, number][] = [];
  moving.forEach((n, i) => {
    n.newSlot = free[i] ?? 0;
    moves.push([n.slot, n.newSlot]);
  });
  for (const n of moving)
    plan.writes.push({ what: 'block', position: n.newDpa + BigInt(INFOBLOCK_OFFSET), bytes: n.newBlock, uuid: n.uuid });
  for (const n of moving) {
    const l = labels.find((x) => x.slot === n.slot) as DecodedLabel;
    const bytes = movedLabel(area, l, n, n.newSlot ?? 0, d, bytesAt);
    plan.writes.push({ what: 'label', position: labelAt(n.newSlot ?? 0), bytes, uuid: n.uuid });
  }
  plan.writes.push({
    what: 'index',
    position: o.labelOffset + BigInt(1 - current) * g.indexSize,
    bytes: nextIndex(area, bytesAt, current, moves),
    uuid: null,
  });
  return plan;
}
