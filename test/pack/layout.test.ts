// The pure parts of pack: filesystem sniffing over crafted superblocks, the
// MBR codec and Kata layout check, the layout planner's invariants (no
// start_pad, no end_trunc, the content fits, the size is the smallest), and
// the QEMU options.
import fc from 'fast-check';
import { sniffFilesystem, mountType } from '../../src/format/filesystem';
import { decodeMbr, encodeMbr, kataLayoutOf, KATA_HEADER_SIZE } from '../../src/format/kata';
import { decodeLabelArea } from '../../src/format/labels-area';
import { InvalidArgumentError } from '../../src/format/errors';
import { alignmentInForce, labelAreaOf, nearestGoodBase, planPack, type PackParams } from '../../src/pack/layout';
import { guestUseOf, qemuOptionsFor, qemuSize } from '../../src/pack/qemu-options';
import { thrownBy } from '../support/errors';

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const UUID = '11111111-2222-4333-8444-555555555555';

interface ExtSpec {
  logBlock?: number;
  blocks?: number;
  incompat?: number;
  compat?: number;
  defaultMount?: number;
}

function extSuperblock(s: ExtSpec = {}): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  dv.setUint32(1024 + 0x04, s.blocks ?? 16384, true);
  dv.setUint32(1024 + 0x18, s.logBlock ?? 2, true);
  dv.setUint16(1024 + 0x38, 0xef53, true);
  dv.setUint32(1024 + 0x5c, s.compat ?? 0x4, true);
  dv.setUint32(1024 + 0x60, s.incompat ?? 0x2c2, true);
  dv.setUint32(1024 + 0x100, s.defaultMount ?? 0x0c, true);
  return b;
}

function xfsSuperblock(blockSize: number, roCompat: number, version = 5): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x58465342, false);
  dv.setUint32(4, blockSize, false);
  dv.setBigUint64(8, 81920n, false);
  dv.setUint16(100, 0xb4a0 | version, false);
  dv.setUint32(212, roCompat, false);
  return b;
}

describe('sniffFilesystem', () => {
  test.each([
    ['ext4, 4 KiB blocks', extSuperblock(), 'ext4', 4096, 64n * MiB, []],
    ['ext4, 1 KiB blocks', extSuperblock({ logBlock: 0, blocks: 65536 }), 'ext4', 1024, 64n * MiB, ['block-size']],
    ['ext3 (journal, no extents)', extSuperblock({ incompat: 0x2 }), 'ext3', 4096, 64n * MiB, []],
    ['ext2', extSuperblock({ incompat: 0x2, compat: 0 }), 'ext2', 4096, 64n * MiB, []],
    ['ext4 data=journal', extSuperblock({ defaultMount: 0x2c }), 'ext4', 4096, 64n * MiB, ['data-journal']],
    ['xfs, no reflink', xfsSuperblock(4096, 0x1), 'xfs', 4096, 320n * MiB, []],
    ['xfs, reflink', xfsSuperblock(4096, 0x5), 'xfs', 4096, 320n * MiB, ['reflink']],
    ['xfs v4 (no feature words)', xfsSuperblock(4096, 0x4, 4), 'xfs', 4096, 320n * MiB, []],
    ['xfs, 1 KiB blocks', xfsSuperblock(1024, 0), 'xfs', 1024, 80n * MiB, ['block-size']],
  ])('%s', (_what, bytes, kind, blockSize, size, obstacles) => {
    const f = sniffFilesystem(bytes);
    expect(f).not.toBeNull();
    expect([f?.kind, f?.blockSize, f?.size]).toEqual([kind, blockSize, size]);
    expect(f?.obstacles.map((o) => o.code)).toEqual(obstacles);
  });

  test('the 1 KiB ext4 obstacle says how to remake it', () => {
    expect(sniffFilesystem(extSuperblock({ logBlock: 0 }))?.obstacles[0]?.fix).toBe('mkfs.ext4 -b 4096');
  });

  test.each([
    ['zeros', new Uint8Array(4096)],
    ['too short', extSuperblock().subarray(0, 1500)],
    ['ext magic, absurd block size', extSuperblock({ logBlock: 9 })],
    ['xfs magic, block size 3000', xfsSuperblock(3000, 0)],
  ])('%s is no filesystem', (_what, bytes) => {
    expect(sniffFilesystem(bytes)).toBeNull();
  });

  test('ext2 and ext3 mount through the ext4 driver', () => {
    expect([mountType('ext2'), mountType('ext3'), mountType('xfs')]).toEqual(['ext4', 'ext4', 'xfs']);
  });
});

