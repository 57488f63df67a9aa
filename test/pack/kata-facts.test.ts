/**
 * Our Kata-style layout against Kata Containers' own image builder (its
 * tools/osbuilder/image-builder/image_builder.sh, read for facts; none of its
 * code is here). Each constant and each byte of a `pack --kata` image that
 * the builder fixes is pinned with the place in the builder it comes from.
 *
 * What the builder's C helper (nsdax.gpl.c, which writes the DAX header) puts
 * in each field could not be read from the sources at hand: the header's
 * position (4 KiB), the data start (its header size argument, 2 MiB) and the
 * alignment (its alignment argument, 2 MiB) are what the script passes it and
 * are pinned; the block's remaining fields are pack's own (a current 1.4
 * block, memmap in RAM), proven on the booted kernels by pack.boot.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  decodeMbr,
  KATA_HEADER_SIZE,
  KATA_PARTITION_START,
  KATA_ROUND,
  LINUX_PARTITION_TYPE,
  SECTOR,
} from '../../src/format/kata';
import { decodePfnBlock, PFN_MODE } from '../../src/format/pfn';
import { packImage, type PackResult } from '../../src/pack/pack';
import { useTmpDir } from '../support/tmp';

const MiB = 1n << 20n;
const tmp = useTmpDir('kata-facts');

describe("Kata's image builder, fact by fact", () => {
  test('the header: MBR #1 and the DAX metadata fill the first 2 MiB (image_builder.sh: dax_header_sz=2)', () => {
    expect(KATA_HEADER_SIZE).toBe(2n * MiB);
  });
  test('the rootfs partition starts 1 MiB into the NVDIMM view (image_builder.sh: rootfs_start=1)', () => {
    expect(KATA_PARTITION_START).toBe(1n * MiB);
  });
  test('images are rounded up to 128 MiB (image_builder.sh: mem_boundary_mb=128, "Align image to 128M")', () => {
    expect(KATA_ROUND).toBe(128n * MiB);
  });
  test('an msdos label with one Linux partition (image_builder.sh: parted mklabel msdos, mkpart primary)', () => {
    expect(LINUX_PARTITION_TYPE).toBe(0x83);
  });
});

describe('a pack --kata image has the builder layout', () => {
  let r: PackResult;
  let file: Buffer;
  beforeAll(() => {
    const root = tmp.path('root');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'hostname'), 'kata\n');
    const ext4 = tmp.path('rootfs.ext4');
    // image_builder.sh: BLOCK_SIZE defaults to 4096 (mkfs.ext4 -b).
    const mk = spawnSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, ext4, '20M'], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mkfs.ext4: ${mk.stderr}`);
    r = packImage(ext4, tmp.path('kata.pmem'), { kata: true });
    file = fs.readFileSync(r.output);
  });

  test('the file size is a multiple of 128 MiB (mem_boundary_mb)', () => {
    expect(BigInt(file.length) % KATA_ROUND).toBe(0n);
  });

  test('MBR #1 in bytes 0-512, its one Linux partition at 3 MiB (set_dax_header: rootfs_start + dax_header_sz)', () => {
    const p = decodeMbr(file.subarray(0, 512));
    expect(p?.map((x) => [x.index, x.type, x.startLba * SECTOR])).toEqual([[1, 0x83, 3n * MiB]]);
  });

  test('the DAX header at 4 KiB (diagram: "4 - 8 Kb  DAX"): data start 2 MiB, align 2 MiB (dax_alignment=2)', () => {
    const b = decodePfnBlock(file.subarray(4096, 8192));
    expect(b.kind).toBe('pfn');
    expect(b.checksumValid).toBe(true);
    expect([b.fields.dataoff, b.fields.align, b.fields.startPad, b.fields.endTrunc]).toEqual([
      KATA_HEADER_SIZE,
      2n * MiB,
      0n,
      0n,
    ]);
    // pack's choice where the builder's helper is not at hand: the memmap in RAM (the 2 MiB header has no room).
    expect(b.fields.mode).toBe(PFN_MODE.ram);
  });

  test('MBR #2 at 2 MiB (diagram: "2M - 2M+512B  MBR #2"): its partition 1 MiB in, the bytes MBR #1 names', () => {
    const at = Number(KATA_HEADER_SIZE);
    const p1 = decodeMbr(file.subarray(0, 512))?.[0];
    const p2 = decodeMbr(file.subarray(at, at + 512))?.[0];
    expect(p2?.startLba).toBe(KATA_PARTITION_START / SECTOR);
    expect(p2?.sectors).toBe(p1?.sectors);
    expect(KATA_HEADER_SIZE + (p2?.startLba ?? 0n) * SECTOR).toBe((p1?.startLba ?? -1n) * SECTOR);
  });

  test('the rootfs at 3 MiB (the diagram: "3M  Rootfs"): the ext4 superblock magic there', () => {
    const sb = Number(3n * MiB) + 1024;
    expect(file.readUInt16LE(sb + 56)).toBe(0xef53);
    expect(r.plan.layout).toBe('kata');
  });
});
