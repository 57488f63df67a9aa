/**
 * Structure-aware mutations of a valid seed. Each family says which outcome
 * class it aims at (a rule id whose check it should fail, 'S2' for the
 * truncated-npfns message, 'claimed') and builds one mutation: field changes
 * (applied with patchPfnBlock, so the checksum is fixed) and optionally a
 * byte-level edit applied after them, which leaves the checksum as it is
 * when the family aims at the checksum itself. Names are short and say
 * what changed relative to the seed, e.g. `dataoff=size-1`.
 */
import {
  BTT_SIGNATURE,
  DAX_SIGNATURE,
  effectiveFields,
  PFN_SIGNATURE,
  type Meaning,
  type PfnFields,
} from '../format/pfn';
import { kernelAlign } from '../validate/geometry';
import { CHECKSUM_OFFSET } from '../format/sb-common';
import { NIL_UUID } from '../format/uuid';
import type { Prng } from './prng';
import type { Seed } from './seeds';
import { hex, SZ_2M, SZ_4K, U64_MAX } from '../format/int64';

export type Target = string; // a rule id, 'S2', 'claimed' or 'any'

/** parent_uuid value meaning "copy this input's (random) uuid". */
export const SAME_AS_UUID = 'ffffffff-0000-0000-0000-5a3e5a3e5a3e';

export interface MutationCtx {
  rng: Prng;
  seed: Seed;
  f: PfnFields;
  base: bigint;
  size: bigint;
  /** How the chosen profile reads this seed's dataoff. */
  meaning: Meaning;
}

export interface Mutation {
  name: string;
  changes: Partial<PfnFields>;
  /** Byte edit after the field changes. */
  edit?: (block: Uint8Array) => void;
  /** Leave the checksum as the edit left it (the checksum-aimed cases). */
  keepChecksum?: boolean;
}

export interface Family {
  id: string;
  aims: readonly Target[];
  make(c: MutationCtx): Mutation | null;
}

const U32 = 0xffffffff;
const U32N = 0xffffffffn;
const fitsU32 = (n: bigint): boolean => n >= 0n && n <= U32N;
const fitsU64 = (n: bigint): boolean => n >= 0n && n <= U64_MAX;

/** The align in force (rule 6) for the seed's gated align field and the kernel's offset. */
const alignOf = (f: PfnFields, offset: bigint): bigint => kernelAlign(effectiveFields(f).align, offset);
const startPadOf = (f: PfnFields): bigint => effectiveFields(f).startPad;
const endTruncOf = (f: PfnFields): bigint => effectiveFields(f).endTrunc;
/** The kernel's offset (from base + start_pad) of the seed. */
const offsetOf = (c: MutationCtx): bigint => (c.meaning === 'map' ? c.f.dataoff - startPadOf(c.f) : c.f.dataoff);
/** dataoff that gives the kernel offset `off` under the profile's meaning. */
const dataoffFor = (c: MutationCtx, off: bigint): bigint => (c.meaning === 'map' ? off + startPadOf(c.f) : off);

type Choice = [string, Partial<PfnFields>];

function pickChoice(c: MutationCtx, prefix: string, choices: readonly Choice[]): Mutation | null {
  const ok = choices.filter(([, ch]) => valid(ch));
  if (ok.length === 0) return null;
  const [name, changes] = c.rng.pick(ok);
  return { name: prefix === '' ? name : `${prefix},${name}`, changes };
}

/** Field values patchPfnBlock can encode (a mutation never asks for more). */
function valid(ch: Partial<PfnFields>): boolean {
  for (const k of ['flags', 'mode'] as const) {
    const v = ch[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= U32)) return false;
  }
  for (const k of ['startPad', 'endTrunc', 'align', 'pageSize'] as const) {
    const v = ch[k];
    if (v !== undefined && !fitsU32(v)) return false;
  }
  for (const k of ['versionMajor', 'versionMinor'] as const) {
    const v = ch[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 0xffff)) return false;
  }
  const pss = ch.pageStructSize;
  if (pss !== undefined && !(pss >= 0n && pss <= 0xffffn)) return false;
  for (const k of ['dataoff', 'npfns'] as const) {
    const v = ch[k];
    if (v !== undefined && !fitsU64(v)) return false;
  }
  return true;
}

