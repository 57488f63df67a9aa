/**
 * The validator for a labelled DIMM: which namespaces the kernel creates
 * from the label area (or the label-less namespace it falls back to), and
 * for each, the verdict on the info-block at its DPA with the label's uuid
 * as the expected parent. Pure: the caller supplies a reader for the DIMM.
 *
 * What the kernel was seen to do with labels (6.1, QEMU NVDIMMs):
 * - no valid index block: one label-less namespace over the whole capacity;
 * - a valid index: one namespace per label in use, and none for a label it
 *   skips (bad v1.2 checksum, slot field not its slot, a foreign
 *   interleave-set cookie);
 * - a BTT arena block with the namespace's uuid as parent: claimed in
 *   sector mode, unless its log's padding scheme cannot be deduced.
 */
import { bttCodec } from '../format/btt';
import { verifyChecksum } from '../format/fletcher64';
import { HEAD_SIZE } from '../format/head';
import { guidBytesText, interleaveSetCookie, PMEM_REGION_GUID, qemuDimm, type LabelVersion } from '../format/labels';
import { decodeLabelArea, type DecodedArea } from '../format/labels-area';
import { signatureKind } from '../format/pfn';
import { expectU64 } from '../format/int64';
import { NIL_UUID } from '../format/uuid';
import { checkHead, type CheckOptions, type Verdict } from './check';
import { expectBigint, expectBytes, expectFunction, expectOptions } from '../format/guard';

/** Reads `length` bytes at byte `offset` of the DIMM's capacity. */
export type DimmReader = (offset: bigint, length: number) => Uint8Array;

export interface LabelledOptions extends Omit<CheckOptions, 'nsSize' | 'parentUuid' | 'nsBase'> {
  /** Physical address of the DIMM's first byte (default 0). */
  dimmBase?: bigint;
  /** QEMU memory slot: sets the interleave-set cookie labels must carry (default 0). */
  slot?: number;
}

export interface LabelledNamespaceVerdict {
  /** The label's uuid, or null for the label-less fallback namespace. */
  uuid: string | null;
  name: string;
  slot: number | null;
  dpa: bigint;
  size: bigint;
  verdict: Verdict;
}

export interface SkippedLabel {
  slot: number;
  uuid: string;
  reasons: string[];
}

export interface LabelledCheck {
  labels: { version: LabelVersion | null; current: 0 | 1 | null; why: string };
  /** True when no index is valid and the kernel treats the DIMM as label-less. */
  fallback: boolean;
  skipped: SkippedLabel[];
  namespaces: LabelledNamespaceVerdict[];
}

/** Why the kernel would pass over a label in use (empty: it creates the namespace). */
function labelRejections(
  d: DecodedArea,
  l: DecodedArea['labels'][number],
  o: LabelledOptions,
  capacity: bigint,
): string[] {
  const reasons = [...l.problems];
  const version = d.version ?? '1.2';
  const cookie = interleaveSetCookie(qemuDimm(o.slot ?? 0), version);
  if (l.fields.isetcookie !== cookie)
    reasons.push(`isetcookie 0x${l.fields.isetcookie.toString(16)} is not the ` + `region's 0x${cookie.toString(16)}`);
  if (version === '1.2' && guidBytesText(l.fields.typeGuid) !== PMEM_REGION_GUID) {
    reasons.push('type_guid is not the persistent-memory range type');
  }
  if (l.fields.dpa + l.fields.rawsize > capacity) reasons.push('extends past the DIMM capacity');
  if (l.fields.rawsize === 0n) reasons.push('rawsize 0');
  return reasons;
}

/**
 * The BTT log check the kernel makes when it attaches an arena: each of the nfree log groups (four
 * 16-byte entries) must show entry 0 in use; a log of all-zero groups leaves the padding scheme unknown
 * and the attach fails. Returns null when it passes, else the kernel's message.
 */
