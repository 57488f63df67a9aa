/**
 * Labelled namespaces under real kernels: DIMM images with a label area
 * (QEMU label-size=) are booted, all in one boot per kernel, and
 * `checkLabelledDimm` (what `infoblock check --label-size` prints) must
 * predict every namespace the kernel creates (uuid, dpa, size) and agree
 * with its verdict on each (outcome, errno, deciding message, data range,
 * kind and mode). ND_KERNELS narrows the kernels as in the matrix.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { kernelCheckDetailed, labelledVerdicts } from '../../src/kernel/kernel-check';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../../src/kernel/kernels';
import { findOnPath } from '../../src/kernel/host-tools';
import { compareVerdicts } from '../../src/kernel/compare';
import { areaIndexes, interleaveSetCookie, qemuDimm, labelGeometry, LABEL_SIZE } from '../../src/format/labels';
import type { LabelVersion, NamespaceSpec } from '../../src/format/labels';
import { encodeLabelArea } from '../../src/format/labels-area';
import { dimmLayout } from '../../src/format/labels-spec';
import { encodePfnBlock } from '../../src/format/pfn';
import { headWithBlock } from '../../src/format/head';
import { recipeFields } from '../../src/format/recipe';
import { parseUuid, NIL_UUID } from '../../src/format/uuid';
import { checkLabelledDimm } from '../../src/validate/labels';
import { profileForKernel } from '../../src/validate/profiles';
import { bttBlock } from '../support/craft';
import { useTmpDir } from '../support/tmp';

const MiB = 1n << 20n;
const FILE_SIZE = 66n * MiB;
const LABEL_BYTES = 128n * 1024n;
const BASE = 0x100000000n;
const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';

type Content =
  | { at: bigint; kind: 'fsdax' | 'devdax'; size: bigint; parent: string }
  | { at: bigint; kind: 'btt'; parent: string; log: boolean };

interface LabelCase {
  id: string;
  namespaces: NamespaceSpec[];
  version?: LabelVersion;
  /** Slot whose cookie the labels carry (0: the booted slot's, after the harness moves it). */
  cookieSlot?: number;
  content: Content[];
  /** Byte offsets in the label area to flip. */
  corrupt?: number[];
  /** What the kernel must show: the namespaces it creates (by dpa) and each outcome. */
  expect: string[];
}

const ns = (uuid: string, size: bigint, dpa: bigint, name?: string): NamespaceSpec => ({
  uuid,
  size: size * MiB,
  dpa: dpa * MiB,
  ...(name ? { name } : {}),
});
// Byte positions to corrupt, as numbers into the area.
const g12 = areaIndexes(labelGeometry(LABEL_BYTES, LABEL_SIZE['1.2'])!);

const block =
  (kind: 'fsdax' | 'devdax') =>
  (at: bigint, size: bigint, parent: string): Content => ({ at: at * MiB, kind, size: size * MiB, parent });
const pfn = block('fsdax');
const dax = block('devdax');
const btt = (parent: string, log: boolean): Content => ({ at: 0n, kind: 'btt', parent, log });
const one = (uuid: string, size: bigint, dpa: bigint): NamespaceSpec[] => [ns(uuid, size, dpa)];