/** PMEM is needed for rules 7, 8 and the npfns message: switch a RAM seed over and say so. */
const pmem = (c: MutationCtx): [string, Partial<PfnFields>] => (c.f.mode === 2 ? ['', {}] : ['mode=2', { mode: 2 }]);
const fsdax = (c: MutationCtx): [string, Partial<PfnFields>] =>
  c.seed.params.mode === 'devdax' ? ['sig=pfn', { signature: PFN_SIGNATURE.slice() }] : ['', {}];

const MIB = 1n << 20n;

/**
 * The DAX classes a corpus aims at: the start_pad geometry (0; above 0 but not above dataoff; above
 * dataoff, as 4.x kernels padded) times where the memmap lives. Each class has its own DAX outcome per
 * kernel (see src/validate/dax-verdict.ts); the manifest row carries them.
 */
export const DAX_TARGETS: readonly Target[] = [
  'dax-aligned-ram',
  'dax-aligned-pmem',
  'dax-pad-below-ram',
  'dax-pad-below-pmem',
  'dax-pad-above-ram',
  'dax-pad-above-pmem',
];

/** start_pad 0: the seed as it is, when its base is aligned. */
function daxAligned(c: MutationCtx): Mutation | null {
  return c.f.startPad === 0n ? { name: 'dax:start_pad=0', changes: {} } : null;
}

/** `0 < start_pad <= dataoff`: the seed's own 1 MiB pad, or 2 MiB more on an aligned base. */
function daxPadBelow(c: MutationCtx): Mutation | null {
  const pad = c.f.startPad;
  if (pad > 0n) return pad <= c.f.dataoff ? { name: 'dax:start_pad kept', changes: {} } : null;
  if (2n * MIB > c.f.dataoff || c.f.dataoff + 4n * MIB + c.f.endTrunc > c.size) return null;
  return { name: 'dax:start_pad=2M', changes: { startPad: 2n * MIB } };
}

/** start_pad above dataoff: 64 MiB more padding, as a 4.x kernel placed a namespace on a section boundary. */
function daxPadAbove(c: MutationCtx): Mutation | null {
  const pad = c.f.startPad + 64n * MIB;
  if (pad <= c.f.dataoff || pad + c.f.dataoff + c.f.endTrunc + 2n * MIB > c.size) return null;
  return { name: 'dax:start_pad+=64M', changes: { startPad: pad } };
}

const DAX_FAMILIES: readonly Family[] = [
  { id: 'dax-aligned', aims: ['dax-aligned-ram', 'dax-aligned-pmem'], make: daxAligned },
  { id: 'dax-pad-below', aims: ['dax-pad-below-ram', 'dax-pad-below-pmem'], make: daxPadBelow },
  { id: 'dax-pad-above', aims: ['dax-pad-above-ram', 'dax-pad-above-pmem'], make: daxPadAbove },
];

