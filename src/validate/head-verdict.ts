/**
 * The offline validator's verdict: what one kernel does with a namespace
 * head. It runs a profile's rules in order and stops at the first that fails
 * with effect (raw or refused); the verdict says where the data lands when
 * claimed. What other kernels would do (the hazards) is
 * src/validate/hazards.ts, which reads these verdicts; `checkHead`
 * (src/validate/check.ts) puts the two together.
 */
import { findBlocks, type FoundBlock } from '../format/head';
import type { DecodedPfnBlock, Meaning } from '../format/pfn';
import { DEFAULT_PROFILE } from './versions';
import { InvalidArgumentError } from '../format/errors';
import { NIL_UUID } from '../format/uuid';
import { expectSpan, expectU64 } from '../format/int64';
import { gateFields, geometryOf } from './geometry';
import { knowsMinor4, logsRegionConflict, probeFailureLine, reserveBytes, validationFailureRefuses } from './history';
import { archParams, type Arch, type ArchParams } from './arch';
import { profileForKernel, type KernelProfile } from './profiles';
import type { RuleCtx } from './rules';
import { daxVerdictOf, type DaxVerdict } from './dax-verdict';
import { expectDecodedBlock, expectFields } from '../format/guard';

/**
 * What the kernel does with the namespace: exposes it through the personality (`claimed`), leaves it a plain
 * disk (`raw`), fails the probe (`refused`), or oopses on it (`crashed`: message is the BUG headline).
 */
export type Outcome = 'claimed' | 'raw' | 'refused' | 'crashed';

export interface RuleReport {
  id: string;
  name: string;
  passed: boolean;
  detail: string;
  /**
   * observed: this version was booted and checked (x86-64); source: interpolated from the kernel's history;
   * convention: the map profile's own rule.
   */
  basis: 'observed' | 'source' | 'convention';
}

/**
 * An operation that repairs a hazard, in the library's terms: the operation and its parameters
 * (camelCase API names, as `migrate({ from: 'map', to: 'legacy' })` takes them). The target and the
 * namespace's placement (offset, nsBase, nsSize) are the verdict's own; the CLI renders the whole command.
 */
export interface HazardFix {
  operation: 'migrate';
  params: { from: 'map' | 'legacy'; to: 'map' | 'legacy' };
}

/** What another kernel would do with the block, where that is dangerous or surprising. */
export interface Hazard {
  kind: 'misplacement' | 'refusal' | 'ndctl-offset-block' | 'metadata-exposed' | 'raw';
  /** The profile concerned (null: every Linux kernel). */
  profile: string | null;
  /** In words; never a command line (see {@link Hazard.fix}). */
  message: string;
  /** The repair, when one is known: migrating the block to the meaning every kernel reads. */
  fix?: HazardFix;
}

/**
 * A kernel's verdict on a namespace. Fields are camelCase with bigint byte
 * quantities; `toJson` (src/format/json.ts) gives its snake_case JSON, every
 * bigint as an exact `"0x…"` string (what `infoblock check --json` prints).
 */
export interface Verdict {
  /** Canonical profile: linux-X.Y or map. */
  profile: string;
  /** The kernel series whose rules applied (map: the newest, which it builds on). */
  kernel: string;
  /** The version was booted here: its behaviour is observed, not only interpolated from source. */
  observed: boolean;
  outcome: Outcome;
  kind: 'pfn' | 'dax' | 'btt' | null;
  mode: 'ram' | 'pmem' | null;
  errno: number | null;
  /** The kernel's text for the deciding rule, else the last info message. */
  message: string | null;
  messages: string[];
  /** Bytes from the namespace base (raw: 0 and the namespace size; refused: null). */
  dataStart: bigint | null;
  dataSize: bigint | null;
  /** struct pfn_map_info of the patch series: the mapped base (base + start_pad) and the data's offset from it. */
  mapBase: bigint | null;
  mapOffset: bigint | null;
  align: bigint | null;
  meaning: Meaning | null;
  nsBase: bigint;
  nsSize: bigint;
  /** The failing rule id, when one decided the outcome. */
  failedRule: string | null;
  rules: RuleReport[];
  hazards: Hazard[];
  /**
   * What a DAX mount (fsdax) or /dev/daxX.Y (devdax) does with the claimed data: present on every claimed
   * fsdax and devdax verdict, absent otherwise.
   */
  dax?: DaxVerdict;
}

