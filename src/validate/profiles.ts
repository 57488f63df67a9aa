/**
 * Kernel profiles: a profile is a kernel version (4.19 .. the newest known)
 * or the project's map convention, read from the rule table (history.ts);
 * the architecture a profile runs on is arch.ts. The old names stay: linux-6.1,
 * linux-latest (the newest known), linux-4.x (4.19) and map.
 */
import { eraOf, RULE_TABLE } from './history';
import type { Era, Predicate } from './rules';
import { resolveKernel, type ResolvedKernel } from './versions';
import type { Meaning } from '../format/pfn';
import { expectFields, expectString } from '../format/guard';

/** The named profiles that predate version profiles (still accepted everywhere). */
export type ProfileId = 'linux-6.1' | 'linux-latest' | 'linux-4.x' | 'map';
export const PROFILE_IDS: readonly ProfileId[] = ['linux-6.1', 'linux-latest', 'linux-4.x', 'map'];
/** Kernels that read every block in the legacy meaning (hazard analysis of map blocks). */
export const LEGACY_PROFILE_IDS: readonly ProfileId[] = ['linux-4.x', 'linux-6.1', 'linux-latest'];

/** One rule as a profile runs it: its predicate and its era in that version. */
export interface ProfileRule {
  id: string;
  name: string;
  stage: 'validate' | 'convention' | 'setup';
  era: Era;
  /** What failing does in this version (validation failures: before the probe fallback). */
  onFail: 'raw' | 'refused' | 'info';
  errno: number | null;
  test: Predicate;
}

const onFailOf = (e: Era): ProfileRule['onFail'] => {
  if (e.effect === 'raw' || e.effect === 'info') return e.effect;
  return 'refused';
};

export interface KernelProfile {
  id: string;
  /** The series whose rules apply ('7.2' for map, which builds on the newest). */
  version: string;
  description: string;
  mapConvention: boolean;
  observed: boolean;
  /** How a block is read: 'legacy' (base + start_pad + dataoff), or by major version. */
  meaningOf: (versionMajor: number) => Meaning;
  /** The checks this version runs, in the kernel's order (absent eras left out). */
  rules: readonly ProfileRule[];
}

const CONVENTION_AFTER: Record<string, string> = { M1: 'R3', M2: 'R5' };

function rulesFor(version: string, mapConvention: boolean): ProfileRule[] {
  const out: ProfileRule[] = [];
  const checks = RULE_TABLE.filter((r) => r.test !== undefined && r.stage !== 'convention');
  for (const r of checks) {
    const e = eraOf(r.id, version);
    if (e.effect === 'absent' || r.test === undefined) continue;
    const stage = r.stage as ProfileRule['stage'];
    out.push({ id: r.id, name: r.name, stage, era: e, onFail: onFailOf(e), errno: e.errno, test: r.test });
  }
  if (mapConvention) {
    for (const r of RULE_TABLE.filter((x) => x.stage === 'convention')) {
      if (r.test === undefined) continue;
      const at = out.findIndex((x) => x.id === CONVENTION_AFTER[r.id]) + 1;
      const e: Era = { from: version, to: null, effect: 'fail', errno: 95, message: null, note: 'map convention' };
      const rule: ProfileRule = {
        id: r.id,
        name: r.name,
        stage: 'convention',
        era: e,
        onFail: 'refused',
        errno: e.errno,
        test: r.test,
      };
      out.splice(at, 0, rule);
    }
  }
  return out;
}

const cache = new Map<string, KernelProfile>();

/** The profile of a resolved kernel (memoised: profiles are immutable). */
export function profileOf(k: ResolvedKernel): KernelProfile {
  expectFields(k, 'k', { id: 'string', version: 'string', mapConvention: 'boolean', observed: 'boolean' });
  const hit = cache.get(k.id);
  if (hit !== undefined) return hit;
  const rules = rulesFor(k.version, k.mapConvention);
  const p: KernelProfile = {
    id: k.id,
    version: k.version,
    description: k.mapConvention
      ? 'the map convention (this project): major 2 = map meaning (data at base + dataoff), ' +
        'majors above 2 refused; otherwise the newest kernel'
      : `Linux ${k.version}:` +
        ` ${rules.map((r) => r.id).join(', ')}${k.observed ? '' : ' (interpolated from source, not observed)'}`,
    mapConvention: k.mapConvention,
    observed: k.observed,
    meaningOf: k.mapConvention ? (major) => (major === 2 ? 'map' : 'legacy') : () => 'legacy',
    rules,
  };
  cache.set(k.id, p);
  return p;
}

/**
 * The profile for a kernel value ('6.12', '5.15.3', 'linux-6.1',
 * 'linux-latest', 'map', ...): what the kernel matrix and migrate's guard
 * call. Unknown values are InvalidArgumentError (code 'invalid-argument').
 */
export function profileForKernel(spec: string): KernelProfile {
  expectString(spec, 'spec');
  return profileOf(resolveKernel(spec));
}

export const PROFILES: Record<ProfileId, KernelProfile> = {
  'linux-6.1': profileForKernel('linux-6.1'),
  'linux-latest': profileForKernel('linux-latest'),
  'linux-4.x': profileForKernel('linux-4.x'),
  map: profileForKernel('map'),
};

export function isProfileId(s: unknown): s is ProfileId {
  return typeof s === 'string' && (PROFILE_IDS as readonly string[]).includes(s);
}

/** True for any value profileForKernel accepts (false for a non-string). */
export function isKernelSpec(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    resolveKernel(s);
    return true;
  } catch {
    return false;
  }
}
