/**
 * The real-kernel acceptance matrix: a deterministic list of small sparse
 * namespace images, each meant to exercise one validator rule or outcome
 * (see docs/kernel-agreement.md). A case is a namespace size, a base and the
 * recipe of its 8 KiB head: a block from the project's recipe (or from the
 * real `ndctl write-infoblock`), field patches with a fresh checksum, then
 * raw byte edits that deliberately leave the checksum stale.
 *
 * Bases are the bases the validator is asked about; the harness places each
 * namespace at a guest address congruent to it modulo >= 1 GiB, which keeps
 * every alignment the kernel tests (docs/kernel-harness.md).
 */

import { encodeBttBlock } from '../../src/format/btt';
import { BTT_SIGNATURE, encodePfnBlock, patchPfnBlock, type PfnFields } from '../../src/format/pfn';
import { headWithBlock, HEAD_SIZE } from '../../src/format/head';
import { recipeFields, type WriteParams } from '../../src/format/recipe';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

/** 4 GiB: aligned to everything up to 4 GiB. */
export const BASE_ALIGNED = 4n * GiB;
/** 1 MiB off a 2 MiB boundary. */
export const BASE_1M_OFF = 4n * GiB + 1n * MiB;
/** 4 KiB off a 2 MiB boundary. */
export const BASE_4K_OFF = 4n * GiB + 4n * KiB;
/** 2 MiB aligned, not 4 MiB aligned. */
export const BASE_2M = 4n * GiB + 2n * MiB;

export const UUID = '6b3e4f1a-8c2d-4e5f-9a0b-1c2d3e4f5a6b';
const OTHER_UUID = '11111111-2222-3333-4444-555555555555';
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export type FieldPatch = Partial<Omit<PfnFields, 'checksum'>>;

export interface MatrixCase {
  /** Stable, unique, file-name safe. */
  id: string;
  /** Rule or outcome the case is aimed at (R1..R14, S1, S2, legacy, ...). */
  group: string;
  /** One line for the disagreement table. */
  what: string;
  size: bigint;
  base: bigint;
  /** Where the block comes from: the project's recipe, the real ndctl binary (args after -o/-s), or nothing (zeros). */
  source:
    | { recipe: Omit<WriteParams, 'size' | 'uuid'> }
    | { ndctl: string[] }
    | { none: true }
    | { btt: { parentUuid: string } };
  /** Field changes, checksum recomputed. */
  patch?: FieldPatch;
  /** Raw edits of the 4 KiB block after patching (checksum left as it is). */
  raw?: { offset: number; bytes: number[] }[];
  /** Risky for the guest (e.g. a negative data area): booted in a batch of its own. */
  isolate?: boolean;
}

/** The 8 KiB head of a case whose source is not the ndctl binary (null when it is). */
export function headOf(c: MatrixCase): Uint8Array | null {
  if ('ndctl' in c.source) return null;
  if ('none' in c.source) return new Uint8Array(HEAD_SIZE);
  if ('btt' in c.source) return bttHead(c.size, c.source.btt.parentUuid);
  const fields = recipeFields({ ...c.source.recipe, size: c.size, uuid: UUID });
  return headWithBlock(encodePfnBlock(fields));
}

/** A plausible single-arena BTT head (info block at 4096, its copy at 0), valid checksums. */
function bttHead(size: bigint, parentUuid: string): Uint8Array {
  const lbas = Number((size - 2n * MiB) / 4096n);
  const block = encodeBttBlock({
    signature: BTT_SIGNATURE.slice(),
    uuid: UUID,
    parentUuid,
    flags: 0,
    versionMajor: 2,
    versionMinor: 0,
    externalLbasize: 4096n,
    externalNlba: lbas - 256,
    internalLbasize: 4096n,
    internalNlba: lbas,
    nfree: 256,
    infosize: 4096n,
    nextoff: 0n,
    dataoff: 4096n,
    mapoff: 4096n + BigInt(lbas) * 4096n,
    logoff: size - 2n * MiB + 512n * KiB,
    info2off: size - 4096n - 4096n,
    checksum: 0n,
  });
  const head = new Uint8Array(HEAD_SIZE);
  head.set(block, 0);
  head.set(block, 4096);
  return head;
}

