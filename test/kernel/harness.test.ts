/**
 * Acceptance test of the real-kernel harness: images crafted with the real
 * `ndctl write-infoblock` (plus byte patches) are booted under Debian's Linux
 * 6.1 in QEMU, and the verdicts must be what that kernel is known to do;
 * the other Debian kernels in ND_KERNELS (default all four) boot a small set
 * each. Needs qemu-system-x86_64, busybox-static and ndctl
 * (scripts/kernel/setup.sh --kernels all).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { execFileSync } from 'node:child_process';

import { bootImages, kernelCheckDetailed, prepareKernelAssets, type KernelVerdict } from '../../src/kernel';
import { isStaticElf } from '../../src/kernel/host-tools';
import { readModule, resolveModules } from '../../src/kernel/modules';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../../src/kernel/kernels';
import { corruptByte, ndctlImage, patchBlock, readField, sparseImage } from './craft';
import { hex } from '../../src/format/int64';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { expectSchema } from '../support/schema';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const BASE = 0x1_0000_0000n; // 4 GiB: 1 GiB aligned
const BASE_1M_OFF = 0x1_4010_0000n; // 1 MiB off a 2 MiB boundary

interface Case {
  name: string;
  base: bigint;
  make: (file: string) => Promise<unknown>;
  expect: (v: KernelVerdict, file: string) => Promise<void> | void;
}

let dir: string;

const cases: Case[] = [
  {
    name: 'fsdax map=dev at an aligned base: claimed, data starts at dataoff',
    base: BASE,
    make: (f) => ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev']),
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem', errno: null });
      expect(v.dataStart).toBe(dataoff);
      expect(v.dataSize).toBe(BigInt(SIZE) - dataoff);
    },
  },
  {
    name: 'fsdax map=mem: claimed with the memmap in RAM',
    base: BASE,
    make: (f) => ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'mem']),
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'ram', errno: null });
      expect(v.dataStart).toBe(dataoff);
      expect(v.dataSize).toBe(BigInt(SIZE) - dataoff);
    },
  },
  {
    name: 'devdax: claimed by dax_pmem',
    base: BASE,
    make: (f) => ndctlImage(f, SIZE, ['-m', 'devdax']),
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'dax', mode: 'pmem', errno: null });
      expect(v.dataStart).toBe(dataoff);
      expect(v.dataSize).toBe(BigInt(SIZE) - dataoff);
    },
  },
  {
    name: 'no block at all: raw, the whole namespace',
    base: BASE,
    make: (f) => sparseImage(f, SIZE),
    expect: (v) => {
      expect(v).toMatchObject({
        outcome: 'raw',
        kind: null,
        mode: null,
        errno: null,
        dataStart: 0n,
        dataSize: BigInt(SIZE),
      });
    },
  },
  {
    name: 'bad checksum: not an info-block, raw (rule 2)',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev']);
      await corruptByte(f, 1000);
    },
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'raw', errno: null, dataStart: 0n, dataSize: BigInt(SIZE) });
    },
  },
  {
    name: 'non-zero parent_uuid on a label-less namespace: raw (rule 3)',
    base: BASE,
    make: (f) => ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev', '-p', '11111111-2222-3333-4444-555555555555']),
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'raw', errno: null, dataStart: 0n });
    },
  },
  {
    name: 'mode 0: rejected, falls back to raw (rule 5)',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev']);
      await patchBlock(f, { mode: 0 });
    },
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'raw', errno: null });
    },
  },
  {
    name: 'ndctl -O block on a base 1 MiB off 2 MiB: refused, bad offset (rule 12)',
    base: BASE_1M_OFF,
    make: (f) => ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev', '-O', `0x${BASE_1M_OFF.toString(16)}`]),
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'refused', kind: 'pfn', errno: 95, dataStart: null });
      expect(v.message).toMatch(/^bad offset: 0x300000 dax disabled align: 0x200000$/);
    },
  },
  {
    name: 'the same block repaired to the legacy meaning (dataoff -= start_pad): claimed, same data start',
    base: BASE_1M_OFF,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev', '-O', `0x${BASE_1M_OFF.toString(16)}`]);
      const dataoff = await readField(f, 'dataoff');
      const startPad = await readField(f, 'start_pad');
      await patchBlock(f, { dataoff: dataoff - startPad });
    },
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      const startPad = await readField(f, 'start_pad');
      const endTrunc = await readField(f, 'end_trunc');
      expect(startPad).toBe(1048576n);
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem', errno: null });
      // 6.1 places the data at base + start_pad + dataoff (the legacy meaning).
      expect(v.dataStart).toBe(startPad + dataoff);
      expect(v.dataSize).toBe(BigInt(SIZE) - startPad - endTrunc - dataoff);
    },
  },
  {
    name: 'mode RAM with dataoff below the 8 KiB reserve (align 4 KiB passes rule 12): EINVAL at setup',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'mem']);
      await patchBlock(f, { dataoff: 4096, align: 4096 });
    },
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'refused', errno: 22, dataStart: null });
      expect(v.message).toMatch(/probe of pfn\d+\.\d+ failed with error -22$/);
    },
  },
  {
    name: 'npfns larger than the namespace: claimed, truncation logged',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev']);
      await patchBlock(f, { npfns: 40000 });
    },
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem' });
      expect(v.message).toBe(`number of pfns truncated from 40000 to ${(BigInt(SIZE) - dataoff) / 4096n}`);
    },
  },
  {
    name: 'mode PMEM with page_size 8 KiB: refused, page size mismatch (rule 7)',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'fsdax', '-M', 'dev']);
      await patchBlock(f, { page_size: 8192 });
    },
    expect: (v) => {
      expect(v).toMatchObject({
        outcome: 'refused',
        kind: 'pfn',
        errno: 95,
        message: 'init failed, page size mismatch 8192',
      });
    },
  },
  {
    name: 'devdax with align 1 GiB on a 64 MiB namespace: refused, alignment exceeds capacity (rule 10)',
    base: BASE,
    make: async (f) => {
      await ndctlImage(f, SIZE, ['-m', 'devdax']);
      await patchBlock(f, { align: 1 << 30 });
    },
    expect: (v) => {
      expect(v).toMatchObject({ outcome: 'refused', kind: 'dax', errno: 95 });
      expect(v.message).toMatch(/exceeds capacity/);
    },
  },
  {
    name: 'a 256 MiB fsdax image at a 2 MiB (not 1 GiB) aligned base',
    base: BASE + 0x20_0000n * 3n,
    make: (f) =>
      ndctlImage(f, 256 * MiB, ['-m', 'fsdax', '-M', 'dev', '-O', `0x${(BASE + 0x20_0000n * 3n).toString(16)}`]),
    expect: async (v, f) => {
      const dataoff = await readField(f, 'dataoff');
      expect(v).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem' });
      expect(v.dataStart).toBe(dataoff);
      expect(v.dataSize).toBe(BigInt(256 * MiB) - dataoff);
    },
  },
];

const tmp = useTmpDir('ktest');
beforeAll(() => {
  dir = tmp.dir;
});

describe('real Linux 6.1 under QEMU', () => {
  const files: string[] = [];
  let verdicts: KernelVerdict[] = [];
  let seconds = 0;

  beforeAll(async () => {
    for (const [i, c] of cases.entries()) {
      const f = path.join(dir, `case${i}.img`);
      await c.make(f);
      files.push(f);
    }
    const t0 = Date.now();
    const logs = process.env['ND_INFOBLOCK_KEEP_LOGS'];
    const res = await kernelCheckDetailed(
      cases.map((c, i) => ({ path: files[i] ?? '', base: c.base })),
      logs !== undefined ? { keepLogsDir: logs } : {},
    );
    seconds = (Date.now() - t0) / 1000;
    verdicts = res.verdicts;
    // All cases fit one boot.
    expect(new Set(res.observations.map((o) => o.boot)).size).toBe(1);
  });

  test.each(cases.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const v = verdicts[i];
    const c = cases[i];
    if (v === undefined || c === undefined) throw new Error(`no verdict for case ${i}`);
    await c.expect(v, files[i] ?? '');
  });

  test('one boot of all cases takes well under a minute', () => {
    expect(seconds).toBeLessThan(60);
  });

  test('user images are untouched (the guest booted copies)', async () => {
    // Booted in place, the 256 MiB mode-PMEM case gets its struct pages written
    // from 2 MiB on (vmemmap in 2 MiB pages taken from the reserved area).
    const i = cases.findIndex((c) => c.name.includes('256 MiB'));
    const fh = await fs.open(files[i] ?? '', 'r');
    try {
      const b = Buffer.alloc(4 * 1024 * 1024);
      await fh.read(b, 0, b.length, 2 * 1024 * 1024);
      expect(b.every((x) => x === 0)).toBe(true);
    } finally {
      await fh.close();
    }
  });
});

describe('exact placement (relocate: false)', () => {
  test('namespaces sit at the requested bases and get the same verdicts', async () => {
    const a = await ndctlImage(path.join(dir, 'exact-a.img'), SIZE, ['-m', 'fsdax', '-M', 'dev']);
    const b = await ndctlImage(path.join(dir, 'exact-b.img'), SIZE, [
      '-m',
      'fsdax',
      '-M',
      'dev',
      '-O',
      `0x${BASE_1M_OFF.toString(16)}`,
    ]);
    const obs = await bootImages(
      [
        { path: a, base: 0x2_0000_0000n },
        { path: b, base: BASE_1M_OFF },
      ],
      { relocate: false },
    );
    expect(obs.map((o) => o.guestBase)).toEqual([0x2_0000_0000n, BASE_1M_OFF]);
    expect(obs[0]?.claim?.kind).toBe('pfn');
    expect(obs[0]?.dataStart).toBe(0x2_0020_0000n);
    expect(obs[1]?.probeErrno).toBe(95);
  });
});

/**
 * An fsdax image every kernel claims, and one Linux 6.1 oopses on (page fault): a mode-RAM block at 1 MiB off a
 * 2 MiB boundary whose data area is negative (dataoff = size - 1 MiB with start_pad 1 MiB and end_trunc 1 MiB).
 */