export const LABEL_CASES: LabelCase[] = [
  { id: 'fsdax-match', namespaces: one(U1, 32n, 0n), content: [pfn(0n, 32n, U1)], expect: ['claimed pfn'] },
  {
    id: 'two-ns-dax-match-fsdax-mismatch',
    namespaces: [ns(U1, 16n, 0n, 'dax'), ns(U2, 16n, 32n, 'other')],
    content: [dax(0n, 16n, U1), pfn(32n, 16n, U1)],
    expect: ['claimed dax', 'raw'],
  },
  { id: 'fsdax-zero-parent-dpa-2M', namespaces: one(U2, 32n, 2n), content: [pfn(2n, 32n, NIL_UUID)], expect: ['raw'] },
  { id: 'devdax-zero-parent', namespaces: one(U1, 32n, 0n), content: [dax(0n, 32n, NIL_UUID)], expect: ['raw'] },
  { id: 'devdax-mismatch-dpa-8M', namespaces: one(U1, 16n, 8n), content: [dax(8n, 16n, U2)], expect: ['raw'] },
  {
    id: 'v1.1-fsdax-match-dpa-4M',
    version: '1.1',
    namespaces: one(U2, 32n, 4n),
    content: [pfn(4n, 32n, U2)],
    expect: ['claimed pfn'],
  },
  { id: 'btt-match', namespaces: one(U1, 32n, 0n), content: [btt(U1, true)], expect: ['claimed btt'] },
  { id: 'btt-zero-log', namespaces: one(U1, 32n, 0n), content: [btt(U1, false)], expect: ['refused'] },
  { id: 'btt-mismatch', namespaces: one(U1, 32n, 0n), content: [btt(U2, true)], expect: ['raw'] },
  {
    id: 'index0-corrupt',
    namespaces: one(U1, 32n, 0n),
    content: [pfn(0n, 32n, U1)],
    corrupt: [30],
    expect: ['claimed pfn'],
  },
  {
    id: 'both-indexes-corrupt',
    namespaces: one(U1, 32n, 0n),
    content: [pfn(0n, 32n, U1)],
    corrupt: [0, g12.indexSize],
    expect: ['raw'],
  },
  {
    id: 'label-checksum-corrupt',
    namespaces: one(U1, 32n, 0n),
    content: [],
    corrupt: [g12.labelOffset + 20],
    expect: [],
  },
  { id: 'foreign-cookie', namespaces: one(U1, 32n, 0n), cookieSlot: 5, content: [], expect: [] },
];

/** A 4 KiB BTT arena block for a 32 MiB namespace (arena at 4 KiB), and its log groups when wanted. */
function bttParts(parent: string, log: boolean): { block: Uint8Array; logAt: bigint; logBytes: Uint8Array } {
  const nlba = 6744;
  const mapoff = 4096n + 7000n * 4096n;
  const logoff = mapoff + 32768n;
  const block = bttBlock({
    parentUuid: parseUuid(parent),
    versionMajor: 1,
    versionMinor: 1,
    u32s: [4096, nlba, 4096, 7000, 256, 4096],
    u64s: [0n, 4096n, mapoff, logoff, 32n * MiB - 8192n],
  });
  const logBytes = new Uint8Array(256 * 64);
  if (log) {
    const dv = new DataView(logBytes.buffer);
    for (let i = 0; i < 256; i++) [i, nlba + i, nlba + i, 1].forEach((v, j) => dv.setUint32(i * 64 + j * 4, v, true));
  }
  return { block, logAt: 4096n + logoff, logBytes };
}

async function buildCase(dir: string, c: LabelCase): Promise<string> {
  const file = path.join(dir, `${c.id}.img`);
  const fh = await fs.open(file, 'w');
  try {
    await fh.truncate(Number(FILE_SIZE));
    const { capacity, labelOffset } = dimmLayout(FILE_SIZE, LABEL_BYTES);
    const version = c.version ?? '1.2';
    const cookie = interleaveSetCookie(qemuDimm(c.cookieSlot ?? 0), version);
    const area = encodeLabelArea(c.namespaces, { areaSize: LABEL_BYTES, version, cookie, capacity });
    for (const o of c.corrupt ?? []) area[o] = (area[o] ?? 0) ^ 0x5a;
    await fh.write(area, 0, area.length, Number(labelOffset));
    for (const x of c.content) {
      if (x.kind === 'btt') {
        const { block, logAt, logBytes } = bttParts(x.parent, x.log);
        await fh.write(block, 0, 4096, Number(x.at + 4096n));
        await fh.write(logBytes, 0, logBytes.length, Number(x.at + logAt));
      } else {
        const uuid = '12345678-1234-4234-8234-123456789abc';
        const fields = recipeFields({ size: x.size, mode: x.kind, uuid, parentUuid: x.parent, offset: BASE + x.at });
        const head = headWithBlock(encodePfnBlock(fields));
        await fh.write(head, 0, head.length, Number(x.at));
      }
    }
  } finally {
    await fh.close();
  }
  return file;
}