/** Apply a case's patches and raw edits to a head (in place; returns it). */
export function applyEdits(c: MatrixCase, head: Uint8Array): Uint8Array {
  let block = head.subarray(4096, 8192);
  if (c.patch !== undefined) {
    block = patchPfnBlock(block, c.patch);
    head.set(block, 4096);
  }
  for (const r of c.raw ?? []) head.set(r.bytes, 4096 + r.offset);
  return head;
}

const hex = (x: bigint): string => `0x${x.toString(16)}`;
const sizeName = (s: bigint): string => (s % MiB === 0n ? `${s / MiB}M` : `${s / KiB}K`);
const baseName = (b: bigint): string => {
  if (b === BASE_ALIGNED) return 'aligned';
  if (b === BASE_1M_OFF) return '1Moff';
  if (b === BASE_4K_OFF) return '4Koff';
  if (b === BASE_2M) return '2M';
  return hex(b);
};

/** Recipe fields without building a case (to derive patches from the layout). */
function fieldsOf(size: bigint, recipe: Omit<WriteParams, 'size' | 'uuid'>): PfnFields {
  return recipeFields({ ...recipe, size, uuid: UUID });
}

function tryFields(size: bigint, recipe: Omit<WriteParams, 'size' | 'uuid'>): PfnFields | null {
  try {
    return fieldsOf(size, recipe);
  } catch {
    return null;
  }
}