async function claimedAndCrashing(okName: string, badName: string): Promise<{ ok: string; bad: string }> {
  const ok = await ndctlImage(path.join(dir, okName), SIZE, ['-m', 'fsdax', '-M', 'dev']);
  const bad = await ndctlImage(path.join(dir, badName), SIZE, ['-m', 'fsdax', '-M', 'mem', '-O', hex(BASE_1M_OFF)]);
  await patchBlock(bad, { dataoff: BigInt(SIZE) - 1048576n, align: 4096 });
  return { ok, bad };
}

describe('a guest kernel crash', () => {
  test('is narrowed down to the image that causes it; the others keep their verdicts', async () => {
    const { ok, bad } = await claimedAndCrashing('crash-ok.img', 'crash-bad.img');
    const res = await kernelCheckDetailed([
      { path: ok, base: BASE },
      { path: bad, base: BASE_1M_OFF },
      { path: ok, base: BASE },
    ]);
    expect(res.verdicts[0]).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem' });
    expect(res.verdicts[2]).toMatchObject({ outcome: 'claimed', kind: 'pfn', mode: 'pmem' });
    expect(res.verdicts[1]).toMatchObject({ outcome: 'crashed', kind: null, errno: null });
    expect(res.verdicts[1]?.message).toMatch(/^kernel crashed: BUG: unable to handle page fault/);
    expect(res.observations[1]?.crash).not.toBeNull();
  });
});