export const FAMILIES: readonly Family[] = [
  { id: 'seed', aims: ['claimed'], make: () => ({ name: 'seed', changes: {} }) },
  {
    id: 'benign',
    aims: ['claimed'],
    make: (c) => {
      const f = c.f;
      const choices: Choice[] = [
        ['flags=random', { flags: c.rng.u32() }],
        ['flags=0xffffffff', { flags: U32 }],
        ['version_major=0', { versionMajor: 0 }],
        ['version_major=1', { versionMajor: 1 }],
        ['version_minor=5', { versionMinor: 5 }],
        ['npfns=0', { npfns: 0n }],
        ['npfns=npfns-1', { npfns: f.npfns === 0n ? 0n : f.npfns - 1n }],
        ['page_size=0', { pageSize: 0n }],
        ['page_size=512', { pageSize: 512n }],
        ['page_struct_size=128', { pageStructSize: 128n }],
        ['page_struct_size=0xffff', { pageStructSize: 0xffffn }],
        ['uuid=nil', { uuid: NIL_UUID }],
      ];
      if (c.rng.chance(1, 6)) {
        const at = 94 + c.rng.below(CHECKSUM_OFFSET - 94);
        const v = 1 + c.rng.below(255);
        return { name: `padding[${at}]=${hex(v)}`, changes: {}, edit: (b) => void (b[at] = v) };
      }
      return pickChoice(c, '', choices);
    },
  },
  {
    id: 'signature',
    aims: ['R1'],
    make: (c) => {
      const r = c.rng.below(4);
      if (r === 0) {
        const at = c.rng.below(16);
        const bit = c.rng.below(8);
        return {
          name: `signature[${at}]^=${hex(1 << bit)}`,
          changes: {},
          edit: (b) => void (b[at] = (b[at] ?? 0) ^ (1 << bit)),
        };
      }
      if (r === 1) return { name: 'signature=zero', changes: { signature: new Uint8Array(16) } };
      if (r === 2) return { name: 'signature[15]=0x20', changes: {}, edit: (b) => void (b[15] = 0x20) };
      return { name: 'signature=lowercase', changes: {}, edit: (b) => void (b[0] = 0x6e) };
    },
  },
  {
    id: 'checksum',
    aims: ['R2'],
    make: (c) => {
      const r = c.rng.below(6);
      const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (r === 0) {
        const bit = BigInt(c.rng.below(64));
        return {
          name: `checksum^=1<<${bit}`,
          changes: {},
          keepChecksum: true,
          edit: (b) =>
            dv(b).setBigUint64(CHECKSUM_OFFSET, dv(b).getBigUint64(CHECKSUM_OFFSET, true) ^ (1n << bit), true),
        };
      }
      if (r === 1)
        return {
          name: 'checksum=0',
          changes: {},
          keepChecksum: true,
          edit: (b) => dv(b).setBigUint64(CHECKSUM_OFFSET, 0n, true),
        };
      if (r === 2)
        return {
          name: 'checksum=~checksum',
          changes: {},
          keepChecksum: true,
          edit: (b) => dv(b).setBigUint64(CHECKSUM_OFFSET, ~dv(b).getBigUint64(CHECKSUM_OFFSET, true) & U64_MAX, true),
        };
      if (r === 3)
        return {
          name: 'checksum=big-endian',
          changes: {},
          keepChecksum: true,
          edit: (b) => dv(b).setBigUint64(CHECKSUM_OFFSET, dv(b).getBigUint64(CHECKSUM_OFFSET, true), false),
        };
      if (r === 4) {
        return {
          name: 'checksum=hi<->lo',
          changes: {},
          keepChecksum: true,
          edit: (b) => {
            const v = dv(b).getBigUint64(CHECKSUM_OFFSET, true);
            dv(b).setBigUint64(CHECKSUM_OFFSET, ((v & 0xffffffffn) << 32n) | (v >> 32n), true);
          },
        };
      }
      // A field changed after the checksum was computed (stale checksum).
      return {
        name: 'stale-checksum,dataoff+=4K',
        changes: {},
        keepChecksum: true,
        edit: (b) => dv(b).setBigUint64(56, (dv(b).getBigUint64(56, true) + SZ_4K) & U64_MAX, true),
      };
    },
  },
  {
    id: 'parent-uuid',
    aims: ['R3'],
    make: (c) =>
      pickChoice(c, '', [
        ['parent_uuid=uuid', { parentUuid: SAME_AS_UUID }],
        ['parent_uuid=random', { parentUuid: c.rng.uuid() }],
        ['parent_uuid=00..01', { parentUuid: '00000000-0000-0000-0000-000000000001' }],
        ['parent_uuid=ff..ff', { parentUuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }],
      ]),
  },
  {
    id: 'mode',
    aims: ['R5'],
    make: (c) =>
      pickChoice(
        c,
        '',
        ([0, 3, 4, 0x7fffffff, 0x80000001, U32] as const).map((m): Choice => [`mode=${hex(m)}`, { mode: m }]),
      ),
  },
  {
    id: 'page-size',
    aims: ['R7'],
    make: (c) => {
      const [p, ch] = pmem(c);
      return pickChoice(
        c,
        p,
        [4097n, 8192n, 65536n, 0x80000000n, U32N].map((v): Choice => [`page_size=${v}`, { ...ch, pageSize: v }]),
      );
    },
  },
  {
    id: 'struct-page',
    aims: ['R8'],
    make: (c) => {
      const [p, ch] = pmem(c);
      return pickChoice(
        c,
        p,
        [0n, 1n, 32n, 63n].map((v): Choice => [`page_struct_size=${v}`, { ...ch, pageStructSize: v }]),
      );
    },
  },
  {
    id: 'dax-align',
    aims: ['R9'],
    make: (c) => {
      const sig: Choice =
        c.seed.params.mode === 'devdax' ? ['', {}] : ['sig=dax', { signature: DAX_SIGNATURE.slice() }];
      const choices: Choice[] = [
        8192n,
        65536n,
        1n << 20n,
        4n << 20n,
        16n << 20n,
        SZ_2M - 1n,
        SZ_2M + 1n,
        SZ_2M + SZ_4K,
        (1n << 30n) - SZ_4K,
        1n << 31n,
      ].map((a): Choice => [`align=${hex(a)}`, { ...sig[1], align: a }]);
      const p = alignOf({ ...c.f, align: 0n }, offsetOf(c));
      if (p !== SZ_4K && p !== SZ_2M && p !== 1n << 30n) choices.push([`align=0(${hex(p)})`, { ...sig[1], align: 0n }]);
      return pickChoice(c, sig[0], choices);
    },
  },
  {
    id: 'align-capacity',
    aims: ['R10'],
    make: (c) => {
      const [p, ch] = fsdax(c);
      const pow = 1n << BigInt(c.size.toString(2).length);
      const cands: Choice[] = [
        ['align=0xffffffff', { align: U32N }],
        ['align=pow2>size', { align: pow }],
        ['align=size+1', { align: c.size + 1n }],
        ['align=0x80000000', { align: 0x80000000n }],
      ];
      return pickChoice(
        c,
        p,
        cands
          .filter(([, x]) => x.align !== undefined && x.align > c.size && fitsU32(x.align))
          .map(([n, x]): Choice => [n, { ...ch, ...x }]),
      );
    },
  },
  {
    id: 'dataoff-capacity',
    aims: ['R11'],
    make: (c) => {
      const a = alignOf(c.f, offsetOf(c));
      const cands: [string, bigint][] = [
        ['dataoff=size', c.size],
        ['dataoff=size+1', c.size + 1n],
        ['dataoff=size+4K', c.size + SZ_4K],
        ['dataoff=size+align', c.size + a],
        ['dataoff=2^32', 1n << 32n],
        ['dataoff=2^53', 1n << 53n],
        ['dataoff=2^53+1', (1n << 53n) + 1n],
        ['dataoff=2^63', 1n << 63n],
        ['dataoff=2^64-1', U64_MAX],
      ];
      return pickChoice(
        c,
        '',
        cands.filter(([, d]) => d >= c.size && fitsU64(d)).map(([n, d]): Choice => [n, { dataoff: d }]),
      );
    },
  },
  {
    id: 'bad-offset',
    aims: ['R12'],
    make: (c) => {
      const d = c.f.dataoff;
      const a = alignOf(c.f, offsetOf(c));
      const cands: [string, bigint][] = [
        ['dataoff+=1', d + 1n],
        ['dataoff-=1', d - 1n],
        ['dataoff+=512', d + 512n],
        ['dataoff=align-1', dataoffFor(c, a - 1n)],
        ['dataoff=align+1', dataoffFor(c, a + 1n)],
      ];
      if (a > SZ_4K)
        cands.push(
          ['dataoff+=4K', d + SZ_4K],
          ['dataoff-=4K', d - SZ_4K],
          ['dataoff=align+4K', dataoffFor(c, a + SZ_4K)],
        );
      const sp = startPadOf(c.f);
      if (sp !== 0n && c.meaning === 'legacy') cands.push(['dataoff+=start_pad', d + sp]);
      return pickChoice(
        c,
        '',
        cands.filter(([, v]) => v >= 0n && v < c.size).map(([n, v]): Choice => [n, { dataoff: v }]),
      );
    },
  },
  {
    id: 'start-misaligned',
    aims: ['R13'],
    make: (c) => {
      // align 4K keeps rule 12 quiet (data start stays page aligned) so rule 13 decides.
      const sp = startPadOf(c.f);
      const cands: [string, bigint][] = [
        ['start_pad+=4K', sp + SZ_4K],
        ['start_pad-=4K', sp - SZ_4K],
        ['start_pad+=1M', sp + (1n << 20n)],
        ['start_pad=2M-4K', SZ_2M - SZ_4K],
      ];
      const base = c.base;
      return pickChoice(
        c,
        'align=4K',
        cands
          .filter(([, v]) => fitsU32(v) && (base + v) % SZ_2M !== 0n)
          .map(([n, v]): Choice => [
            n,
            { align: SZ_4K, startPad: v, dataoff: c.meaning === 'map' ? c.f.dataoff - sp + v : c.f.dataoff },
          ]),
      );
    },
  },
  {
    id: 'end-misaligned',
    aims: ['R14'],
    make: (c) => {
      const et = endTruncOf(c.f);
      const cands: [string, bigint][] = [
        ['end_trunc+=4K', et + SZ_4K],
        ['end_trunc-=4K', et - SZ_4K],
        ['end_trunc+=1', et + 1n],
        ['end_trunc+=1M', et + (1n << 20n)],
        ['end_trunc=0', 0n],
        ['end_trunc=0xffffffff', U32N],
      ];
      return pickChoice(
        c,
        '',
        cands
          .filter(([, v]) => fitsU32(v) && (c.base + c.size - v) % SZ_2M !== 0n)
          .map(([n, v]): Choice => [n, { endTrunc: v }]),
      );
    },
  },
  {
    id: 'reserve',
    aims: ['S1'],
    make: (c) =>
      pickChoice(c, 'align=4K', [
        ['mode=ram,dataoff=0', { mode: 1, align: SZ_4K, dataoff: dataoffFor(c, 0n) }],
        ['mode=ram,dataoff=4K', { mode: 1, align: SZ_4K, dataoff: dataoffFor(c, SZ_4K) }],
        ['mode=pmem,dataoff=0', { mode: 2, align: SZ_4K, dataoff: dataoffFor(c, 0n) }],
        ['mode=pmem,dataoff=4K', { mode: 2, align: SZ_4K, dataoff: dataoffFor(c, SZ_4K) }],
      ]),
  },
  {
    // 6.1 has no rule 15: end_trunc 2M and an offset 4K past the usable end
    // pass validation and reach the setup stage with a negative data area.
    id: 'negative-area',
    aims: ['S1b'],
    make: (c) => {
      const sp = startPadOf(c.f);
      const off = c.size - sp - SZ_2M + SZ_4K;
      if (off <= 8192n || off >= c.size) return null;
      // Where rule 15 exists it is u64 arithmetic: start_pad + end_trunc > size
      // wraps the room and passes, and the negative area reaches setup too.
      const sp2 = sp + SZ_2M;
      const et2 = c.size + (c.base % SZ_2M);
      const wrap: Choice = [
        'start_pad+=2M,end_trunc>size',
        {
          align: SZ_4K,
          startPad: sp2,
          endTrunc: et2,
          dataoff: c.meaning === 'map' ? sp2 + SZ_2M : SZ_2M,
        },
      ];
      return pickChoice(c, 'align=4K', [
        ['end_trunc=2M,dataoff=end+4K', { align: SZ_4K, endTrunc: SZ_2M, dataoff: dataoffFor(c, off) }],
        ...(fitsU32(sp2) && fitsU32(et2) ? [wrap] : []),
      ]);
    },
  },
  {
    // devdax with align 0: rule 6's default passes validation, the dax region does not.
    id: 'dax-align-zero',
    aims: ['S3'],
    make: (c) =>
      pickChoice(c, 'sig=dax,dataoff=2M', [
        ['align=0', { signature: DAX_SIGNATURE.slice(), align: 0n, dataoff: dataoffFor(c, SZ_2M) }],
        ['version_minor=1', { signature: DAX_SIGNATURE.slice(), versionMinor: 1, dataoff: dataoffFor(c, SZ_2M) }],
      ]),
  },
  {
    // Mode PMEM with little room before the data: a whole 128 MiB section's
    // memmap (2 MiB) does not fit in the altmap, and the probe fails with -ENOMEM.
    id: 'memmap-room',
    aims: ['S4'],
    // (A namespace without a whole section never fails this way; the mutation
    // still applies, so a corpus of one small size does not starve the target.)
    make: (c) =>
      pickChoice(c, 'sig=pfn,mode=pmem,align=4K', [
        ['dataoff=12K', { signature: PFN_SIGNATURE.slice(), mode: 2, align: SZ_4K, dataoff: dataoffFor(c, 12288n) }],
        ['dataoff=2M', { signature: PFN_SIGNATURE.slice(), mode: 2, align: SZ_4K, dataoff: dataoffFor(c, SZ_2M) }],
      ]),
  },
  {
    id: 'npfns',
    aims: ['S2'],
    make: (c) => {
      const [p, ch] = pmem(c);
      const room = c.size - startPadOf(c.f) - endTruncOf(c.f) - offsetOf(c);
      const fit = room > 0n ? room / SZ_4K : 0n;
      const cands: [string, bigint][] = [
        ['npfns=fit+1', fit + 1n],
        ['npfns=npfns0', (c.size - 8192n) / SZ_4K],
        ['npfns=2^32', 1n << 32n],
        ['npfns=2^63', 1n << 63n],
        ['npfns=2^64-1', U64_MAX],
      ];
      return pickChoice(
        c,
        p,
        cands.map(([n, v]): Choice => [n, { ...ch, npfns: v }]),
      );
    },
  },
  {
    id: 'small-namespace',
    aims: ['R15'],
    make: (c) => {
      // end_trunc that leaves exactly dataoff (or 2 MiB less) of room: 6.1 claims a zero-byte device,
      // later kernels refuse.
      const room = c.size - startPadOf(c.f) - offsetOf(c);
      return pickChoice(
        c,
        '',
        (
          [
            ['end_trunc=size-start_pad-offset', room],
            ['end_trunc=size-start_pad-offset+2M', room + SZ_2M],
          ] as const
        )
          .filter(([, v]) => fitsU32(v) && v + startPadOf(c.f) + offsetOf(c) <= c.size + SZ_2M)
          .map(([n, v]): Choice => [n, { endTrunc: v }]),
      );
    },
  },
  {
    id: 'min-version',
    aims: ['M1'],
    make: (c) =>
      pickChoice(
        c,
        '',
        ([3, 4, 0xffff] as const).map((v): Choice => [`version_major=${v}`, { versionMajor: v }]),
      ),
  },
  {
    id: 'map-offset',
    aims: ['M2'],
    make: (c) => {
      const sp = startPadOf(c.f);
      if (sp === 0n) return null;
      return pickChoice(c, 'version_major=2', [
        ['dataoff=start_pad-4K', { versionMajor: 2, dataoff: sp - SZ_4K }],
        ['dataoff=start_pad-1', { versionMajor: 2, dataoff: sp - 1n }],
        ['dataoff=0', { versionMajor: 2, dataoff: 0n }],
      ]);
    },
  },
  {
    id: 'version',
    aims: ['any'],
    make: (c) => {
      const major = c.rng.below(4);
      const minor = c.rng.below(6);
      return { name: `version=${major}.${minor}`, changes: { versionMajor: major, versionMinor: minor } };
    },
  },
  {
    id: 'signature-kind',
    aims: ['any'],
    make: (c) =>
      pickChoice(c, '', [
        ['signature=btt', { signature: BTT_SIGNATURE.slice() }],
        ['signature=pfn', { signature: PFN_SIGNATURE.slice() }],
        ['signature=dax', { signature: DAX_SIGNATURE.slice() }],
      ]),
  },
  {
    id: 'boundary',
    aims: ['any'],
    make: (c) => {
      const f = c.f;
      const a = alignOf(f, offsetOf(c));
      const u32s: readonly number[] = [
        0,
        1,
        4095,
        4096,
        4097,
        8191,
        8192,
        8193,
        0x1fffff,
        0x200000,
        0x200001,
        0x100000,
        0x7fffffff,
        0x80000000,
        U32 - 1,
        U32,
      ];
      const u64s: readonly bigint[] = [
        0n,
        1n,
        8191n,
        8192n,
        8193n,
        a - 1n,
        a,
        a + 1n,
        c.size - 1n,
        c.size,
        c.size - SZ_4K,
        c.size - a,
        f.dataoff + SZ_4K,
        f.dataoff - SZ_4K,
        (1n << 32n) - 1n,
        1n << 32n,
        (1n << 32n) + 1n,
        1n << 53n,
        (1n << 53n) + 1n,
        U64_MAX - 1n,
        U64_MAX,
      ];
      const field = c.rng.pick([
        'dataoff',
        'npfns',
        'startPad',
        'endTrunc',
        'align',
        'pageSize',
        'pageStructSize',
        'flags',
        'mode',
      ] as const);
      const key = {
        dataoff: 'dataoff',
        npfns: 'npfns',
        startPad: 'start_pad',
        endTrunc: 'end_trunc',
        align: 'align',
        pageSize: 'page_size',
        pageStructSize: 'page_struct_size',
        flags: 'flags',
        mode: 'mode',
      }[field];
      if (field === 'dataoff' || field === 'npfns') {
        const v = c.rng.pick(u64s.filter(fitsU64));
        return { name: `${key}=${hex(v)}`, changes: { [field]: v } };
      }
      const pool = field === 'pageStructSize' ? [0, 1, 63, 64, 65, 0x7fff, 0xffff] : u32s;
      const v = c.rng.pick(pool);
      // flags and mode are numbers; the other fields count bytes (bigints).
      const changes: Partial<PfnFields> =
        field === 'flags' || field === 'mode' ? { [field]: v } : { [field]: BigInt(v) };
      return { name: `${key}=${hex(v)}`, changes };
    },
  },
  ...DAX_FAMILIES,
];

export const FAMILY_BY_ID: ReadonlyMap<string, Family> = new Map(FAMILIES.map((f) => [f.id, f]));