/** The whole matrix, in a fixed order. */
export function matrixCases(): MatrixCase[] {
  const out: MatrixCase[] = [];
  const add = (c: MatrixCase): void => {
    if (out.some((o) => o.id === c.id)) throw new Error(`duplicate case id ${c.id}`);
    out.push(c);
  };
  const S64 = 64n * MiB;
  const S65 = 65n * MiB; // end_trunc 1 MiB at an aligned base
  const S128 = 128n * MiB;

  // --- 1. Layouts as producers write them: legacy (1.4), map (2.4) and ndctl -O meanings,
  //        fsdax/devdax, map=dev/mem, align 4K/2M, aligned and misaligned bases, two sizes.
  for (const meaning of ['legacy', 'map', 'ndctl'] as const) {
    for (const mode of ['fsdax', 'devdax'] as const) {
      for (const map of ['dev', 'mem'] as const) {
        for (const align of [4n * KiB, 2n * MiB]) {
          for (const base of [BASE_ALIGNED, BASE_1M_OFF, BASE_4K_OFF]) {
            for (const size of [S64, S65]) {
              const recipe = { mode, map, align, offset: base, meaning };
              if (tryFields(size, recipe) === null) continue;
              add({
                id: `layout-${meaning}-${mode}-${map}-a${align / KiB}K-${baseName(base)}-${sizeName(size)}`,
                group: meaning === 'legacy' ? 'legacy' : meaning === 'map' ? 'map (2.4)' : 'ndctl -O',
                what: `${meaning} ${mode} map=${map} align ${hex(align)} at ${baseName(base)} base, ${sizeName(size)}`,
                size,
                base,
                source: { recipe },
              });
            }
          }
        }
      }
    }
  }
  // A larger devdax namespace with 1 GiB alignment (R9 1G accepted).
  add({
    id: 'layout-legacy-devdax-dev-a1G-aligned-2048M',
    group: 'R9',
    what: 'devdax align 1 GiB on 2 GiB: accepted',
    size: 2n * GiB,
    base: BASE_ALIGNED,
    source: { recipe: { mode: 'devdax', map: 'dev', align: GiB, offset: BASE_ALIGNED } },
  });
  add({
    id: 'layout-legacy-fsdax-dev-a2M-2M-128M',
    group: 'legacy',
    what: 'fsdax 128M at a 2 MiB (not 4 MiB) base',
    size: S128,
    base: BASE_2M,
    source: { recipe: { mode: 'fsdax', map: 'dev', offset: BASE_2M } },
  });

  // --- 2. The real ndctl binary, with and without -O.
  for (const [i, args] of [
    ['-m', 'fsdax', '-M', 'dev'],
    ['-m', 'fsdax', '-M', 'mem'],
    ['-m', 'devdax', '-M', 'dev'],
    ['-m', 'devdax', '-M', 'mem'],
    ['-m', 'devdax', '-a', '4096'],
    ['-m', 'fsdax', '-a', '4096', '-M', 'mem'],
  ].entries()) {
    for (const base of [BASE_ALIGNED, BASE_1M_OFF]) {
      const withO = base === BASE_ALIGNED ? args : [...args, '-O', hex(base)];
      add({
        id: `ndctl-bin-${i}-${baseName(base)}`,
        group: 'ndctl -O',
        what: `ndctl write-infoblock ${withO.join(' ')} at ${baseName(base)} base`,
        size: S64,
        base,
        source: { ndctl: withO },
      });
    }
  }

  // Reference block for patching: legacy fsdax map=dev at an aligned base / 1 MiB off.
  const ref = (
    mode: 'fsdax' | 'devdax',
    map: 'dev' | 'mem',
    base: bigint,
    _size = S64,
  ): { recipe: Omit<WriteParams, 'size' | 'uuid'> } => ({ recipe: { mode, map, offset: base, meaning: 'legacy' } });
  const refFields = (mode: 'fsdax' | 'devdax', map: 'dev' | 'mem', base: bigint, size = S64): PfnFields =>
    fieldsOf(size, { mode, map, offset: base, meaning: 'legacy' });

  // --- 3. Version gating: minor 0..4 with the fields that matter, major 0..3.
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const base of [BASE_ALIGNED, BASE_1M_OFF]) {
      for (let minor = 0; minor <= 4; minor++) {
        const variants: [string, FieldPatch][] = [
          ['plain', {}],
          ['ps8K', { pageSize: 8192n }],
          ['pss32', { pageStructSize: 32n }],
          ['align4K', { align: 4096n }],
        ];
        for (const [vn, p] of variants) {
          add({
            id: `minor${minor}-${mode}-${baseName(base)}-${vn}`,
            group: 'version',
            what: `${mode} legacy block at ${baseName(base)} base, version 1.${minor}, ${vn}`,
            size: S64,
            base,
            source: ref(mode, 'dev', base),
            patch: { versionMinor: minor, ...p },
          });
        }
      }
      for (const major of [0, 2, 3, 0xffff]) {
        add({
          id: `major${major}-${mode}-${baseName(base)}`,
          group: 'version',
          what: `${mode} legacy block, version ${major}.4 (6.1 ignores the major)`,
          size: S64,
          base,
          source: ref(mode, 'dev', base),
          patch: { versionMajor: major },
        });
      }
    }
  }
  // Odd producers: version 0.2, mode RAM, zero uuids, npfns 0.
  for (const base of [BASE_ALIGNED, BASE_1M_OFF]) {
    const f = refFields('fsdax', 'mem', base);
    add({
      id: `odd-0.2-ram-${baseName(base)}`,
      group: 'version',
      what: 'image-builder style 0.2 block, mode RAM, zero uuid, npfns 0',
      size: S64,
      base,
      source: ref('fsdax', 'mem', base),
      patch: { versionMajor: 0, versionMinor: 2, uuid: ZERO_UUID, npfns: 0n, dataoff: f.dataoff },
    });
  }
  // Major 2 blocks (map meaning) on 6.1 at a misaligned base: 6.1 reads them as legacy.
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const map of ['dev', 'mem'] as const) {
      add({
        id: `map-major2-${mode}-${map}-1Moff-128M`,
        group: 'map (2.4)',
        what: `map-meaning 2.4 block, ${mode} map=${map}, 128M at 1 MiB off`,
        size: S128,
        base: BASE_1M_OFF,
        source: { recipe: { mode, map, offset: BASE_1M_OFF, meaning: 'map' } },
      });
    }
  }

  // --- 4. R7 page_size and R8 page_struct_size, in both modes.
  for (const map of ['dev', 'mem'] as const) {
    for (const ps of [0n, 2048n, 4096n, 8192n, 65536n, 0x80000000n]) {
      add({
        id: `R7-ps${ps}-${map}`,
        group: 'R7',
        what: `page_size ${ps}, map=${map}`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref('fsdax', map, BASE_ALIGNED),
        patch: { pageSize: ps },
      });
    }
    for (const pss of [0n, 32n, 63n, 64n, 65n, 128n, 0xffffn]) {
      add({
        id: `R8-pss${pss}-${map}`,
        group: 'R8',
        what: `page_struct_size ${pss}, map=${map}`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref('fsdax', map, BASE_ALIGNED),
        patch: { pageStructSize: pss },
      });
    }
  }

  // --- 5. R9 devdax alignments (and the same aligns on fsdax, which accepts any).
  for (const mode of ['devdax', 'fsdax'] as const) {
    for (const align of [4096n, 8192n, 16384n, 65536n, 1n << 20n, 2n << 20n, 4n << 20n, 3n << 20n, 1n << 30n, 0n]) {
      add({
        id: `R9-${mode}-a${align}`,
        group: 'R9',
        what: `${mode} align ${hex(align)}`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { align },
      });
    }
  }

  // --- 6. R10 align > size.
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const align of [32n << 20n, 64n << 20n, 128n << 20n, 1n << 31n]) {
      add({
        id: `R10-${mode}-a${align}`,
        group: 'R10',
        what: `${mode} align ${hex(align)} on 64M`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { align },
      });
    }
  }

  // --- 7. R11 dataoff >= size.
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const [n, d] of [
      ['eq', S64],
      ['plus2M', S64 + 2n * MiB],
      ['minus2M', S64 - 2n * MiB],
      ['huge', 1n << 62n],
      ['max', (1n << 64n) - 4096n],
    ] as const) {
      add({
        id: `R11-${mode}-${n}`,
        group: 'R11',
        what: `${mode} dataoff ${hex(d)} on 64M, align 2M`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { dataoff: d },
      });
    }
  }

  // --- 8. R12 both branches: data start not aligned; offset not a page multiple.
  for (const mode of ['fsdax', 'devdax'] as const) {
    const f = refFields(mode, 'dev', BASE_ALIGNED);
    add({
      id: `R12-start-${mode}-plus64K`,
      group: 'R12',
      what: `${mode} dataoff + 64K, align 2M`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: f.dataoff + 64n * KiB },
    });
    add({
      id: `R12-start-${mode}-plus1M`,
      group: 'R12',
      what: `${mode} dataoff + 1M, align 2M`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: f.dataoff + MiB },
    });
    add({
      id: `R12-start-${mode}-a4M`,
      group: 'R12',
      what: `${mode} dataoff 2M, align 4M`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: 2n * MiB, align: 4n << 20n },
    });
    add({
      id: `R12-page-${mode}-a512`,
      group: 'R12',
      what: `${mode} dataoff 2M+512, align 512 (start aligned, offset not a page multiple)`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: 2n * MiB + 512n, align: 512n },
    });
    add({
      id: `R12-page-${mode}-a1`,
      group: 'R12',
      what: `${mode} dataoff 2M+1, align 1`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: 2n * MiB + 1n, align: 1n },
    });
    add({
      id: `R12-page-${mode}-a2048`,
      group: 'R12',
      what: `${mode} dataoff 2M+2K, align 2K`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: 2n * MiB + 2048n, align: 2048n },
    });
    add({
      id: `R12-ok-${mode}-4Moff`,
      group: 'R12',
      what: `${mode} dataoff 4M, align 2M (accepted, larger offset)`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { dataoff: 4n * MiB },
    });
  }
  // The legacy block and its map twin at a 1 MiB-off base, with align 1M and non-power-of-two 3M.
  for (const align of [1n << 20n, 3n << 20n, 6n << 20n]) {
    add({
      id: `R12-legacy1Moff-a${align >> 20n}M`,
      group: 'R12',
      what: `fsdax legacy at 1 MiB off, align field ${hex(align)}`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref('fsdax', 'dev', BASE_1M_OFF),
      patch: { align },
    });
  }

  // --- 9. R13/R14: start/end misaligned.
  for (const mode of ['fsdax', 'devdax'] as const) {
    const f1 = refFields(mode, 'dev', BASE_1M_OFF);
    // start_pad dropped (align 4K so rule 12 passes): start misaligned.
    add({
      id: `R13-nopad-${mode}`,
      group: 'R13',
      what: `${mode} at 1 MiB off, start_pad 0, align 4K`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref(mode, 'dev', BASE_1M_OFF),
      patch: { startPad: 0n, align: 4096n, dataoff: f1.dataoff },
    });
    add({
      id: `R13-pad4K-${mode}`,
      group: 'R13',
      what: `${mode} aligned base, start_pad 4K, align 4K`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { startPad: 4096n, align: 4096n },
    });
    add({
      id: `R13-pad512K-${mode}`,
      group: 'R13',
      what: `${mode} at 1 MiB off, start_pad 512K, align 4K`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref(mode, 'dev', BASE_1M_OFF),
      patch: { startPad: 512n * 1024n, align: 4096n },
    });
    const f65 = refFields(mode, 'dev', BASE_ALIGNED, S65);
    add({
      id: `R14-notrunc-${mode}`,
      group: 'R14',
      what: `${mode} 65M at aligned base, end_trunc 0`,
      size: S65,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED, S65),
      patch: { endTrunc: 0n, dataoff: f65.dataoff },
    });
    add({
      id: `R14-trunc512K-${mode}`,
      group: 'R14',
      what: `${mode} 65M at aligned base, end_trunc 512K`,
      size: S65,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED, S65),
      patch: { endTrunc: 512n * 1024n },
    });
    add({
      id: `R14-trunc1M-64M-${mode}`,
      group: 'R14',
      what: `${mode} 64M at aligned base, end_trunc 1M`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { endTrunc: 1n << 20n },
    });
    add({
      id: `R14-1Moff-noTrunc-${mode}`,
      group: 'R14',
      what: `${mode} 64M at 1 MiB off, end_trunc 0`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref(mode, 'dev', BASE_1M_OFF),
      patch: { endTrunc: 0n },
    });
  }

  // --- 10. S1: mode RAM below the 8 KiB reserve; S2: npfns larger than the space.
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const d of [0n, 4096n, 8192n, 12288n]) {
      add({
        id: `S1-${mode}-d${d}`,
        group: 'S1',
        what: `${mode} map=mem dataoff ${d}, align 4K`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'mem', BASE_ALIGNED),
        patch: { dataoff: d, align: 4096n },
      });
    }
    for (const d of [0n, 4096n, 8192n]) {
      add({
        id: `S1-pmem-${mode}-d${d}`,
        group: 'S1',
        what: `${mode} map=dev dataoff ${d}, align 4K (PMEM: no reserve check)`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { dataoff: d, align: 4096n },
      });
    }
    const f = refFields(mode, 'dev', BASE_ALIGNED);
    const fit = (S64 - f.dataoff) / 4096n;
    for (const [n, v] of [
      ['fit', fit],
      ['fit+1', fit + 1n],
      ['40000', 40000n],
      ['2e32', 1n << 32n],
      ['2e63', 1n << 63n],
      ['max', (1n << 64n) - 1n],
    ] as const) {
      for (const map of ['dev', 'mem'] as const) {
        add({
          id: `S2-${mode}-${map}-${n}`,
          group: 'S2',
          what: `${mode} map=${map} npfns ${v}`,
          size: S64,
          base: BASE_ALIGNED,
          source: ref(mode, map, BASE_ALIGNED),
          patch: { npfns: v },
        });
      }
    }
  }
  // S2 with start_pad/end_trunc in the formula.
  add({
    id: 'S2-1Moff-fit+1',
    group: 'S2',
    what: 'fsdax legacy at 1 MiB off, npfns one more than fits',
    size: S64,
    base: BASE_1M_OFF,
    source: ref('fsdax', 'dev', BASE_1M_OFF),
    patch: { npfns: (S64 - 2n * MiB - refFields('fsdax', 'dev', BASE_1M_OFF).dataoff) / 4096n + 1n },
  });

  // --- 11. Raw: signatures, checksums, parent uuid, mode.
  for (const mode of ['fsdax', 'devdax'] as const) {
    const src = ref(mode, 'dev', BASE_ALIGNED);
    add({
      id: `raw-csum-pad-${mode}`,
      group: 'R2',
      what: `${mode} with a padding byte flipped`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      raw: [{ offset: 1000, bytes: [0x5a] }],
    });
    add({
      id: `raw-csum-field-${mode}`,
      group: 'R2',
      what: `${mode} with the checksum's low byte changed`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      raw: [{ offset: 4088, bytes: [0x00, 0x00, 0x00, 0x00] }],
    });
    add({
      id: `raw-csum-zero-${mode}`,
      group: 'R2',
      what: `${mode} with checksum 0`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      raw: [{ offset: 4088, bytes: [0, 0, 0, 0, 0, 0, 0, 0] }],
    });
    add({
      id: `raw-sig-lower-${mode}`,
      group: 'R1',
      what: `${mode} signature with one lower-case letter (checksum fresh)`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      patch: { signature: new TextEncoder().encode(mode === 'fsdax' ? 'NVDIMM_PFN_INFo\0' : 'NVDIMM_DAX_INFo\0') },
    });
    add({
      id: `raw-sig-nonul-${mode}`,
      group: 'R1',
      what: `${mode} signature without its NUL (checksum fresh)`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      patch: { signature: new TextEncoder().encode(mode === 'fsdax' ? 'NVDIMM_PFN_INFOX' : 'NVDIMM_DAX_INFOX') },
    });
    add({
      id: `raw-parent-${mode}`,
      group: 'R3',
      what: `${mode} with a non-zero parent_uuid on a label-less namespace`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      patch: { parentUuid: OTHER_UUID },
    });
    add({
      id: `raw-parent-lowbyte-${mode}`,
      group: 'R3',
      what: `${mode} with parent_uuid ...0001`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      patch: { parentUuid: '00000000-0000-0000-0000-000000000001' },
    });
    add({
      id: `zero-parent-zero-uuid-${mode}`,
      group: 'R3',
      what: `${mode} zero parent_uuid and zero uuid: matches the label-less namespace`,
      size: S64,
      base: BASE_ALIGNED,
      source: src,
      patch: { parentUuid: ZERO_UUID, uuid: ZERO_UUID },
    });
    for (const m of [0, 3, 0xffffffff]) {
      add({
        id: `raw-mode${m}-${mode}`,
        group: 'R5',
        what: `${mode} mode ${m}`,
        size: S64,
        base: BASE_ALIGNED,
        source: src,
        patch: { mode: m },
      });
    }
  }
  // BTT arena blocks: a label-less namespace stays raw even with a valid one.
  add({
    id: 'btt-labelless-valid',
    group: 'R1',
    what: 'valid BTT arena block, parent uuid zero (label-less)',
    size: S64,
    base: BASE_ALIGNED,
    source: { btt: { parentUuid: '00000000-0000-0000-0000-000000000000' } },
  });
  add({
    id: 'btt-labelless-other-parent',
    group: 'R1',
    what: 'valid BTT arena block, another parent uuid',
    size: S64,
    base: BASE_ALIGNED,
    source: { btt: { parentUuid: OTHER_UUID } },
  });
  add({
    id: 'raw-ndctl-parent',
    group: 'R3',
    what: 'ndctl write-infoblock -p <uuid>',
    size: S64,
    base: BASE_ALIGNED,
    source: { ndctl: ['-m', 'fsdax', '-p', OTHER_UUID] },
  });
  for (const size of [8n * KiB, 1n * MiB, S64, 3n * MiB + 4n * KiB]) {
    add({
      id: `raw-zeros-${sizeName(size)}`,
      group: 'R1',
      what: `no block, ${sizeName(size)}`,
      size,
      base: BASE_ALIGNED,
      source: { none: true },
    });
  }

  // --- 12. Zero-size data area: dataoff = size - start_pad - end_trunc (< size, so rule 11 passes).
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const map of ['dev', 'mem'] as const) {
      add({
        id: `zero-data-${mode}-${map}`,
        group: 'zero-size',
        what: `${mode} map=${map} at 1 MiB off, dataoff = size - start_pad - end_trunc`,
        size: S64,
        base: BASE_1M_OFF,
        source: ref(mode, map, BASE_1M_OFF),
        patch: { dataoff: S64 - 2n * MiB },
      });
    }
  }
  // Negative data area (start_pad + dataoff + end_trunc > size, dataoff < size): isolated.
  for (const map of ['dev', 'mem'] as const) {
    add({
      id: `neg-data-fsdax-${map}`,
      group: 'zero-size',
      what: `fsdax map=${map} at 1 MiB off, dataoff = size - 1M, align 4K: data area of -1 MiB`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref('fsdax', map, BASE_1M_OFF),
      patch: { dataoff: S64 - MiB, align: 4096n },
      isolate: true,
    });
    // devdax: found by a corpus run (-ENOMEM, not -EINVAL); also with end_trunc at an aligned base.
    add({
      id: `neg-data-devdax-${map}`,
      group: 'zero-size',
      what: `devdax map=${map} at 1 MiB off, dataoff = size - 1M, align 4K: data area of -1 MiB`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref('devdax', map, BASE_1M_OFF),
      patch: { dataoff: S64 - MiB, align: 4096n },
      isolate: true,
    });
    for (const mode of ['fsdax', 'devdax'] as const) {
      // The mapped range itself empty (end_trunc = size) or negative (end_trunc = size + 2M).
      for (const [tag, et] of [
        ['range0', S64],
        ['rangeneg', S64 + 2n * MiB],
      ] as const) {
        add({
          id: `neg-data-${tag}-${mode}-${map}`,
          group: 'zero-size',
          what:
            `${mode} map=${map} at aligned base, end_trunc ${et / MiB}M, dataoff 2M: mapped ` +
            `range ${tag === 'range0' ? 'empty' : 'negative'}`,
          size: S64,
          base: BASE_ALIGNED,
          source: ref(mode, map, BASE_ALIGNED),
          patch: { dataoff: 2n * MiB, endTrunc: et },
          isolate: true,
        });
      }
      add({
        id: `neg-data-endtrunc-${mode}-${map}`,
        group: 'zero-size',
        what: `${mode} map=${map} at aligned base, end_trunc 2M, dataoff = size - 2M + 4K: data area of -4 KiB`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, map, BASE_ALIGNED),
        patch: { dataoff: S64 - 2n * MiB + 4096n, endTrunc: 2n << 20n, align: 4096n },
        isolate: true,
      });
    }
  }

  // --- 13. align 0 (rule 6 default: 1 << ilog2(dataoff)).
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const d of [2n * MiB, 3n * MiB, 4n * MiB, 6n * MiB, 8n * MiB, 4096n * 3n]) {
      add({
        id: `R6-a0-${mode}-d${d / KiB}K`,
        group: 'R6',
        what: `${mode} align 0, dataoff ${hex(d)}`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { align: 0n, dataoff: d },
      });
    }
    for (const map of ['dev', 'mem'] as const) {
      add({
        id: `R6-a0-${mode}-${map}-minor1`,
        group: 'R6',
        what: `${mode} map=${map} version 1.1 (align gated to 0), dataoff 2M`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, map, BASE_ALIGNED),
        patch: { versionMinor: 1, dataoff: 2n * MiB },
      });
    }
    add({
      id: `R6-a0-${mode}-mem-d2048K`,
      group: 'R6',
      what: `${mode} map=mem align 0, dataoff 2M`,
      size: S64,
      base: BASE_ALIGNED,
      source: ref(mode, 'mem', BASE_ALIGNED),
      patch: { align: 0n, dataoff: 2n * MiB },
    });
    add({
      id: `R6-a0-${mode}-d1G-2G`,
      group: 'R6',
      what: `${mode} align 0, dataoff 1G on 2 GiB (default align 1 GiB)`,
      size: 2n * GiB,
      base: BASE_ALIGNED,
      source: ref(mode, 'dev', BASE_ALIGNED),
      patch: { align: 0n, dataoff: GiB },
    });
    add({
      id: `R6-a0-${mode}-1Moff`,
      group: 'R6',
      what: `${mode} legacy at 1 MiB off with align 0`,
      size: S64,
      base: BASE_1M_OFF,
      source: ref(mode, 'dev', BASE_1M_OFF),
      patch: { align: 0n },
    });
  }

  // --- 14. Where kernels differ (5.10, 6.1, 6.12, 7.2).
  for (const mode of ['fsdax', 'devdax'] as const) {
    for (const map of ['dev', 'mem'] as const) {
      // Rule 15 in unsigned arithmetic: start_pad + end_trunc > size wraps, the
      // check passes, and 6.12/7.2 refuse later (-EINVAL in mode PMEM).
      add({
        id: `R15-wrap-${mode}-${map}`,
        group: 'R15',
        what: `${mode} map=${map} at aligned base, start_pad 2M + end_trunc 64M > size 64M, dataoff 2M, align 4K`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, map, BASE_ALIGNED),
        patch: { startPad: 2n << 20n, endTrunc: S64, dataoff: 2n * MiB, align: 4096n },
        isolate: true,
      });
      // Zero-size data area at an aligned base (end_trunc, no start_pad): 6.1
      // has no rule 15; 6.6 on refuse "bad offset with small namespace".
      add({
        id: `R15-zero-endtrunc-${mode}-${map}`,
        group: 'R15',
        what: `${mode} map=${map} at aligned base, end_trunc 2M, dataoff = size - 2M: zero-size data area`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, map, BASE_ALIGNED),
        patch: { dataoff: S64 - 2n * MiB, endTrunc: 2n << 20n, npfns: 0n },
      });
      add({
        id: `R15-zero-noTrunc-${mode}-${map}`,
        group: 'R15',
        what: `${mode} map=${map} at aligned base, dataoff = size - 4K (one page left), align 4K`,
        size: S64,
        base: BASE_ALIGNED,
        source: ref(mode, map, BASE_ALIGNED),
        patch: { dataoff: S64 - 4096n, align: 4096n, npfns: 1n },
      });
    }
    // Data length and the 1 GiB align in force: devdax needs a multiple, fsdax does not.
    for (const [tag, size] of [
      ['2560M', 2560n * MiB],
      ['3072M', 3n * GiB],
    ] as const) {
      add({
        id: `align1G-len-${mode}-${tag}`,
        group: 'S3',
        what: `${mode} map=dev align 1G, dataoff 1G on ${tag}: data ${(size - GiB) / MiB}M`,
        size,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { align: 1n << 30n, dataoff: GiB, npfns: (size - GiB) / 4096n },
      });
    }
    // The memmap must fit between the reserve and dataoff (map=dev, 64 bytes per page).
    for (const [tag, size, d] of [
      ['64M-d512K', S64, 512n * KiB],
      ['64M-d1M', S64, MiB],
      ['64M-d2M', S64, 2n * MiB],
      ['1G-d4M', GiB, 4n * MiB],
      ['1G-d16M', GiB, 16n * MiB],
      ['1G-d18M', GiB, 18n * MiB],
    ] as const) {
      add({
        id: `memmap-fit-${mode}-${tag}`,
        group: 'S4',
        what:
          `${mode} map=dev on ${size / MiB}M, dataoff ${hex(d)}, align 4K: memmap ` +
          `of ${(((size - d) / 4096n) * 64n) / KiB}K in ${(d - 8n * KiB) / KiB}K`,
        size,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { dataoff: d, align: 4096n, npfns: (size - d) / 4096n },
      });
    }
    // The same with align 2 MiB: devdax then maps compound pages, whose memmap
    // newer kernels can share (vmemmap deduplication), so less of it must fit.
    for (const [tag, d] of [
      ['1G-d2M-a2M', 2n * MiB],
      ['1G-d4M-a2M', 4n * MiB],
      ['1G-d8M-a2M', 8n * MiB],
    ] as const) {
      add({
        id: `memmap-fit-${mode}-${tag}`,
        group: 'S4',
        what:
          `${mode} map=dev on 1024M, dataoff ${hex(d)}, align 2M: memmap ` +
          `of ${(((GiB - d) / 4096n) * 64n) / KiB}K (4K pages) in ${(d - 8n * KiB) / KiB}K`,
        size: GiB,
        base: BASE_ALIGNED,
        source: ref(mode, 'dev', BASE_ALIGNED),
        patch: { dataoff: d, align: 2n << 20n, npfns: (GiB - d) / 4096n },
      });
    }
    // %pR: "could not reserve region [mem ...]" prints the guest addresses, zero-padded.
    for (const base of [BASE_1M_OFF, BASE_4K_OFF]) {
      add({
        id: `pR-reserve-${mode}-${baseName(base)}`,
        group: 'S1',
        what: `${mode} map=dev dataoff 0, align 4K, start_pad 0 at ${baseName(base)} base (could not reserve region)`,
        size: S64,
        base,
        source: ref(mode, 'dev', base),
        patch: { dataoff: 0n, align: 4096n, startPad: 0n, endTrunc: 0n },
      });
    }
  }
  return out;
}