describe('infoblock kernel-check through the command line (Linux 6.1)', () => {
  test('--json: one kernel-check document that follows its schema, a crashed verdict included; exit 1', async () => {
    const { ok, bad } = await claimedAndCrashing('cli-ok.img', 'cli-crash.img');
    const r = await run([
      'kernel-check',
      '--kernel',
      '6.1',
      '--json',
      `${ok}@0x${BASE.toString(16)}`,
      `${bad}@0x${BASE_1M_OFF.toString(16)}`,
    ]);
    expect(r.code).toBe(1); // the crash is not a claim
    const doc = json(r) as { kernel: Record<string, unknown>; verdicts: Record<string, unknown>[] };
    expectSchema('kernel-check', doc);
    expect(doc.kernel).toEqual({ version: '6.1', release: expect.stringMatching(/^6\.1\./), image: null });
    expect(doc.verdicts[0]).toMatchObject({ file: ok, ns_base: '0x100000000', outcome: 'claimed', kind: 'pfn' });
    expect(doc.verdicts[1]).toMatchObject({ file: bad, outcome: 'crashed', errno: null, data_start: null });
    expect(doc.verdicts[1]?.['message']).toMatch(/^kernel crashed: BUG: unable to handle page fault/);
  });

  test('--compare MANIFEST: the rows the kernel confirms agree, a tampered row is the one disagreement', async () => {
    const out = path.join(dir, 'cmp');
    const c = await run([
      'corpus',
      '--out',
      out,
      '--format',
      'image',
      '--ns-size',
      '64M',
      '--count',
      '16',
      '--seed',
      '5',
    ]);
    expect(c.code).toBe(0);
    const manifest = path.join(out, 'manifest.jsonl');
    const rows = (await fs.readFile(manifest, 'utf8')).trim().split('\n');
    const i = rows.findIndex((l) => (JSON.parse(l) as { outcome: string }).outcome === 'claimed');
    const tampered = JSON.parse(rows[i] ?? '{}') as Record<string, unknown>;
    tampered['outcome'] = 'refused';
    tampered['errno'] = 95;
    rows[i] = JSON.stringify(tampered);
    await fs.writeFile(manifest, `${rows.join('\n')}\n`);
    const r = await run(['kernel-check', '--kernel', '6.1', '--compare', manifest]);
    const lines = r.out.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${String(tampered['file'])}@${String(tampered['ns_base'])} \\(.*\\): ` +
            'outcome: kernel "claimed" / validator "refused"; errno: kernel null / validator 95$',
        ),
      ),
      `${manifest}: 15 of 16 rows agree with the kernel, 1 disagree`,
    ]);
    expect(r.code).toBe(1);
  });
});

describe('first bytes of the exposed block devices', () => {
  test('raw: the namespace start; fsdax: the bytes at dataoff, i.e. the start of the exposed data', async () => {
    const raw = await sparseImage(path.join(dir, 'first-raw.img'), SIZE);
    const fs1 = await ndctlImage(path.join(dir, 'first-fsdax.img'), SIZE, ['-m', 'fsdax', '-M', 'dev']);
    const dataoff = await readField(fs1, 'dataoff');
    const magic = Buffer.from('5346422d54455354', 'hex'); // 'SFB-TEST'
    for (const [f, at] of [
      [raw, 0],
      [fs1, Number(dataoff)],
    ] as const) {
      const fh = await fs.open(f, 'r+');
      await fh.write(magic, 0, magic.length, at);
      await fh.write(Buffer.from([0xee]), 0, 1, at + 2047); // last reported byte
      await fh.write(Buffer.from([0xdd]), 0, 1, at + 2048); // first byte not reported
      await fh.close();
    }
    const obs = await bootImages([
      { path: raw, base: BASE },
      { path: fs1, base: BASE },
    ]);
    const want = `${magic.toString('hex')}${'00'.repeat(2048 - magic.length - 1)}ee`;
    expect(obs.map((o) => o.blockDevice?.parent?.replace(/\d+\.\d+$/, ''))).toEqual(['namespace', 'pfn']);
    expect(obs.map((o) => o.blockDevice?.firstBytes)).toEqual([want, want]);
  });
});

describe('predicted crashes', () => {
  test('an image marked isolate boots alone first: no bisection', async () => {
    const { ok, bad } = await claimedAndCrashing('iso-ok.img', 'iso-bad.img');
    const lines: string[] = [];
    const res = await kernelCheckDetailed(
      [
        { path: ok, base: BASE },
        { path: bad, base: BASE_1M_OFF, isolate: true },
        { path: ok, base: BASE },
      ],
      { onProgress: (l) => lines.push(l) },
    );
    expect(res.verdicts[1]).toMatchObject({ outcome: 'crashed', errno: null });
    expect(res.verdicts[1]?.message).toMatch(/^kernel crashed: BUG: unable to handle page fault/);
    expect(res.verdicts[0]).toMatchObject({ outcome: 'claimed', kind: 'pfn' });
    expect(res.observations.map((o) => o.boot)).toEqual([2, 1, 2]);
    expect(res.observations[0]?.boots).toBe(2);
    expect(lines.filter((l) => /booting halves/.test(l))).toEqual([]);
  });
});

const otherKernels = ((): KernelVersion[] => {
  const env = process.env['ND_KERNELS'];
  const all =
    env === undefined || env.trim() === '' ? [...KERNEL_VERSIONS] : env.split(',').map((v) => parseKernelVersion(v));
  return all.filter((v) => v !== '6.1');
})();

// ND_KERNELS=6.1 leaves no other kernel: an empty describe.each would fail the whole file.
if (otherKernels.length > 0)
  describe.each(otherKernels.map((v) => [v]))('Debian Linux %s', (kernel) => {
    test(
      'claims fsdax and devdax, leaves zeros raw, refuses a bad offset with errno 95 (either probe-failure ' +
        'format)',
      async () => {
        const fsdax = await ndctlImage(path.join(dir, `k${kernel}-fsdax.img`), SIZE, ['-m', 'fsdax', '-M', 'dev']);
        const devdax = await ndctlImage(path.join(dir, `k${kernel}-devdax.img`), SIZE, ['-m', 'devdax']);
        const zeros = await sparseImage(path.join(dir, `k${kernel}-zeros.img`), SIZE);
        const ndctlO = await ndctlImage(path.join(dir, `k${kernel}-O.img`), SIZE, [
          '-m',
          'fsdax',
          '-M',
          'dev',
          '-O',
          `0x${BASE_1M_OFF.toString(16)}`,
        ]);
        const res = await kernelCheckDetailed(
          [
            { path: fsdax, base: BASE },
            { path: devdax, base: BASE },
            { path: zeros, base: BASE },
            { path: ndctlO, base: BASE_1M_OFF },
          ],
          { kernel },
        );
        const release = res.observations[0]?.kernelRelease ?? '';
        expect(release.startsWith(kernel === '5.10' ? '5.10.0-' : `${kernel}.`)).toBe(true);
        const dataoff = await readField(fsdax, 'dataoff');
        expect(res.verdicts[0]).toMatchObject({
          outcome: 'claimed',
          kind: 'pfn',
          mode: 'pmem',
          dataStart: dataoff,
          dataSize: BigInt(SIZE) - dataoff,
        });
        expect(res.verdicts[1]).toMatchObject({ outcome: 'claimed', kind: 'dax', mode: 'pmem' });
        expect(res.verdicts[2]).toMatchObject({ outcome: 'raw', dataStart: 0n, dataSize: BigInt(SIZE) });
        expect(res.verdicts[3]).toMatchObject({ outcome: 'refused', errno: 95 });
        expect(res.verdicts[3]?.message).toMatch(/^bad offset: /);
      },
    );
  });

describe('kernel assets', () => {
  test('the initramfs busybox is static, and .ko.xz and .ko.zst modules resolve to the same bytes', async () => {
    const assets = await prepareKernelAssets();
    expect(assets.modules).toEqual(
      expect.arrayContaining(['libnvdimm', 'nd_btt', 'nd_pmem', 'nfit', 'device_dax', 'dax_pmem']),
    );
    expect(assets.modules.indexOf('libnvdimm')).toBeLessThan(assets.modules.indexOf('nd_pmem'));
    expect(isStaticElf(await fs.readFile('/bin/busybox'))).toBe(true);
    const plainDir = path.join(path.dirname(assets.kernelImage), 'modules');
    const xzDir = path.join(dir, 'xz-modules', 'kernel', 'drivers');
    await fs.mkdir(xzDir, { recursive: true });
    for (const [i, name] of assets.modules.entries()) {
      await fs.copyFile(path.join(plainDir, `${name}.ko`), path.join(xzDir, `${name}.ko`));
      // Debian ships .ko (5.10, 6.1) and .ko.xz (6.12, 7.2); other builds use .ko.zst.
      if (i % 2 === 0) execFileSync('xz', ['-z', path.join(xzDir, `${name}.ko`)]);
      else execFileSync('zstd', ['-q', '--rm', path.join(xzDir, `${name}.ko`)]);
    }
    const resolved = await resolveModules(path.join(dir, 'xz-modules'));
    expect(resolved.map((m) => m.name)).toEqual(assets.modules);
    for (const m of resolved) expect(m.data.equals(await readModule(path.join(plainDir, `${m.name}.ko`)))).toBe(true);
  });
});
