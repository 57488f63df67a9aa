// What the read and write commands do to files, stdin and stdout.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  blockChecksum,
  decodePfnBlock,
  encodePfnBlock,
  findBlocks,
  headWithBlock,
  patchPfnBlock,
  recipeFields,
} from '../../src/index';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const U = '11111111-2222-3333-4444-555555555555';
const P = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const tmp = useTmpDir('cli-rw');
const p = (name: string): string => tmp.path(name);

async function headOf(argv: string[]): Promise<Buffer> {
  const r = await run(['write', '-c', ...argv]);
  expect(r.code).toBe(0);
  expect(r.stdout.length).toBe(8192);
  return r.stdout;
}

describe('write -c', () => {
  test('writes exactly 8 KiB: 4 KiB of zeros, then a valid block; "wrote 1 infoblock" on stderr', async () => {
    const r = await run(['write', '-c', '-s', '1G', '-u', U]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(8192);
    expect(r.stdout.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(r.errLines).toEqual(['wrote 1 infoblock']);
    const d = decodePfnBlock(r.stdout.subarray(4096));
    expect(d.checksumValid).toBe(true);
    expect(d.fields).toMatchObject({ uuid: U, dataoff: 18874368n, npfns: 257536n, versionMajor: 1, versionMinor: 4 });
  });

  test('the head equals headWithBlock(encodePfnBlock(recipeFields(...))) for the same parameters', async () => {
    const head = await headOf([
      '-s',
      '16G',
      '-u',
      U,
      '-p',
      P,
      '-O',
      '0x100100000',
      '-m',
      'devdax',
      '-M',
      'mem',
      '-a',
      '1G',
      '--meaning',
      'map',
    ]);
    const lib = headWithBlock(
      encodePfnBlock(
        recipeFields({
          size: 16n << 30n,
          uuid: U,
          parentUuid: P,
          offset: 0x100100000n,
          mode: 'devdax',
          map: 'mem',
          align: 1n << 30n,
          meaning: 'map',
        }),
      ),
    );
    expect(head.equals(Buffer.from(lib))).toBe(true);
  });

  test('without -u every run picks a fresh uuid', async () => {
    const a = decodePfnBlock((await headOf(['-s', '1G'])).subarray(4096)).fields.uuid;
    const b = decodePfnBlock((await headOf(['-s', '1G'])).subarray(4096)).fields.uuid;
    expect(a).not.toBe(b);
  });
});

describe('write -o', () => {
  test('on an existing larger file changes only the first 8 KiB and never truncates', async () => {
    const size = 3 * 1024 * 1024 + 123;
    const original = crypto.randomBytes(size);
    fs.writeFileSync(p('big.img'), original);
    const r = await run(['write', '-o', p('big.img'), '-s', '1G', '-u', U]);
    expect(r.code).toBe(0);
    const after = fs.readFileSync(p('big.img'));
    expect(after.length).toBe(size);
    expect(after.subarray(8192).equals(original.subarray(8192))).toBe(true);
    expect(after.subarray(0, 8192).equals(await headOf(['-s', '1G', '-u', U]))).toBe(true);
  });

  test('a second write over the same file changes only the head again', async () => {
    const original = crypto.randomBytes(100_000);
    fs.writeFileSync(p('twice.img'), original);
    expect((await run(['write', '-o', p('twice.img'), '-s', '64M', '-u', U])).code).toBe(0);
    expect((await run(['write', '-o', p('twice.img'), '-s', '1G', '-u', U, '-m', 'devdax'])).code).toBe(0);
    const after = fs.readFileSync(p('twice.img'));
    expect(after.length).toBe(100_000);
    expect(after.subarray(8192).equals(original.subarray(8192))).toBe(true);
    expect(findBlocks(after)[0]?.kind).toBe('dax');
  });

  test('without -s the size is the file length', async () => {
    const size = 64 * 1024 * 1024;
    const fd = fs.openSync(p('sparse64m.img'), 'w');
    fs.ftruncateSync(fd, size);
    fs.closeSync(fd);
    expect((await run(['write', '-o', p('sparse64m.img'), '-u', U])).code).toBe(0);
    expect(fs.statSync(p('sparse64m.img')).size).toBe(size);
    expect(
      fs
        .readFileSync(p('sparse64m.img'))
        .subarray(0, 8192)
        .equals(await headOf(['-s', '64M', '-u', U])),
    ).toBe(true);
  });

  test('to a new file creates it holding the head', async () => {
    expect(fs.existsSync(p('new.head'))).toBe(false);
    const r = await run(['write', '-o', p('new.head'), '-s', '1G', '-u', U]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(0);
    const made = fs.readFileSync(p('new.head'));
    expect(made.length).toBeGreaterThanOrEqual(8192);
    expect(made.subarray(0, 8192).equals(await headOf(['-s', '1G', '-u', U]))).toBe(true);
    expect(made.subarray(8192).every((b) => b === 0)).toBe(true);
  });
});

describe('read', () => {
  let fsdax: Buffer;
  beforeAll(async () => {
    fsdax = await headOf(['-s', '1G', '-u', U, '-p', P]);
    fs.writeFileSync(p('fsdax.head'), fsdax);
  });

  test('-j prints ndctl JSON naming the file; stderr "read 1 infoblock"', async () => {
    const r = await run(['read', '-j', p('fsdax.head')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>[];
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({
      file: p('fsdax.head'),
      signature: 'NVDIMM_PFN_INFO',
      uuid: U,
      parent_uuid: P,
      version: '1.4',
      dataoff: 18874368,
      npfns: 257536,
      mode: 2,
    });
    expect(r.errLines[r.errLines.length - 1]).toBe('read 1 infoblock');
  });

  test('from stdin (io.stdin) when no file is given', async () => {
    const r = await run(['read', '-j'], fsdax);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>[];
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ file: '<stdin>', uuid: U });
  });

  test('from stdin longer than 8 KiB (only the head counts)', async () => {
    const r = await run(['read', '-j'], Buffer.concat([fsdax, crypto.randomBytes(5000)]));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveLength(1);
  });

  test('--offset reads the namespace head inside a larger file', async () => {
    const img = crypto.randomBytes(3 << 20);
    fsdax.copy(img, 1 << 20);
    fs.writeFileSync(p('container.img'), img);
    for (const off of ['1M', '0x100000', '1048576', '04000000']) {
      const r = await run(['read', '-j', '--offset', off, p('container.img')]);
      expect({ off, code: r.code }).toEqual({ off, code: 0 });
      const j = JSON.parse(r.out) as Record<string, unknown>[];
      expect(j).toHaveLength(1);
      expect(j[0]).toMatchObject({ uuid: U });
    }
    const at0 = await run(['read', '-j', p('container.img')]);
    expect(at0.code).toBe(0);
    expect(JSON.parse(at0.out)).toEqual([]);
  });

  test('--offset with stdin', async () => {
    const r = await run(['read', '-j', '--offset', '4k'], Buffer.concat([Buffer.alloc(4096, 0xff), fsdax]));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveLength(1);
  });

  test('several files in one run, in argument order', async () => {
    const dax = await headOf(['-s', '1G', '-u', P, '-m', 'devdax']);
    fs.writeFileSync(p('dax.head'), dax);
    const r = await run(['read', '-j', p('fsdax.head'), p('dax.head'), p('fsdax.head')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { file: string; signature: string }[];
    expect(j.map((o) => [path.basename(o.file), o.signature])).toEqual([
      ['fsdax.head', 'NVDIMM_PFN_INFO'],
      ['dax.head', 'NVDIMM_DAX_INFO'],
      ['fsdax.head', 'NVDIMM_PFN_INFO'],
    ]);
  });

  test('-V drops a block whose checksum fails', async () => {
    const bad = Buffer.from(fsdax);
    bad[4096 + 100] = 1; // padding byte: checksum now wrong
    fs.writeFileSync(p('bad.head'), bad);
    expect(JSON.parse((await run(['read', '-j', p('bad.head')])).out)).toHaveLength(1);
    const r = await run(['read', '-j', '-V', p('bad.head')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([]);
  });

  describe('readable (non-JSON) output', () => {
    test('mentions the mode, the version and "checksum ok"', async () => {
      const r = await run(['read', p('fsdax.head')]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/fsdax/);
      expect(r.out).toMatch(/version 1\.4/);
      expect(r.out).toMatch(/checksum ok/);
      expect(r.out).toMatch(/mode\s+2 pmem/);
      expect(r.out).toContain(U);
      expect(r.out).not.toMatch(/^\s*\[/); // not JSON
    });

    test('says checksum BAD with stored and computed values', async () => {
      const r = await run(['read', p('bad.head')]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/checksum BAD/);
      const block = fs.readFileSync(p('bad.head')).subarray(4096);
      expect(r.out).toContain(`0x${blockChecksum(block).toString(16)}`);
    });

    test('shows the effective values where minor-version gating changed them', async () => {
      const block = patchPfnBlock(fsdax.subarray(4096), {
        versionMinor: 0,
        startPad: 0x100000n,
        endTrunc: 0x200000n,
        align: 0x40000000n,
        pageSize: 0x10000n,
        pageStructSize: 128n,
      });
      fs.writeFileSync(p('v10.head'), headWithBlock(block));
      const r = await run(['read', p('v10.head')]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/version 1\.0/);
      const line = (name: string): string => r.out.split('\n').find((l) => l.trim().startsWith(name)) ?? '';
      expect(line('start_pad')).toMatch(/0x100000.*->.*0x0/);
      expect(line('end_trunc')).toMatch(/0x200000.*->.*0x0/);
      expect(line('align')).toMatch(/0x40000000.*->.*0x0/);
      expect(line('page_size')).toMatch(/0x10000.*->.*0x1000/);
      expect(line('page_struct')).toMatch(/128.*->.*64/);
      // a 1.4 block shows no such arrows
      expect((await run(['read', p('fsdax.head')])).out).not.toContain('->');
    });

    test('devdax map=mem block says devdax and ram', async () => {
      fs.writeFileSync(p('daxmem.head'), await headOf(['-s', '1G', '-m', 'devdax', '-M', 'mem', '-u', U]));
      const r = await run(['read', p('daxmem.head')]);
      expect(r.out).toMatch(/devdax/);
      expect(r.out).toMatch(/mode\s+1 ram/);
    });

    test('a head without a block says so', async () => {
      fs.writeFileSync(p('zero.head'), Buffer.alloc(8192));
      const r = await run(['read', p('zero.head')]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/no info-block/);
    });
  });
});