function bttLogProblem(read: DimmReader, dpa: bigint, size: bigint, head: Uint8Array): string | null {
  const f = bttCodec.decode(head.subarray(4096, 8192));
  const groups = Math.min(f.nfree, 4096);
  if (groups === 0) return null;
  // A log outside the namespace (a crafted logoff of 1 GiB or 2^62): the kernel's namespace read refuses it
  // ("request out of range", -EFAULT) and the arena attach fails like a bad log. Never read past the namespace.
  if (4096n + f.logoff + BigInt(groups * 64) > size) return 'request out of range';
  const log = read(dpa + 4096n + f.logoff, groups * 64);
  const zero = (at: number): boolean => log.subarray(at, at + 16).every((b) => b === 0);
  for (let g = 0; g < groups; g++) if (!zero(g * 64)) return null;
  return 'Found an unknown padding scheme';
}

function verdictAt(
  read: DimmReader,
  dpa: bigint,
  size: bigint,
  uuid: string,
  o: LabelledOptions,
  nsName: string,
): Verdict {
  const head = read(dpa, HEAD_SIZE);
  const { dimmBase, slot, ...rest } = o;
  void slot;
  const v = checkHead(head, { ...rest, nsBase: (dimmBase ?? 0n) + dpa, nsSize: size, parentUuid: uuid, nsName });
  const block = head.subarray(4096, 8192);
  if (v.kind === 'btt' && v.outcome === 'claimed' && signatureKind(block) === 'btt' && verifyChecksum(block)) {
    const problem = bttLogProblem(read, dpa, size, head);
    const f = bttCodec.decode(block);
    if (problem !== null) {
      v.outcome = 'refused';
      v.errno = 12; // the arena attach fails and the btt probe reports -ENOMEM
      v.message = problem;
      v.messages.push(problem);
      v.failedRule = 'B1';
    } else {
      // Sector mode: the disk is the arena's external blocks.
      v.dataSize = BigInt(f.externalNlba) * f.externalLbasize;
    }
  }
  return v;
}

/**
 * Predict the namespaces the kernel creates on a labelled DIMM and its verdict on each. `capacity` and
 * `dimmBase` are bigints (a number is a typed invalid-argument error). `toJson` (src/format/json.ts) gives
 * the result's snake_case JSON.
 */
export function checkLabelledDimm(
  area: Uint8Array,
  capacity: bigint,
  read: DimmReader,
  o: LabelledOptions = {},
): LabelledCheck {
  expectBytes(area, 'area');
  expectBigint(capacity, 'capacity');
  expectFunction(read, 'read');
  expectOptions(o, 'o', true);
  expectU64(capacity, 'capacity');
  if (o.dimmBase !== undefined) expectU64(o.dimmBase, 'dimmBase');
  const d = decodeLabelArea(area);
  const labels = { version: d.version, current: d.current, why: d.why };
  if (d.current === null) {
    const verdict = verdictAt(read, 0n, capacity, NIL_UUID, o, 'namespace0.0');
    const whole = { uuid: null, name: '', slot: null, dpa: 0n, size: capacity, verdict };
    return { labels, fallback: true, skipped: [], namespaces: [whole] };
  }
  const skipped: SkippedLabel[] = [];
  const namespaces: LabelledNamespaceVerdict[] = [];
  for (const l of d.labels) {
    const reasons = labelRejections(d, l, o, capacity);
    if (reasons.length > 0) {
      skipped.push({ slot: l.slot, uuid: l.fields.uuid, reasons });
      continue;
    }
    const { dpa, rawsize: size, uuid } = l.fields;
    const verdict = verdictAt(read, dpa, size, uuid, o, `namespace0.${namespaces.length}`);
    namespaces.push({ uuid, name: l.name, slot: l.slot, dpa, size, verdict });
  }
  namespaces.sort((a, b) => (a.dpa < b.dpa ? -1 : a.dpa > b.dpa ? 1 : 0));
  return { labels, fallback: false, skipped, namespaces };
}
