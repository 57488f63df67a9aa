/**
 * Real-kernel proof of recover: images rebuilt by `recover --write` (real
 * ext4/XFS in the data area of ndctl and infoblock-written blocks, the block
 * zeroed or corrupted) are booted under each kernel of ND_KERNELS (default
 * 6.1), and the kernel's verdict must agree with `check` on each: claimed,
 * data_start and data_size. Inside the guest, the first bytes of the
 * /dev/pmemN the kernel exposes for a recovered fsdax image must start with
 * the filesystem (ext4 magic 53 ef at 0x438, XFS "XFSB" at 0).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { kernelCheckDetailed, parseKernelVersion, type KernelVersion } from '../../src/kernel';
import { run } from '../support/run';
import { CASES, buildImage, haveTools, UUID } from '../recover/fs-images';
import { useTmpDir } from '../support/tmp';
import { describeIf } from '../support/skip';

const picked = CASES.filter((c) =>
  /aligned, ext4, zeroed|1 MiB-off base \(legacy|ndctl -O, 1 MiB-off base, xfs|map=mem, ext4|devdax|block intact/.test(
    c.name,
  ),
);

const suite = describeIf(haveTools(), 'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)');

const KERNELS = ((): KernelVersion[] => {
  const env = process.env['ND_KERNELS'];
  return env === undefined || env.trim() === '' ? ['6.1'] : env.split(',').map((v) => parseKernelVersion(v.trim()));
})();

/** The filesystem's magic where the exposed device must show it: [byte offset, hex]. */
const MAGIC: Record<'ext4' | 'xfs', [number, string]> = {
  ext4: [0x438, '53ef'],
  xfs: [0, Buffer.from('XFSB').toString('hex')],
};

/** What firstBytes (hex of the device's first 2048 bytes) holds at `at`, as long as `want`. */
const bytesAt = (firstBytes: string | null | undefined, at: number, len: number): string | null =>
  typeof firstBytes === 'string' ? firstBytes.slice(at * 2, (at + len) * 2) : null;

suite.each(KERNELS.map((k) => [k]))('recovered images under Linux %s', (kernelVersion) => {
  const tmp = useTmpDir(`recover-kernel-${kernelVersion}`);
  let dir: string;
  beforeAll(() => {
    dir = tmp.dir;
  });

  /** check's verdict as the kernel shows it (the fields kernel-check reports). */
  async function checkOf(file: string, base: bigint): Promise<object> {
    const chk = await run(['check', file, '--ns-base', String(base), '--json']);
    // check --json's keys are snake_case; its u64 values are exact "0x…" strings.
    const v = JSON.parse(chk.stdout.toString()) as {
      outcome: string;
      data_start: string | null;
      data_size: string | null;
    };
    const big = (x: string | null): bigint | null => (x === null ? null : BigInt(x));
    return { outcome: v.outcome, dataStart: big(v.data_start), dataSize: big(v.data_size) };
  }

  test('the kernel agrees with check on every image, before and after recovery', async () => {
    expect(picked.length).toBe(7);
    type Spec = { name: string; path: string; base: bigint; dataStart: bigint; recovered: boolean };
    const specs: (Spec & { fs: 'ext4' | 'xfs' | 'none'; mode: 'fsdax' | 'devdax' })[] = [];
    for (const [i, c] of picked.entries()) {
      const img = await buildImage(c, path.join(dir, `img${i}.img`));
      // The damaged image boots beside the recovered one: the kernel must not find the data there.
      const damaged = path.join(dir, `img${i}-damaged.img`);
      execFileSync('cp', ['--sparse=always', img.file, damaged]);
      const uuid = c.damage === 'zero' ? ['--uuid', UUID] : [];
      const r = await run(['recover', img.file, '--ns-base', String(c.base), '--write', ...uuid]);
      expect(r.status).toBe(0);
      const kind = { fs: c.fs, mode: c.mode };
      specs.push({ name: c.name, path: img.file, base: c.base, dataStart: img.dataStart, recovered: true, ...kind });
      specs.push({
        ...kind,
        name: `${c.name} (damaged)`,
        path: damaged,
        base: c.base,
        dataStart: img.dataStart,
        recovered: false,
      });
    }
    const { verdicts, observations } = await kernelCheckDetailed(
      specs.map((s) => ({ path: s.path, base: s.base })),
      { timeoutMs: 600000, kernel: kernelVersion },
    );
    const seen: string[] = [];
    for (const [i, s] of specs.entries()) {
      const k = verdicts[i];
      const kernel = { image: s.name, outcome: k?.outcome, dataStart: k?.dataStart, dataSize: k?.dataSize };
      expect(kernel).toEqual({ image: s.name, ...(await checkOf(s.path, s.base)) });
      if (s.recovered) expect(k?.dataStart).toBe(s.dataStart);
      else expect(k?.outcome === 'claimed' && k.dataStart === s.dataStart).toBe(false);
      if (!s.recovered || s.mode !== 'fsdax' || s.fs === 'none') continue;
      // The guest's own read of the device it exposes: the filesystem starts at its byte 0.
      const dev = observations[i]?.blockDevice;
      const [at, magic] = MAGIC[s.fs];
      expect({
        image: s.name,
        device: dev?.name?.startsWith('pmem'),
        magic: bytesAt(dev?.firstBytes, at, magic.length / 2),
      }).toEqual({ image: s.name, device: true, magic });
      seen.push(s.fs);
    }
    // Both filesystems were read back from a guest device (5 of the 7 picked images are fsdax with a filesystem).
    expect([...new Set(seen)].sort()).toEqual(['ext4', 'xfs']);
    expect(seen.length).toBe(5);
  });
});
