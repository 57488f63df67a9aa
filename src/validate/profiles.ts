/**
 * Kernel profiles as data (STYLE.md #7): the parameters of a kernel and
 * architecture, and the ordered list of rules it applies. A profile for
 * another kernel is another list, not another branch in the checker.
 */
import { LEGACY_41_RULES, LINUX_61_RULES, LINUX_LATEST_RULES, MAP_RULES, type Rule } from './rules';

export type Arch = 'x86_64' | 'ppc64';
export type ProfileId = 'linux-6.1' | 'linux-latest' | 'linux-4.x' | 'map';
export const PROFILE_IDS: readonly ProfileId[] = ['linux-6.1', 'linux-latest', 'linux-4.x', 'map'];
export const LEGACY_PROFILE_IDS: readonly ProfileId[] = ['linux-4.x', 'linux-6.1', 'linux-latest'];

export interface ArchParams {
  pageSize: bigint;
  /** memremap_compat_align(): the granule of rules 13-14 on subsection kernels. */
  compatAlign: bigint;
  /** Alignments a devdax instance may use (nd_pfn_supported_alignments). */
  daxAlignments: readonly bigint[];
  /** nd_pfn_default_alignment(): a fresh pfn/dax seed's align (printed by rule 9). */
  defaultAlign: bigint;
}

export const ARCHES: Record<Arch, ArchParams> = {
  x86_64: { pageSize: 4096n, compatAlign: 2n << 20n, daxAlignments: [4096n, 2n << 20n, 1n << 30n], defaultAlign: 2n << 20n },
  ppc64: { pageSize: 65536n, compatAlign: 16n << 20n, daxAlignments: [65536n, 2n << 20n, 1n << 30n], defaultAlign: 2n << 20n },
};

export interface KernelProfile {
  id: ProfileId;
  description: string;
  /** Granule of the start/end alignment rules (section or subsection). */
  sectionAlign: (arch: ArchParams) => bigint;
  /** Before 5.3 a failed validation left the namespace raw instead of refusing it. */
  failureLeavesRaw: boolean;
  /** How a block is read: 'legacy' (base + start_pad + dataoff), or by major version. */
  meaningOf: (versionMajor: number) => 'legacy' | 'map';
  rules: readonly Rule[];
}

export const PROFILES: Record<ProfileId, KernelProfile> = {
  'linux-6.1': {
    id: 'linux-6.1',
    description: 'Linux 6.1 (Debian 12): rules 1-14, then the setup stage; no minimum-version rule',
    sectionAlign: (a) => a.compatAlign,
    failureLeavesRaw: false,
    meaningOf: () => 'legacy',
    rules: LINUX_61_RULES,
  },
  'linux-latest': {
    id: 'linux-latest',
    description: 'current mainline: linux-6.1 plus rule 15 (bad offset with small namespace)',
    sectionAlign: (a) => a.compatAlign,
    failureLeavesRaw: false,
    meaningOf: () => 'legacy',
    rules: LINUX_LATEST_RULES,
  },
  'linux-4.x': {
    id: 'linux-4.x',
    description: 'Linux 4.x: rules 1-5, 10-12 (IS_ALIGNED(dataoff, align)), 128 MiB sections; failures leave the namespace raw',
    sectionAlign: () => 128n << 20n,
    failureLeavesRaw: true,
    meaningOf: () => 'legacy',
    rules: LEGACY_41_RULES,
  },
  map: {
    id: 'map',
    description: 'a kernel with the "Fix section-alignment padding" series: major 2 = map meaning (data at base + dataoff), majors above 2 refused',
    sectionAlign: (a) => a.compatAlign,
    failureLeavesRaw: false,
    meaningOf: (major) => (major === 2 ? 'map' : 'legacy'),
    rules: MAP_RULES,
  },
};

export function isProfileId(s: string): s is ProfileId {
  return (PROFILE_IDS as readonly string[]).includes(s);
}