describe('MBR and the Kata layout', () => {
  test('an MBR round-trips its one partition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.integer({ min: 1, max: 1 << 22 }), (s, n) => {
        const mbr = encodeMbr(BigInt(s) * 512n, BigInt(n) * 512n, 0x1234);
        expect(decodeMbr(mbr)).toEqual([
          { index: 1, type: 0x83, bootable: false, startLba: BigInt(s), sectors: BigInt(n) },
        ]);
      }),
    );
  });

  test.each([
    ['not sector-aligned', 1000n, 512n],
    ['empty', 512n, 0n],
    ['beyond 2 TiB', 512n, 1n << 42n],
  ])('encodeMbr refuses a partition %s', (_w, start, size) => {
    expect(thrownBy(() => encodeMbr(start, size))).toBeInstanceOf(InvalidArgumentError);
  });

  test('decodeMbr wants the 0x55AA signature', () => {
    const mbr = encodeMbr(512n, 512n);
    mbr[511] = 0;
    expect(decodeMbr(mbr)).toBeNull();
  });

  const size = 128n * MiB;
  const mbr1 = encodeMbr(3n * MiB, size - 3n * MiB);
  const mbr2 = encodeMbr(1n * MiB, size - 3n * MiB);

  test('both views of a Kata image name the same bytes', () => {
    expect(kataLayoutOf(mbr1, mbr2, KATA_HEADER_SIZE, size)).toEqual({
      disk: { start: 3n * MiB, size: size - 3n * MiB },
      nvdimm: { start: 1n * MiB, size: size - 3n * MiB },
      fileOffset: 3n * MiB,
      consistent: true,
      problems: [],
    });
  });

  test.each([
    ['a disk partition elsewhere', encodeMbr(4n * MiB, size - 4n * MiB), mbr2, size, false, 2],
    ['a file that is not a 128 MiB multiple', mbr1, mbr2, size + 2n * MiB, true, 1],
  ])('%s is reported', (_w, a, b, fileSize, consistent, problems) => {
    const k = kataLayoutOf(a, b, KATA_HEADER_SIZE, fileSize);
    expect([k?.consistent, k?.problems.length]).toEqual([consistent, problems]);
  });

  test('no MBR at the data start: not a Kata image', () => {
    expect(kataLayoutOf(mbr1, new Uint8Array(512), KATA_HEADER_SIZE, size)).toBeNull();
  });
});

