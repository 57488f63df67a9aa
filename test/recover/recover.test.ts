// recover against real filesystems: blocks from our writer and the real
// ndctl (aligned bases, 1 MiB-off bases, map=mem, devdax), a real ext4 or
// XFS in their data area, the block zeroed or corrupted, then
// `recover --write`: `check` must claim the namespace with the data exactly
// at the filesystem, and a legacy-meaning original must come back byte for byte.
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { CASES, UUID, buildImage, haveTools, readBlock } from './fs-images';
import { describeIf } from '../support/skip';

const suite = describeIf(haveTools(), 'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)');
const tmp = useTmpDir('recover');

suite('recover --write on real filesystems', () => {
  test.each(CASES)('$name', async (c) => {
    const img = await buildImage(c, tmp.path(`${c.name.replace(/[^a-z0-9]+/gi, '-')}.img`));
    const damaged = readBlock(img.file);
    const args = [
      'recover',
      img.file,
      '--ns-base',
      String(c.base),
      '--write',
      '--json',
      ...(c.damage === 'zero' ? ['--uuid', UUID] : []),
    ];
    const r = await run(args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout.toString()) as {
      status: string;
      candidates: { data_start: string }[];
      written: { backup: string } | null;
    };
    expect(plan.status).toBe('written');
    expect(plan.candidates[0]?.data_start).toBe(`0x${img.dataStart.toString(16)}`);
    expect(plan.written).not.toBeNull();
    const chk = await run(['check', img.file, '--ns-base', String(c.base), '--json']);
    expect(chk.status).toBe(0);
    const v = JSON.parse(chk.stdout.toString()) as { outcome: string; data_start: number };
    expect(v.outcome).toBe('claimed');
    expect(BigInt(v.data_start)).toBe(img.dataStart);
    const now = readBlock(img.file);
    if (c.sameBlock) expect(now.equals(img.original)).toBe(true);
    else expect(now.equals(img.original)).toBe(false);
    // A second run finds nothing to do; restore puts the damaged block back.
    const again = await run(['recover', img.file, '--ns-base', String(c.base)]);
    expect(again.status).toBe(0);
    expect(again.stdout.toString()).toContain('nothing to recover');
    const undo = await run(['restore', img.file, '--backup', plan.written?.backup ?? '']);
    expect(undo.status).toBe(0);
    expect(readBlock(img.file).equals(damaged)).toBe(true);
  });
});
