/**
 * The offline validator: what a kernel does with a namespace head. It runs a
 * profile's rules in order and stops at the first that fails with effect
 * (raw or refused); the verdict says where the data lands when claimed, and
 * which hazards other kernels pose.
 */
import { findBlocks, type FoundBlock } from '../format/head';
import type { DecodedPfnBlock } from '../format/pfn';
import { NIL_UUID } from '../format/uuid';
import { hex } from '../format/units';
import { ARCHES, LEGACY_PROFILE_IDS, PROFILES, type Arch, type ProfileId } from './profiles';
import type { RuleCtx } from './rules';

export type Outcome = 'claimed' | 'raw' | 'refused';

export interface RuleReport {
  id: string;
  name: string;
  passed: boolean;
  detail: string;
}

export interface Hazard {
  kind: 'misplacement' | 'refusal' | 'ndctl-offset-block' | 'metadata-exposed' | 'raw';
  profile: ProfileId | null;
  message: string;
}

export interface Verdict {
  profile: ProfileId;
  outcome: Outcome;
  kind: 'pfn' | 'dax' | 'btt' | null;
  mode: 'ram' | 'pmem' | null;
  errno: number | null;
  /** The kernel's text for the deciding rule, else the last info message. */
  message: string | null;
  messages: string[];
  /** Bytes from the namespace base (raw: 0 and the namespace size; refused: null). */
  data_start: bigint | null;
  data_size: bigint | null;
  /** struct pfn_map_info of the patch series: the mapped base (base + start_pad) and the data's offset from it. */
  map_base: bigint | null;
  map_offset: bigint | null;
  align: bigint | null;
  meaning: 'legacy' | 'map' | null;
  ns_base: bigint;
  ns_size: bigint;
  /** The failing rule id, when one decided the outcome. */
  failed_rule: string | null;
  rules: RuleReport[];
  hazards: Hazard[];
}

export interface CheckOptions {
  kernel?: ProfileId;
  arch?: Arch;
  nsBase?: bigint;
  nsSize: bigint;
  /** The namespace uuid (parent_uuid must equal it); default all-zero (label-less). */
  parentUuid?: string;
  expect?: 'pfn' | 'dax' | 'any';
  /** Name the kernel prints in "pfn array size exceeds capacity of ..." */
  nsName?: string;
  /** Skip the cross-profile hazard analysis (used internally). */
  hazards?: boolean;
}

function emptyVerdict(o: CheckOptions, profile: ProfileId): Verdict {
  return {
    profile,
    outcome: 'raw',
    kind: null,
    mode: null,
    errno: null,
    message: null,
    messages: [],
    // Raw until a personality claims it: the whole namespace is a plain disk.
    data_start: 0n,
    data_size: o.nsSize,
    map_base: null,
    map_offset: null,
    align: null,
    meaning: null,
    ns_base: o.nsBase ?? 0n,
    ns_size: o.nsSize,
    failed_rule: null,
    rules: [],
    hazards: [],
  };
}

/**
 * A BTT arena block at 4096. Observed on 6.1: a label-less namespace (the
 * all-zero namespace uuid, as QEMU's NVDIMMs without labels have) is never
 * claimed by a BTT, even a valid one: it stays raw. With a namespace uuid
 * (labelled namespace) we predict a claim when the checksum and parent uuid
 * match; the arena layout is not validated further.
 */
function bttVerdict(v: Verdict, b: Extract<FoundBlock, { kind: 'btt' }>, o: CheckOptions): Verdict {
  const nsUuid = (o.parentUuid ?? NIL_UUID).toLowerCase();
  const uuidOk = b.btt.fields.parentUuid === nsUuid;
  const labelless = nsUuid === NIL_UUID;
  const passed = b.checksumValid && uuidOk && !labelless;
  const detail = labelless
    ? 'BTT arena info-block at 4096 on a label-less namespace: not claimed (observed on Linux 6.1), the namespace stays raw'
    : `BTT arena info-block at 4096: checksum ${b.checksumValid ? 'ok' : 'bad'}, parent_uuid ${uuidOk ? 'matches' : 'differs'} (arena layout not validated further)`;
  v.rules.push({ id: 'B1', name: 'btt-arena', passed, detail });
  if (passed) {
    v.outcome = 'claimed';
    v.kind = 'btt';
    v.data_start = null; // a BTT maps sectors through its arenas: no linear data start
    v.data_size = null;
  } else v.failed_rule = 'B1';
  return v;
}