export interface CheckOptions {
  /**
   * A kernel version ('6.12', '5.15.3', 'linux-6.1') or profile name ('linux-latest', 'linux-4.x', 'map');
   * default linux-6.1.
   */
  kernel?: string;
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

function emptyVerdict(o: CheckOptions, profile: KernelProfile): Verdict {
  return {
    profile: profile.id,
    kernel: profile.version,
    observed: profile.observed && archParams(o.arch).name === 'x86_64',
    outcome: 'raw',
    kind: null,
    mode: null,
    errno: null,
    message: null,
    messages: [],
    // Raw until a personality claims it: the whole namespace is a plain disk.
    dataStart: 0n,
    dataSize: o.nsSize,
    mapBase: null,
    mapOffset: null,
    align: null,
    meaning: null,
    nsBase: o.nsBase ?? 0n,
    nsSize: o.nsSize,
    failedRule: null,
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
    ? 'BTT arena info-block at 4096 on a label-less namespace: not claimed (observed on Linux 6.1), the ' +
      'namespace stays raw'
    : `BTT arena info-block at 4096: checksum ${b.checksumValid ? 'ok' : 'bad'}, ` +
      `parent_uuid ${uuidOk ? 'matches' : 'differs'} (arena layout not validated further)`;
  v.rules.push({ id: 'B1', name: 'btt-arena', passed, detail, basis: v.observed ? 'observed' : 'source' });
  if (passed) {
    v.outcome = 'claimed';
    v.kind = 'btt';
    v.dataStart = null; // a BTT maps sectors through its arenas: no linear data start
    v.dataSize = null;
  } else v.failedRule = 'B1';
  return v;
}

/** Which evidence a rule's behaviour in this profile rests on. */
function basisOf(profile: KernelProfile, arch: ArchParams, stage: string): RuleReport['basis'] {
  if (stage === 'convention') return 'convention';
  return profile.observed && arch.name === 'x86_64' ? 'observed' : 'source';
}

function refuse(v: Verdict, errno: number | null, message: string | undefined): Verdict {
  v.outcome = 'refused';
  v.errno = errno;
  v.message = message ?? null;
  v.dataStart = null;
  v.dataSize = null;
  return v;
}

/**
 * The byte quantities of `o` checked: `nsSize` (and `nsBase` when given) must be bigints in u64 range; a
 * number is a typed invalid-argument error naming the parameter.
 */
export function expectNamespace(o: CheckOptions): void {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('options: must be an object with nsSize');
  expectU64(o.nsSize, 'nsSize');
  if (o.nsBase !== undefined) expectSpan(expectU64(o.nsBase, 'nsBase'), o.nsSize);
}

/** A claimed verdict: where the data lands, and what a DAX mapping of it does. */
function claim(
  v: Verdict,
  g: ReturnType<typeof geometryOf>,
  o: { profile: string; arch: ArchParams['name']; kind: 'pfn' | 'dax'; mode: number },
): void {
  v.outcome = 'claimed';
  v.kind = o.kind;
  v.mode = o.mode === 1 ? 'ram' : 'pmem';
  v.meaning = g.meaning;
  v.align = g.align;
  v.mapBase = g.mapBase;
  v.mapOffset = g.offset;
  v.dataStart = g.dataStart;
  v.dataSize = g.dataSize > 0n ? g.dataSize : 0n;
  v.message = v.messages.at(-1) ?? null;
  v.dax = daxVerdictOf({
    kernel: o.profile,
    arch: o.arch,
    kind: o.kind,
    mode: v.mode,
    startPad: g.startPad,
    dataoff: g.offset < 0n ? 0n : g.offset,
    dataSize: v.dataSize,
  });
}

/**
 * Evaluate one decoded nd_pfn block under one profile (no hazards). `toJson` (src/format/json.ts) gives
 * the verdict's snake_case JSON.
 */
export function checkBlock(block: DecodedPfnBlock, o: CheckOptions): Verdict {
  expectDecodedBlock(block, 'block');
  expectFields(o, 'o', { nsSize: 'bigint' });
  expectNamespace(o);
  const profile = profileForKernel(o.kernel ?? DEFAULT_PROFILE);
  const arch = archParams(o.arch);
  const v = emptyVerdict(o, profile);
  const f = block.fields;
  const effective = gateFields(f, { pageSize: arch.pageSize, knowsMinor4: knowsMinor4(profile.version) });
  const g = geometryOf({
    fields: f,
    effective,
    base: o.nsBase ?? 0n,
    size: o.nsSize,
    meaning: profile.meaningOf(f.versionMajor),
  });
  const base = {
    version: profile.version,
    arch,
    sectionAlign: arch.compatAlign,
    expect: o.expect ?? 'any',
    kind: block.kind,
    fields: f,
    checksumValid: block.checksumValid,
    nsUuid: o.parentUuid ?? NIL_UUID,
    nsName: o.nsName ?? 'namespace0.0',
    g,
    reserve: reserveBytes(profile.version, arch.pageSize, block.kind),
    logsRegionConflict: logsRegionConflict(profile.version),
  };
  const kind = block.kind === 'dax' ? 'dax' : 'pfn';
  for (const rule of profile.rules) {
    const ctx: RuleCtx = { ...base, era: rule.era };
    const r = rule.test(ctx);
    v.rules.push({
      id: rule.id,
      name: rule.name,
      passed: r.passed,
      detail: r.detail,
      basis: basisOf(profile, arch, rule.stage),
    });
    if (r.message !== undefined) v.messages.push(r.message);
    if (r.passed || rule.era.effect === 'info') continue;
    v.failedRule = rule.id;
    if (rule.era.effect === 'raw') {
      if (rule.id !== 'R1') v.kind = block.kind === 'pfn' || block.kind === 'dax' ? block.kind : null;
      return v;
    }
    v.kind = kind;
    v.mode = f.mode === 1 ? 'ram' : f.mode === 2 ? 'pmem' : null;
    const errno = r.errno !== undefined ? r.errno : rule.era.errno;
    if (
      rule.era.effect === 'fail' &&
      errno !== null &&
      rule.stage === 'validate' &&
      !validationFailureRefuses(profile.version, errno)
    ) {
      // Before 5.7 (5.4 for -EOPNOTSUPP) the pmem probe falls back to a raw disk.
      v.outcome = 'raw';
      v.errno = errno;
      v.message = r.message ?? null;
      return v;
    }
    refuse(v, errno, r.message);
    if (r.crash === true) v.outcome = 'crashed';
    if (errno !== null && rule.stage !== 'setup') {
      const line = probeFailureLine(profile.version, 'nd_pmem', base.nsName, errno);
      if (line !== null) v.messages.push(line);
    }
    return v;
  }
  claim(v, g, { profile: profile.id, arch: arch.name, kind, mode: f.mode });
  return v;
}

/** The head's verdict (no hazards) and the PFN/DAX block it rests on, when there is one. */
export interface HeadVerdict {
  verdict: Verdict;
  block: DecodedPfnBlock | null;
}

/** A kernel's verdict on the 8 KiB head of a namespace, without the hazards other kernels pose. */
export function headVerdict(head: Uint8Array, o: CheckOptions): HeadVerdict {
  expectNamespace(o);
  const blocks = findBlocks(head);
  const btt = blocks.find((b): b is Extract<FoundBlock, { kind: 'btt' }> => b.kind === 'btt' && b.offset === 4096);
  const pfn = blocks.find(
    (b): b is Extract<FoundBlock, { kind: 'pfn' | 'dax' }> => b.kind === 'pfn' || b.kind === 'dax',
  );
  const profile = profileForKernel(o.kernel ?? DEFAULT_PROFILE);
  if (btt !== undefined && (o.expect ?? 'any') === 'any')
    return { verdict: bttVerdict(emptyVerdict(o, profile), btt, o), block: null };
  if (pfn === undefined) {
    const v = emptyVerdict(o, profile);
    const basis = v.observed ? 'observed' : 'source';
    v.rules.push({
      id: 'R1',
      name: 'signature',
      passed: false,
      detail: 'no NVDIMM_PFN_INFO / NVDIMM_DAX_INFO signature at 4096: not an info-block',
      basis,
    });
    v.failedRule = 'R1';
    return { verdict: v, block: null };
  }
  return { verdict: checkBlock(pfn.pfn, o), block: pfn.pfn };
}
