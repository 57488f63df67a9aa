// The planner as the inverse of the write recipe: for any namespace (base,
// size) where a legacy block is claimed, zeroing that block and planning
// from a filesystem at its data start gives back the same block (given the
// uuid), and for map=mem the same data start under the kernel.
import fc from 'fast-check';
import { HEAD_SIZE } from '../../src/format/head';
import { encodePfnBlock, headWithBlock } from '../../src/index';
import { recipeFields } from '../../src/format/recipe';
import { planRecovery } from '../../src/recover/plan-recovery';
import type { FsFinding } from '../../src/scan/detect';
import { checkHead } from '../../src/validate/check';

const UUID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const MiB = 1n << 20n;

const namespace = fc.record({
  base: fc.bigInt({ min: 0n, max: (1n << 40n) / 4096n }).map((x) => x * 4096n),
  size: fc.bigInt({ min: 16n * 4n, max: 4096n * 4n }).map((x) => x * (MiB / 4n)),
  map: fc.constantFrom('dev' as const, 'mem' as const),
});

function fsAt(offset: bigint, size: bigint): FsFinding {
  return {
    kind: 'ext4',
    offset,
    superblock: offset + 1024n,
    size,
    blockSize: 4096n,
    uuid: UUID,
    variant: 'ext4',
    copy: false,
    group: 0,
  };
}

test('plan(zeroed block, filesystem at the data start) rebuilds the written block', () => {
  let checked = 0;
  fc.assert(
    fc.property(namespace, ({ base, size, map }) => {
      let fields;
      try {
        fields = recipeFields({ size, offset: base, map, uuid: UUID });
      } catch {
        return; // no data area left for this size and base
      }
      const original = encodePfnBlock(fields);
      const before = checkHead(headWithBlock(original), { nsBase: base, nsSize: size });
      fc.pre(before.outcome === 'claimed');
      const start = before.dataStart ?? 0n;
      const plan = planRecovery(new Uint8Array(HEAD_SIZE), [fsAt(start, before.dataSize ?? 0n)], {
        nsBase: base,
        nsSize: size,
        kernel: 'linux-6.1',
        uuid: UUID,
      });
      expect(plan.status).toBe('proposed');
      const c = plan.candidates[0];
      expect(c?.verdict).toMatchObject({ outcome: 'claimed', dataStart: start, dataSize: before.dataSize });
      if (map === 'dev') expect(Buffer.from(c?.block ?? []).equals(Buffer.from(original))).toBe(true);
      checked++;
    }),
    { numRuns: 300 },
  );
  expect(checked).toBeGreaterThan(100);
});

test.each([
  ['map', 'claimed'],
  ['linux-6.1', 'rejected'],
] as const)('--meaning map at a 1 MiB-off base under %s: %s', (kernel, expected) => {
  const base = 0x1_4010_0000n;
  const size = 256n * MiB;
  const start = 0x700000n;
  const plan = planRecovery(new Uint8Array(HEAD_SIZE), [fsAt(start, 248n * MiB)], {
    nsBase: base,
    nsSize: size,
    kernel,
    uuid: UUID,
    meaning: 'map',
  });
  if (expected === 'rejected') {
    expect(plan.status).toBe('nothing');
    expect(plan.rejected[0]?.reason).toMatch(/^linux-6\.1 would not expose the data there .*refused \(bad offset/);
    return;
  }
  const c = plan.candidates[0];
  expect(c?.fields).toMatchObject({
    versionMajor: 2,
    versionMinor: 4,
    dataoff: start,
    startPad: 0x100000n,
    npfns: 63488n,
  });
  expect(c?.verdict).toMatchObject({ outcome: 'claimed', dataStart: start, dataSize: 248n * MiB, meaning: 'map' });
});