/** Evaluate one decoded nd_pfn block under one profile (no hazards). */
export function checkBlock(block: DecodedPfnBlock, o: CheckOptions): Verdict {
  const profileId = o.kernel ?? 'linux-6.1';
  const profile = PROFILES[profileId];
  const arch = ARCHES[o.arch ?? 'x86_64'];
  const v = emptyVerdict(o, profileId);
  const f = block.fields;
  const effective = { ...block.effective, pageSize: f.versionMinor < 4 ? Number(arch.pageSize) : f.pageSize };
  const meaning = profile.meaningOf(f.versionMajor);
  const startPad = BigInt(effective.startPad);
  const ctx: RuleCtx = {
    arch,
    sectionAlign: profile.sectionAlign(arch),
    meaning,
    expect: o.expect ?? 'any',
    kind: block.kind,
    fields: f,
    effective,
    checksumValid: block.checksumValid,
    nsUuid: o.parentUuid ?? NIL_UUID,
    nsName: o.nsName ?? 'namespace0.0',
    base: o.nsBase ?? 0n,
    size: o.nsSize,
    startPad,
    endTrunc: BigInt(effective.endTrunc),
    align: 0n,
    offset: meaning === 'map' ? f.dataoff - startPad : f.dataoff,
  };
  for (const rule of profile.rules) {
    const r = rule.test(ctx);
    v.rules.push({ id: rule.id, name: rule.name, passed: r.passed, detail: r.detail });
    if (r.message !== undefined) v.messages.push(r.message);
    if (r.passed || rule.onFail === 'info') continue;
    v.failed_rule = rule.id;
    if (rule.onFail === 'raw') {
      if (rule.id !== 'R1') v.kind = block.kind === 'pfn' || block.kind === 'dax' ? block.kind : null;
      return v;
    }
    v.kind = block.kind === 'dax' ? 'dax' : 'pfn';
    v.mode = f.mode === 1 ? 'ram' : f.mode === 2 ? 'pmem' : null;
    v.errno = r.errno !== undefined ? r.errno : rule.errno;
    v.message = r.message ?? null;
    v.outcome = profile.failureLeavesRaw ? 'raw' : 'refused';
    if (v.outcome === 'refused') {
      v.data_start = null;
      v.data_size = null;
    }
    return v;
  }
  v.outcome = 'claimed';
  v.kind = block.kind === 'dax' ? 'dax' : 'pfn';
  v.mode = f.mode === 1 ? 'ram' : 'pmem';
  v.meaning = meaning;
  v.align = ctx.align;
  v.map_base = ctx.base + startPad;
  v.map_offset = ctx.offset;
  v.data_start = startPad + ctx.offset;
  const room = ctx.size - startPad - ctx.endTrunc - ctx.offset;
  v.data_size = room > 0n ? room : 0n;
  v.message = v.messages.at(-1) ?? null;
  return v;
}

/** A kernel's verdict on the 8 KiB head of a namespace. */
export function checkHead(head: Uint8Array, o: CheckOptions): Verdict {
  const blocks = findBlocks(head);
  const btt = blocks.find((b): b is Extract<FoundBlock, { kind: 'btt' }> => b.kind === 'btt' && b.offset === 4096);
  const pfn = blocks.find((b): b is Extract<FoundBlock, { kind: 'pfn' | 'dax' }> => b.kind === 'pfn' || b.kind === 'dax');
  const profileId = o.kernel ?? 'linux-6.1';
  if (btt !== undefined && (o.expect ?? 'any') === 'any') return bttVerdict(emptyVerdict(o, profileId), btt, o);
  if (pfn === undefined) {
    const v = emptyVerdict(o, profileId);
    v.rules.push({ id: 'R1', name: 'signature', passed: false, detail: 'no NVDIMM_PFN_INFO / NVDIMM_DAX_INFO signature at 4096: not an info-block' });
    v.failed_rule = 'R1';
    return v;
  }
  const v = checkBlock(pfn.pfn, o);
  if (o.hazards !== false) v.hazards = hazardsFor(pfn.pfn, v, o);
  return v;
}

/** What other kernels would do with the block, where that is dangerous or surprising. */
export function hazardsFor(block: DecodedPfnBlock, v: Verdict, o: CheckOptions): Hazard[] {
  const hazards: Hazard[] = [];
  const f = block.fields;
  const startPad = BigInt(block.effective.startPad);
  if (f.versionMajor >= 2) {
    const mapV = checkBlock(block, { ...o, kernel: 'map', hazards: false });
    for (const id of LEGACY_PROFILE_IDS) {
      const lv = checkBlock(block, { ...o, kernel: id, hazards: false });
      if (lv.outcome === 'refused') {
        hazards.push({ kind: 'refusal', profile: id, message: `${id} ignores the major version and refuses this map-meaning block: ${lv.message ?? `errno ${lv.errno ?? '?'}`}` });
      } else if (lv.outcome === 'claimed' && mapV.outcome === 'claimed' && lv.data_start !== mapV.data_start) {
        hazards.push({
          kind: 'misplacement',
          profile: id,
          message: `${id} ignores the major version and would put the data at ${hex(lv.data_start ?? 0n)}, ${startPad} bytes (start_pad) away from ${hex(mapV.data_start ?? 0n)} where the map meaning puts it`,
        });
      } else if (lv.outcome === 'raw') {
        hazards.push({ kind: 'raw', profile: id, message: `${id} leaves the namespace raw${lv.message === null ? '' : `: ${lv.message}`}` });
      }
    }
  } else if (startPad !== 0n) {
    // ndctl -O measures dataoff from the raw base: its data start is aligned
    // there, not at base + start_pad where a legacy kernel looks.
    const compat = ARCHES[o.arch ?? 'x86_64'].compatAlign;
    const field = BigInt(block.effective.align);
    const align = field > compat ? field : compat;
    const base = o.nsBase ?? 0n;
    const legacyStart = base + startPad + f.dataoff;
    const rawStart = base + f.dataoff;
    if (legacyStart % align !== 0n && rawStart % align === 0n) {
      const repair = '`infoblock migrate --from map --to legacy` repairs it';
      hazards.push(
        v.outcome === 'claimed'
          ? {
              kind: 'misplacement',
              profile: v.profile,
              message: `this looks like an ndctl -O block (dataoff measured from the raw base, data at ${hex(f.dataoff)}); ${v.profile} claims it but reads the data at ${hex(startPad + f.dataoff)}, start_pad bytes later; ${repair}`,
            }
          : { kind: 'ndctl-offset-block', profile: null, message: `this looks like an ndctl -O block (dataoff measured from the raw base); Linux refuses it; ${repair}` },
      );
    }
  }
  if (v.profile === 'linux-4.x' && v.failed_rule !== null && v.outcome === 'raw' && v.errno !== null) {
    hazards.push({ kind: 'metadata-exposed', profile: 'linux-4.x', message: 'before Linux 5.3 a failed validation leaves the namespace raw: the info-block and memmap area are exposed to whatever uses the raw device' });
  }
  return hazards;
}
