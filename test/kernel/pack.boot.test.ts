/**
 * `infoblock pack` proved on real kernels: ext4 and xfs rootfs images made
 * with mkfs from a directory of files, packed as fsdax (memmap in RAM and on
 * the device), devdax, label-less and labelled, and Kata-style, then all
 * booted with the DAX probe per kernel. Each namespace must be claimed as
 * packed, with the data start and size the plan wrote, (fsdax) the block
 * device must begin with the packed bytes, and under DAX every file must
 * read the same through read(2) and mmap (labelled: the namespace the
 * kernel created from the labels; Kata-style: the partition /dev/pmem0p1). The printed QEMU options
 * must be accepted by QEMU itself. ND_KERNELS narrows the kernels.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { findOnPath } from '../../src/kernel/host-tools';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../../src/kernel/kernels';
import { patchPfnBlock, type PfnFields } from '../../src/format/pfn';
import { NIL_UUID } from '../../src/format/uuid';
import { checkHead } from '../../src/validate/check';
import { packImage, type PackOptions, type PackResult } from '../../src/pack/pack';
import { verifyPackedImages } from '../../src/pack/verify';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('pack-boot');

function kernelsToRun(): KernelVersion[] {
  const env = process.env['ND_KERNELS'];
  if (env === undefined || env.trim() === '') return [...KERNEL_VERSIONS];
  return env.split(',').map((v) => parseKernelVersion(v));
}

/** A directory of files (text, a random blob, a nested file) to build the filesystems from. */
async function rootDir(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'etc', 'deep'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc', 'hostname'), 'packed\n');
  await fs.writeFile(path.join(dir, 'etc', 'deep', 'pattern'), Buffer.alloc(300_000, 0xa5));
  const blob = Buffer.alloc(3 << 20);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
  await fs.writeFile(path.join(dir, 'blob'), blob);
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** xfs from a directory: mkfs.xfs's prototype file (xfsprogs 6.1 has no -d DIR). */
async function xfsFrom(dir: string, image: string): Promise<void> {
  const lines = ['/dev/null', '0 0', 'd--755 0 0'];
  const walk = async (d: string, depth: number): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const pad = ' '.repeat(depth);
      if (e.isDirectory()) {
        lines.push(`${pad}${e.name} d--755 0 0`);
        await walk(path.join(d, e.name), depth + 1);
        lines.push(`${pad}$`);
      } else lines.push(`${pad}${e.name} ---644 0 0 ${path.join(d, e.name)}`);
    }
  };
  await walk(dir, 1);
  lines.push('$');
  const proto = `${image}.proto`;
  await fs.writeFile(proto, `${lines.join('\n')}\n`);
  await fs.writeFile(image, '');
  await fs.truncate(image, 320 << 20); // xfsprogs 6 refuses filesystems under 300 MiB
  must('mkfs.xfs', ['-q', '-f', '-m', 'reflink=0', '-b', 'size=4096', '-p', proto, image]);
}

interface Case {
  id: string;
  fs: 'ext4' | 'xfs';
  opts: PackOptions;
  /** Rewrite the block afterwards (a Kata builder's old-version block). */
  patch?: Partial<PfnFields>;
}

/** What Kata's builder writes: version 0.2, memmap in RAM, zero uuids, npfns 0 (the data start stays 2 MiB). */
const KATA_BUILDER: Partial<PfnFields> = {
  versionMajor: 0,
  versionMinor: 2,
  uuid: NIL_UUID,
  npfns: 0n,
  pageSize: 0n,
  pageStructSize: 0n,
};

const CASES: Case[] = [
  { id: 'ext4-fsdax-ram', fs: 'ext4', opts: { map: 'ram' } },
  { id: 'ext4-fsdax-pmem', fs: 'ext4', opts: { map: 'pmem' } },
  { id: 'ext4-fsdax-pmem-labelled', fs: 'ext4', opts: { map: 'pmem', labelSize: 128n << 10n } },
  { id: 'ext4-devdax-ram', fs: 'ext4', opts: { mode: 'devdax', map: 'ram' } },
  { id: 'xfs-fsdax-ram-labelled', fs: 'xfs', opts: { map: 'ram', labelSize: 128n << 10n } },
  { id: 'xfs-fsdax-pmem', fs: 'xfs', opts: { map: 'pmem' } },
  { id: 'xfs-devdax-pmem', fs: 'xfs', opts: { mode: 'devdax', map: 'pmem' } },
  { id: 'ext4-kata', fs: 'ext4', opts: { kata: true } },
  { id: 'ext4-kata-builder-0.2', fs: 'ext4', opts: { kata: true }, patch: KATA_BUILDER },
];

