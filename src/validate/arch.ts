/**
 * The architectures the validator models and their parameters (page size,
 * memremap_compat_align, the devdax alignments, the default align). Their
 * own file: the rules read them and the profiles are built from the rules,
 * so they sit below both.
 */
import { InvalidArgumentError } from '../format/errors';
import { expectString } from '../format/guard';

export type Arch = 'x86_64' | 'ppc64-hash' | 'ppc64-radix' | 'ppc64';
export const ARCH_NAMES: readonly Arch[] = ['x86_64', 'ppc64-hash', 'ppc64-radix', 'ppc64'];
/** `ppc64` is kept as an alias of ppc64-hash (its 16 MiB compat align). */
export const ARCH_ALIASES: Partial<Record<Arch, Arch>> = { ppc64: 'ppc64-hash' };

export interface ArchParams {
  name: Arch;
  pageSize: bigint;
  /** memremap_compat_align(): the granule of rules 13-14 on subsection kernels. */
  compatAlign: bigint;
  /** Alignments a devdax instance may use (nd_pfn_supported_alignments). */
  daxAlignments: readonly bigint[];
  /** nd_pfn_default_alignment(): a fresh pfn/dax seed's align (printed by rule 9). */
  defaultAlign: bigint;
}

const K = 1024n;
const M = K * K;
const G = K * M;
const PPC64_HASH: ArchParams = {
  name: 'ppc64-hash',
  pageSize: 64n * K,
  compatAlign: 16n * M,
  daxAlignments: [64n * K, 16n * M],
  defaultAlign: 16n * M,
};
export const ARCHES: Record<Arch, ArchParams> = {
  x86_64: {
    name: 'x86_64',
    pageSize: 4n * K,
    compatAlign: 2n * M,
    daxAlignments: [4n * K, 2n * M, G],
    defaultAlign: 2n * M,
  },
  'ppc64-hash': PPC64_HASH,
  'ppc64-radix': {
    name: 'ppc64-radix',
    pageSize: 64n * K,
    compatAlign: 2n * M,
    daxAlignments: [64n * K, 2n * M, G],
    defaultAlign: 2n * M,
  },
  ppc64: PPC64_HASH,
};

export function archParams(a: string | undefined): ArchParams {
  if (a !== undefined) expectString(a, 'a');
  const name = a ?? 'x86_64';
  if (!(ARCH_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`unknown arch '${name}' (expected ${ARCH_NAMES.join(', ')}; ppc64 = ppc64-hash)`);
  }
  return ARCHES[name as Arch];
}