describe('planPack', () => {
  const params = fc.record({
    mode: fc.constantFrom('fsdax' as const, 'devdax' as const),
    map: fc.constantFrom('ram' as const, 'pmem' as const),
    align: fc.constantFrom(4096n, 64n << 10n, 2n * MiB, 16n * MiB, GiB),
    labelled: fc.boolean(),
  });

  test('no start_pad, no end_trunc, the content fits, and one step smaller would not', () => {
    fc.assert(
      fc.property(params, fc.bigInt({ min: 1n, max: 3n * GiB }), fc.integer({ min: 0, max: 64 }), (p, content, k) => {
        const a = alignmentInForce(p.align);
        const base = ((4n * GiB + a - 1n) / a) * a + BigInt(k) * a;
        const q: PackParams = {
          mode: p.mode,
          map: p.map,
          align: p.align,
          nsBase: base,
          ...(p.labelled ? { labelSize: 128n << 10n } : {}),
        };
        const plan = planPack(content, q, UUID);
        expect([plan.fields.startPad, plan.fields.endTrunc]).toEqual([0n, 0n]);
        expect(plan.nsSize % a).toBe(0n);
        expect(plan.dataStart + content <= plan.nsSize).toBe(true);
        expect(plan.fileSize).toBe(plan.nsSize + (p.labelled ? 128n << 10n : 0n));
        if (plan.nsSize > a) {
          const smaller = thrownBy(() => planPack(content, { ...q, nsSize: plan.nsSize - a }, UUID));
          expect(smaller).toBeInstanceOf(InvalidArgumentError);
        }
      }),
      { numRuns: 60 },
    );
  });

  test.each([
    [0x100100000n, 2n * MiB, 0x100000000n],
    [0x1001fffffn, 2n * MiB, 0x100200000n],
    [0x0n, 2n * MiB, 0x100000000n],
    [0x140000000n + MiB, GiB, 0x140000000n],
  ])('base %s with alignment %s: the nearest good base is %s', (base, a, good) => {
    expect(nearestGoodBase(base, a)).toBe(good);
    const e = thrownBy(() => planPack(MiB, { nsBase: base, align: a }, UUID));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).hint).toEqual({ pass: { nsBase: `0x${good.toString(16)}` } });
  });

  test.each([
    ['devdax Kata', { kata: true, mode: 'devdax' }],
    ['Kata with the memmap on the device', { kata: true, map: 'pmem' }],
    ['labelled Kata', { kata: true, labelSize: 128n << 10n }],
    ['a label area below 128 KiB', { labelSize: 64n << 10n }],
    ['a namespace size off the alignment', { nsSize: 65n * MiB }],
    ['a bad uuid', { uuid: 'nope' }],
  ] as [string, PackParams][])('refuses %s', (_w, p) => {
    expect(thrownBy(() => planPack(MiB, p, UUID))).toBeInstanceOf(InvalidArgumentError);
  });

  test('a Kata plan: 2 MiB data start, the partition 1 MiB into the data, 128 MiB multiples', () => {
    const plan = planPack(200n * MiB, { kata: true }, UUID);
    expect([plan.dataStart, plan.contentOffset, plan.nsSize, plan.map]).toEqual([
      2n * MiB,
      3n * MiB,
      256n * MiB,
      'ram',
    ]);
  });

  test('a labelled plan carries one namespace over the whole capacity, the block naming it as parent', () => {
    const plan = planPack(10n * MiB, { labelSize: 128n << 10n, uuid: UUID }, '99999999-2222-4333-8444-555555555555');
    const area = decodeLabelArea(labelAreaOf(plan) as Uint8Array);
    expect(area.labels.map((l) => [l.fields.uuid, l.fields.dpa, l.fields.rawsize])).toEqual([[UUID, 0n, plan.nsSize]]);
    expect(plan.fields.parentUuid).toBe(UUID);
    expect(plan.fields.uuid).toBe('99999999-2222-4333-8444-555555555555');
  });
});

describe('qemuOptionsFor', () => {
  test('a label-less fsdax image at the default base', () => {
    const plan = planPack(64n * MiB, {}, UUID);
    expect(qemuOptionsFor(plan, '/img/a,b.pmem').args).toEqual([
      '-machine',
      'q35,nvdimm=on',
      '-m',
      '2G,slots=2,maxmem=3G',
      '-object',
      'memory-backend-file,id=mem1,share=on,mem-path=/img/a,,b.pmem,size=66M',
      '-device',
      'nvdimm,id=nv1,memdev=mem1,addr=0x100000000',
    ]);
    expect(guestUseOf(plan, 'ext4').mount).toBe('mount -t ext4 -o dax=always /dev/pmem0 /mnt');
  });

  test('labelled: the label area in size= and label-size=; devdax: no mount line', () => {
    const plan = planPack(64n * MiB, { labelSize: 128n << 10n, mode: 'devdax' }, UUID);
    const args = qemuOptionsFor(plan, 'x').args;
    expect(args[5]).toBe('memory-backend-file,id=mem1,share=on,mem-path=x,size=67712K');
    expect(args[7]).toBe('nvdimm,id=nv1,memdev=mem1,addr=0x100000000,label-size=128K');
    expect(guestUseOf(plan, 'ext4')).toEqual({ device: '/dev/dax0.0', mount: null, diskDevice: null });
  });

  test('a large namespace with the memmap in RAM gets the RAM for it', () => {
    const plan = planPack(200n * GiB, { map: 'ram' }, UUID);
    expect(qemuOptionsFor(plan, 'x').ram).toBe(5n * GiB);
  });

  test.each([
    [2n * GiB, '2G'],
    [66n * MiB, '66M'],
    [(66n * MiB) | (128n << 10n), '67712K'],
    [1000n, '1000'],
  ])('qemuSize(%s) = %s', (n, s) => expect(qemuSize(n)).toBe(s));
});