async function packAll(dir: string): Promise<PackResult[]> {
  const root = path.join(dir, 'root');
  await rootDir(root);
  const ext4 = path.join(dir, 'rootfs.ext4');
  must('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, ext4, '64M']);
  const xfs = path.join(dir, 'rootfs.xfs');
  await xfsFrom(root, xfs);
  const out: PackResult[] = [];
  for (const c of CASES) {
    const r = packImage(c.fs === 'ext4' ? ext4 : xfs, path.join(dir, `${c.id}.pmem`), {
      ...c.opts,
      uuid: `aaaaaaaa-bbbb-4ccc-8ddd-${String(CASES.indexOf(c) + 1).padStart(12, '0')}`,
    });
    if (c.patch !== undefined) await patchBlock(r.output, c.patch);
    out.push(r);
  }
  return out;
}

async function patchBlock(file: string, patch: Partial<PfnFields>): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    const block = Buffer.alloc(4096);
    await fh.read(block, 0, 4096, 4096);
    await fh.write(patchPfnBlock(block, patch), 0, 4096, 4096);
  } finally {
    await fh.close();
  }
}

/** QEMU accepts the printed options when it is still running (paused, -S) after a few seconds. */
function qemuAccepts(args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const extra = ['-accel', 'tcg', '-nodefaults', '-display', 'none', '-monitor', 'none', '-S'];
    const child = spawn('qemu-system-x86_64', [...args, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 4000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(`QEMU exited with ${String(code)}: ${err.trim()}`);
    });
  });
}

describe('pack under real kernels', () => {
  let packed: PackResult[] = [];
  let haveQemu = true;

  beforeAll(async () => {
    haveQemu = (await findOnPath('qemu-system-x86_64')) !== null;
    if (!haveQemu && process.env['CI'] === 'true') throw new Error('qemu-system-x86_64 not found');
    packed = await packAll(tmp.path('images'));
  });

  test('every pack is planned without start_pad, and every kernel profile claims it', () => {
    for (const r of packed) {
      expect(r.plan.fields.startPad).toBe(0n);
      expect(r.plan.fields.endTrunc).toBe(0n);
      const fsDax = r.plan.mode === 'devdax' ? 'not-mountable' : 'dax';
      expect(r.kernels.map((k) => `${k.kernel} ${k.outcome} ${k.dax?.outcome} ${k.dax?.filesystem}`)).toEqual(
        KERNEL_VERSIONS.map((k) => `${k} claimed consistent ${fsDax}`),
      );
    }
  });

  test("the validator claims the Kata builder's old-version block like pack's own", async () => {
    const i = CASES.findIndex((c) => c.patch !== undefined);
    const r = packed[i] as PackResult;
    const head = Buffer.alloc(8192);
    const fh = await fs.open(r.output, 'r');
    await fh.read(head, 0, 8192, 0);
    await fh.close();
    const v = checkHead(head, { nsBase: r.plan.nsBase, nsSize: r.plan.nsSize, kernel: '7.2' });
    expect([v.outcome, v.dataStart, v.dataSize]).toEqual(['claimed', r.plan.dataStart, r.plan.dataSize]);
  });

  test('QEMU accepts the printed options of every image', async () => {
    if (!haveQemu) return console.warn('SKIPPED: qemu-system-x86_64 not found');
    for (const r of packed) expect(await qemuAccepts(r.qemu.args)).toBeNull();
  });

  test.each(kernelsToRun())('Linux %s claims every packed image with the data in place', async (kernel) => {
    if (!haveQemu) return console.warn('SKIPPED: qemu-system-x86_64 not found');
    const [answers] = await verifyPackedImages(
      packed.map((r) => ({ file: r.output, plan: r.plan })),
      [kernel],
    );
    // Every image under the DAX probe: a plain image's filesystem, a labelled DIMM's namespace, a Kata-style
    // image's partition (/dev/pmem0p1): mounted with DAX (fsdax), every file the same through read(2) and mmap.
    const seen = (answers ?? []).map(
      (v, i) =>
        `${CASES[i]?.id ?? i}: ${v.ok ? 'ok' : v.problems.join('; ')}; dax ${v.dax?.outcome ?? 'none'} ` +
        `mount=${v.dax?.mount ?? 'none'} files=${v.dax?.files ?? 0}`,
    );
    console.log(`pack, Linux ${answers?.[0]?.release ?? kernel}:\n  ${seen.join('\n  ')}`);
    const files = (c: Case): number => (c.opts.mode === 'devdax' ? 0 : 3);
    expect(seen).toEqual(
      CASES.map(
        (c) => `${c.id}: ok; dax consistent mount=${c.opts.mode === 'devdax' ? 'none' : 'dax'} files=${files(c)}`,
      ),
    );
  });
});