function kernelsToRun(): KernelVersion[] {
  const env = process.env['ND_KERNELS'];
  if (env === undefined || env.trim() === '') return [...KERNEL_VERSIONS];
  return env.split(',').map((v) => parseKernelVersion(v));
}

const short = (o: { outcome: string; kind: string | null }): string =>
  o.outcome === 'claimed' ? `claimed ` + `${o.kind ?? '?'}` : o.outcome;

async function runKernel(kernel: KernelVersion): Promise<string[]> {
  const dir = tmp.path(kernel);
  await fs.mkdir(dir);
  const problems: string[] = [];
  try {
    const files: string[] = [];
    for (const c of LABEL_CASES) files.push(await buildCase(dir, c));
    const specs = files.map((p) => ({ path: p, base: BASE, labelSize: LABEL_BYTES }));
    const keep = process.env['ND_INFOBLOCK_KEEP_LOGS'];
    const logs = keep ? { keepLogsDir: path.join(keep, `labels-${kernel}`) } : {};
    const { observations } = await kernelCheckDetailed(specs, { kernel, ...logs });
    const t0 = observations[0]?.boots ?? 0;
    for (const [i, c] of LABEL_CASES.entries()) {
      const obs = observations[i];
      const file = files[i] ?? '';
      if (obs === undefined) {
        problems.push(`${c.id}: no observation`);
        continue;
      }
      const k = labelledVerdicts(obs);
      const { capacity } = dimmLayout(FILE_SIZE, LABEL_BYTES);
      const area = new Uint8Array(await fs.readFile(file)).subarray(Number(FILE_SIZE - LABEL_BYTES));
      const img = await fs.readFile(file);
      const read = (off: bigint, len: number): Uint8Array =>
        new Uint8Array(img.subarray(Number(off), Number(off) + len));
      const opts = { kernel: profileForKernel(kernel).id, dimmBase: obs.regionResource ?? BASE };
      const v = checkLabelledDimm(area, capacity, read, opts);
      const seen = k.map((n) => short(n.verdict));
      if (JSON.stringify(seen) !== JSON.stringify(c.expect))
        problems.push(`${c.id}: kernel showed ` + `[${seen.join(', ')}], the case expects [${c.expect.join(', ')}]`);
      if (k.length !== v.namespaces.length) {
        problems.push(`${c.id}: kernel created ${k.length} namespace(s), validator predicts ${v.namespaces.length}`);
        continue;
      }
      k.forEach((kn, j) => {
        const vn = v.namespaces[j];
        if (vn === undefined) return;
        if (kn.uuid !== vn.uuid || kn.dpa !== vn.dpa || kn.size !== vn.size) {
          problems.push(
            `${c.id} #${j}: kernel ${kn.uuid}@${kn.dpa}+${kn.size} / validator ` + `${vn.uuid}@${vn.dpa}+${vn.size}`,
          );
        }
        for (const d of compareVerdicts(kn.verdict, vn.verdict)) problems.push(`${c.id} #${j}: ${d}`);
      });
    }
    console.log(
      `labelled namespaces, Linux ${obsRelease(observations) ?? kernel}: ${LABEL_CASES.length} DIMMs ` +
        `in ${t0} boot(s); ` +
        `${problems.length === 0 ? 'full agreement' : `${problems.length} problem(s)`}`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return problems;
}

const obsRelease = (o: readonly { kernelRelease: string | null }[]): string | null =>
  o.find((x) => x.kernelRelease !== null)?.kernelRelease ?? null;

const tmp = useTmpDir('labels-kernel');

describe('labelled namespaces under real kernels', () => {
  test.each(kernelsToRun())('Linux %s: check --label-size predicts every namespace and verdict', async (kernel) => {
    if ((await findOnPath('qemu-system-x86_64')) === null) {
      if (process.env['CI'] === 'true') throw new Error('qemu-system-x86_64 not found');
      console.warn('SKIPPED labelled namespaces: qemu-system-x86_64 not found');
      return;
    }
    const problems = await runKernel(kernel);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
});
