// `infoblock pack` and `unpack` end to end (in-process, real files made with
// mkfs.ext4): every bad input exits 2 with one line naming the fix and leaves
// nothing behind; a packed image is sparse, holds the filesystem at the data
// start, is claimed by check at the printed base, follows the schema, and
// unpacks to the same bytes; Kata and labelled layouts read back; the
// zero-skipping fallback and an interrupted build leave the same guarantees.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeMbr } from '../../src/format/kata';
import { patchPfnBlock } from '../../src/format/pfn';
import { NIL_UUID } from '../../src/format/uuid';
import { packImage, unpackImage } from '../../src/pack/pack';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { thrownBy } from '../support/errors';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('pack');
const MiB = 1 << 20;

function mkfs(args: string[]): void {
  const r = spawnSync('mkfs.ext4', ['-q', '-F', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfs.ext4 ${args.join(' ')}: ${r.stderr}`);
}

let ext4 = '';
let ext4k = '';
let reflinkXfs = '';

beforeAll(() => {
  const root = tmp.path('root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'packed\n');
  fs.writeFileSync(path.join(root, 'blob'), Buffer.alloc(2 * MiB, 0x5a));
  ext4 = tmp.path('rootfs.ext4');
  mkfs(['-b', '4096', '-d', root, ext4, '32M']);
  ext4k = tmp.path('small.ext4');
  mkfs(['-b', '1024', ext4k, '8M']);
  // An xfs superblock with reflink (mkfs.xfs needs 300 MiB; the superblock is what pack reads).
  const sb = Buffer.alloc(8 * MiB);
  sb.writeUInt32BE(0x58465342, 0);
  sb.writeUInt32BE(4096, 4);
  sb.writeBigUInt64BE(2048n, 8);
  sb.writeUInt16BE(0xb4a5, 100);
  sb.writeUInt32BE(0x5, 212);
  reflinkXfs = tmp.file('reflink.xfs', sb);
});

const leftovers = (): string[] => fs.readdirSync(tmp.dir).filter((n) => n.includes('.tmp-'));

describe('bad input: exit 2, one line with the fix, nothing written', () => {
  test.each([
    ['a 1 KiB-block ext4', () => [ext4k], /1024-byte blocks: DAX needs blocks of the page size .*mkfs\.ext4 -b 4096$/],
    [
      'a file that is no filesystem',
      () => [tmp.file('junk.bin', Buffer.alloc(MiB, 7))],
      /holds no ext2\/3\/4 or xfs.*; pass --force$/,
    ],
    ['xfs with reflink', () => [reflinkXfs], /reflink.*remake it with mkfs\.xfs -m reflink=0$/],
    [
      'a base that forces a start_pad',
      () => [ext4, '--ns-base', '0x100100000'],
      /start_pad of 0x100000, which breaks DAX; the nearest good base is 0x100000000; pass --ns-base 0x100000000$/,
    ],
    [
      'a base below device memory',
      () => [ext4, '--ns-base', '1G'],
      /below QEMU's device memory.*--ns-base 0x100000000$/,
    ],
    [
      'an image larger than the namespace can hold',
      () => [ext4, '--ns-size', '16M'],
      /a 0x1000000-byte namespace cannot hold .*the smallest that can is 0x2200000; pass --ns-size 0x2200000$/,
    ],
    ['--kernels without --verify', () => [ext4, '--kernels', '6.1'], /--kernels needs --verify$/],
    [
      'a kernel --verify cannot boot',
      () => [ext4, '--verify', '--kernels', '9.9'],
      /unknown kernel version '9\.9': use one of 5\.10, 6\.1, 6\.12, 7\.2$/,
    ],
    ['a Kata devdax image', () => [ext4, '--kata', '--mode', 'devdax'], /devdax namespace has no partitions$/],
  ])('%s', async (_what, argv, line) => {
    const out = tmp.path('bad.pmem');
    const r = await run(['pack', ...argv(), '-o', out]);
    expect([r.code, r.errLines.length, r.out]).toEqual([2, 1, '']);
    expect(r.errLines[0]).toMatch(/^infoblock: /);
    expect(r.errLines[0]).toMatch(line);
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test('an existing output without --force is left as it was', async () => {
    const out = tmp.file('exists.pmem', 'keep me');
    const r = await run(['pack', ext4, '-o', out]);
    expect([r.code, r.errLines]).toEqual([2, [`infoblock: '${out}' exists; nothing was written; pass --force`]]);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
  });

  test('--json: the failure is an error document too', async () => {
    const r = await run(['pack', ext4k, '-o', tmp.path('j.pmem'), '--json']);
    expect(r.code).toBe(2);
    expectSchema('error', json(r));
    expect((json(r) as { error: { code: string } }).error.code).toBe('unsupported');
  });
});

describe('a packed ext4', () => {
  let out = '';
  let text = '';

  beforeAll(async () => {
    out = tmp.path('rootfs.pmem');
    const r = await run(['pack', ext4, '-o', out]);
    expect(r.code).toBe(0);
    text = r.out;
  });

  test('prints the namespace, every kernel, the QEMU line and the mount line', () => {
    expect(text).toContain('namespace: fsdax, memmap in RAM, 34 MiB at 0x100000000, data start 0x200000, start_pad 0');
    for (const k of ['5.10', '6.1', '6.12', '7.2']) expect(text).toContain(`Linux ${k}: claimed, DAX consistent`);
    expect(text).toContain(
      `qemu-system-x86_64 -machine q35,nvdimm=on -m 2G,slots=2,maxmem=3G -object memory-backend-file,id=mem1,` +
        `share=on,mem-path=${out},size=34M -device nvdimm,id=nv1,memdev=mem1,addr=0x100000000`,
    );
    expect(text).toContain('mount -t ext4 -o dax=always /dev/pmem0 /mnt');
  });

  test('is sparse and holds the filesystem byte for byte at the data start', () => {
    const st = fs.statSync(out);
    expect(st.size).toBe(34 * MiB);
    expect(st.blocks * 512).toBeLessThan(st.size / 2);
    const img = fs.readFileSync(out);
    expect(img.subarray(2 * MiB, 34 * MiB).equals(fs.readFileSync(ext4))).toBe(true);
  });

  test('check claims it at the printed base with the data start pack chose', async () => {
    const r = await run(['check', out, '--ns-base', '0x100000000', '--kernels', 'all', '--json']);
    const doc = json(r) as { verdicts: Record<string, { outcome: string; data_start: string }> };
    expect(Object.values(doc.verdicts).map((v) => `${v.outcome} ${v.data_start}`)).toEqual(
      Array(4).fill('claimed 0x200000'),
    );
  });

  test('unpack gives back the same filesystem, sparse', async () => {
    const back = tmp.path('back.ext4');
    const r = await run(['unpack', out, '-o', back]);
    expect([r.code, r.out]).toEqual([
      0,
      `unpacked the ext4 at the data start of ${out} (32 MiB at 0x200000) into ${back}\n`,
    ]);
    expect(fs.readFileSync(back).equals(fs.readFileSync(ext4))).toBe(true);
    expect(fs.statSync(back).blocks * 512).toBeLessThan(16 * MiB);
  });

  test('--json follows the pack schema', async () => {
    const r = await run(['pack', ext4, '-o', tmp.path('j.pmem'), '--json', '--map', 'pmem']);
    expect(r.code).toBe(0);
    const doc = json(r) as { namespace: { map: string; data_start: string }; output: { layout: string } };
    expectSchema('pack', doc);
    expect([doc.namespace.map, doc.output.layout]).toEqual(['pmem', 'plain']);
  });

  test('--force replaces an existing output', async () => {
    const dst = tmp.file('replace.pmem', 'old');
    expect((await run(['pack', ext4, '-o', dst, '--force'])).code).toBe(0);
    expect(fs.statSync(dst).size).toBe(34 * MiB);
  });
});

describe('layouts', () => {
  test('Kata: an MBR for the disk, one for the NVDIMM, the same partition, and unpack finds it', async () => {
    const out = tmp.path('kata.img');
    const r = await run(['pack', ext4, '-o', out, '--kata']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('mount -t ext4 -o dax=always /dev/pmem0p1 /mnt');
    expect(r.out).toContain('/dev/vda1');
    const img = fs.readFileSync(out);
    expect(img.length).toBe(128 * MiB);
    expect(decodeMbr(img.subarray(0, 512))?.[0]?.startLba).toBe(6144n);
    expect(decodeMbr(img.subarray(2 * MiB, 2 * MiB + 512))?.[0]?.startLba).toBe(2048n);
    const back = tmp.path('kata-back.ext4');
    expect((await run(['unpack', out, '-o', back])).out).toContain("the ext4 in Kata's partition");
    expect(fs.readFileSync(back).equals(fs.readFileSync(ext4))).toBe(true);
  });

  test("a Kata builder's image (a 0.2 block): read finds it, check says what each kernel does", async () => {
    const out = tmp.path('kata-builder.img');
    packImage(ext4, out, { kata: true });
    const img = fs.readFileSync(out);
    const old = { versionMajor: 0, versionMinor: 2, uuid: NIL_UUID, npfns: 0n, pageSize: 0n, pageStructSize: 0n };
    fs.writeFileSync(
      out,
      Buffer.concat([img.subarray(0, 4096), patchPfnBlock(img.subarray(4096, 8192), old), img.subarray(8192)]),
    );
    const read = await run(['read', '-i', out, '-j']);
    expect(read.out).toContain('"version":"0.2"');
    const check = await run(['check', out, '--ns-base', '0x100000000', '--kernels', 'all']);
    expect(check.code).toBe(0);
    expect(check.out).toContain('Kata-style image: partition at file offset 0x300000 (125 MiB)');
    expect(check.out).toContain('both views agree');
    for (const k of ['5.10', '6.1', '6.12', '7.2'])
      expect(check.out).toContain(`Linux ${k} with this Kata image: /dev/pmem0p1 is the partition`);
    const back = tmp.path('kata-builder.ext4');
    expect((await run(['unpack', out, '-o', back])).code).toBe(0);
    expect(fs.readFileSync(back).equals(fs.readFileSync(ext4))).toBe(true);
  });

  test('labelled: labels read shows the namespace, check --label-size claims it', async () => {
    const out = tmp.path('labelled.pmem');
    const uuid = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
    expect((await run(['pack', ext4, '-o', out, '--label-size', '128K', '--uuid', uuid])).code).toBe(0);
    expect(fs.statSync(out).size).toBe(34 * MiB + 128 * 1024);
    const labels = await run(['labels', 'read', out, '--label-size', '128K']);
    expect(labels.out).toContain(`slot 0: ${uuid} dpa 0x0 size ${34 * MiB}`);
    const check = await run(['check', out, '--label-size', '128K', '--json']);
    expect(check.out).toContain('"outcome": "claimed"');
  });

  test('devdax: the guest maps /dev/dax0.0', async () => {
    const r = await run(['pack', ext4, '-o', tmp.path('dax.pmem'), '--mode', 'devdax']);
    expect(r.out).toContain('/dev/dax0.0 (a character device: mmap it, it cannot be mounted)');
  });
});

describe('the copy', () => {
  test('without cp and fallocate the zero-skipping copy gives the same bytes, sparse', () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = tmp.path('no-tools');
    let r;
    try {
      r = packImage(ext4, tmp.path('zs.pmem'));
    } finally {
      process.env['PATH'] = saved;
    }
    expect(r.copy).toBe('zero-skip');
    const img = fs.readFileSync(r.output);
    expect(img.subarray(2 * MiB, 34 * MiB).equals(fs.readFileSync(ext4))).toBe(true);
    expect(r.allocated).toBeLessThan(16n * BigInt(MiB));
  });

  test('an interrupted build leaves neither the output nor a temporary file', () => {
    const out = tmp.path('interrupted.pmem');
    const faults = {
      at: (step: string): void => {
        if (step === 'temp-synced') throw new Error('power cut');
      },
    };
    expect(thrownBy(() => packImage(ext4, out, { faults }))).toBeInstanceOf(Error);
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test('unpack refuses an image without an info-block', () => {
    const e = thrownBy(() => unpackImage(ext4, tmp.path('none.ext4')));
    expect((e as { code: string }).code).toBe('no-block');
  });
});
