// The scanner: structures found at their exact offsets whatever the read
// size (a structure straddling two reads is carried over), bad checksums
// reported, the WebAssembly checksum equal to the JS loop, and the CLI's
// exit codes and one-line errors.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import fc from 'fast-check';
import { bttCodec, encodeBttBlock } from '../../src/format/btt';
import { encodePfnBlock } from '../../src/format/pfn';
import { fletcher64 } from '../../src/format/fletcher64';
import { wasmBlockChecksum } from '../../src/format/fletcher64-wasm';
import { recipeFields } from '../../src/format/recipe';
import { InvalidArgumentError } from '../../src/format/errors';
import { scanBytes, scanTarget } from '../../src/scan/scan';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { thrownBy } from '../support/errors';
import { testIf } from '../support/skip';

const UUID = '11111111-2222-3333-4444-555555555555';
const tmp = useTmpDir('scan');

/** An ext4-like primary superblock for a filesystem starting at `fsStart` (4 KiB blocks). */
function plantExt(img: Uint8Array, fsStart: number, blocks: number): void {
  const sb = new DataView(img.buffer, img.byteOffset + fsStart + 1024, 1024);
  sb.setUint32(0, 128, true); // inodes
  sb.setUint32(4, blocks, true);
  sb.setUint32(20, 0, true); // first data block (4 KiB blocks)
  sb.setUint32(24, 2, true); // log block size: 4096
  sb.setUint32(32, 32768, true); // blocks per group
  sb.setUint32(40, 128, true); // inodes per group
  sb.setUint16(56, 0xef53, true);
  sb.setUint32(76, 1, true);
}

function plantXfs(img: Uint8Array, at: number, dblocks: bigint): void {
  const dv = new DataView(img.buffer, img.byteOffset + at, 512);
  img.set([0x58, 0x46, 0x53, 0x42], at);
  dv.setUint32(4, 4096);
  dv.setBigUint64(8, dblocks);
  dv.setUint32(84, 4096);
  dv.setUint32(88, 4);
}

function image(): { img: Uint8Array; expected: [number, string][] } {
  const img = new Uint8Array(6 << 20);
  const block = encodePfnBlock(recipeFields({ size: BigInt(img.byteLength), uuid: UUID }));
  img.set(block, 4096);
  img.set(block, 3 << 20); // a second, damaged copy elsewhere
  img[(3 << 20) + 100] = 1;
  plantExt(img, 2 << 20, 256);
  plantXfs(img, 4 << 20, 256n);
  return {
    img,
    expected: [
      [4096, 'pfn'],
      [(2 << 20) + 1024, 'ext4'],
      [3 << 20, 'pfn'],
      [4 << 20, 'xfs'],
    ],
  };
}

describe('scan', () => {
  test('finds every planted structure at its exact offset, checksums judged', () => {
    const { img, expected } = image();
    const r = scanBytes(img);
    const at = r.findings.map((f) => [Number('superblock' in f ? f.superblock : f.offset), f.kind]);
    expect(at).toEqual(expected);
    expect(
      r.findings.filter((f) => 'checksumValid' in f).map((f) => ('checksumValid' in f ? f.checksumValid : null)),
    ).toEqual([true, false]);
    const ext = r.findings.find((f) => f.kind === 'ext4');
    expect(ext).toMatchObject({ offset: 2n << 20n, size: 1n << 20n, blockSize: 4096n, copy: false });
  });

  test('BTT primary and backup, and a btrfs superblock with its fs start', () => {
    const img = new Uint8Array(2 << 20);
    const info2off = 0x40000n;
    const btt = encodeBttBlock({
      ...bttCodec.decode(new Uint8Array(4096)),
      signature: Uint8Array.from([...'BTT_ARENA_INFO'].map((ch) => ch.charCodeAt(0)).concat([0, 0])),
      externalLbasize: 4096n,
      externalNlba: 60,
      info2off,
    });
    img.set(btt, 0x10000);
    img.set(btt, 0x10000 + Number(info2off));
    const sb = 0x100000 + 65536;
    img.set(
      [...'_BHRfS_M'].map((ch) => ch.charCodeAt(0)),
      sb + 64,
    );
    const dv = new DataView(img.buffer);
    dv.setBigUint64(sb + 48, 65536n, true); // bytenr: the primary copy
    dv.setBigUint64(sb + 0x70, 1n << 20n, true); // total_bytes
    dv.setUint32(sb + 0x90, 4096, true); // sectorsize
    const f = scanBytes(img).findings;
    expect(f.map((x) => [x.kind, x.offset])).toEqual([
      ['btt', 0x10000n],
      ['btt-backup', 0x50000n],
      ['btrfs', 0x100000n],
    ]);
    expect(f[1]).toMatchObject({ arena: 0x10000n, checksumValid: true, externalLbasize: 4096n, externalNlba: 60 });
    expect(f[2]).toMatchObject({ superblock: BigInt(sb), size: 1n << 20n, copy: false });
  });

  test('any read size gives the same findings as one pass over memory', () => {
    const { img } = image();
    const file = tmp.file('img', img);
    const whole = scanBytes(img).findings;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 600 }), (pages) => {
        expect(scanTarget({ target: file, chunkSize: BigInt(pages * 4096) }).findings).toEqual(whole);
      }),
      { numRuns: 25 },
    );
  });

  test('--from/--to keep only structures in the range', () => {
    const { img } = image();
    const r = scanBytes(img, { from: 8192n, to: 4n << 20n });
    expect(r.findings.map((f) => f.kind)).toEqual(['ext4', 'pfn']);
  });

  test('the WebAssembly checksum equals the JS loop on any block', () => {
    const wasm = wasmBlockChecksum();
    expect(wasm).not.toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), (b) => {
        expect(wasm?.(b)).toBe(fletcher64(b, 4088));
      }),
      { numRuns: 200 },
    );
  });
});

describe('scan CLI', () => {
  test('--json: offsets as 0x strings, exit 0', async () => {
    const file = tmp.file('cli img', image().img);
    const r = await run(['scan', file, '--json']);
    expect(r.status).toBe(0);
    const out = (json(r) as { findings: { offset: string; kind: string }[] }).findings;
    expect(out.map((f) => [f.offset, f.kind])).toEqual([
      ['0x1000', 'pfn'],
      ['0x200000', 'ext4'],
      ['0x300000', 'pfn'],
      ['0x400000', 'xfs'],
    ]);
    expect(out[0]).toMatchObject({
      checksum_valid: true,
      meaning: 'both',
      verdict: { outcome: 'claimed', data_start: '0x200000' },
    });
  });

  test.each([
    [
      'a missing file',
      ['scan', '/nonexistent/x'],
      2,
      /^infoblock: cannot open '\/nonexistent\/x': no such file or directory; check the path\n$/,
    ],
    [
      '--from past the end',
      ['scan', 'SMALL', '--from', '1G'],
      2,
      /^infoblock: from: the scan start 0x40000000 is past the end of the target \(0x10000 bytes\)\n$/,
    ],
    [
      '--to before --from',
      ['scan', 'SMALL', '--from', '8192', '--to', '4096'],
      2,
      /^infoblock: to: the scan end 0x1000 is before the scan start 0x2000\n$/,
    ],
    ['a bad chunk size', ['scan', 'SMALL', '--chunk', '5000'], 2, /^infoblock: --chunk must be a multiple of 4096/],
    ['nothing found', ['scan', 'SMALL'], 1, /^$/],
  ])('%s', async (_n, argv, status, err) => {
    const small = tmp.file('small', new Uint8Array(65536));
    const r = await run(argv.map((a) => (a === 'SMALL' ? small : a)));
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(err);
  });
});

/** Loop devices need root and a kernel that offers them; `losetup -f` tells. */
function loopAvailable(): boolean {
  try {
    execFileSync('losetup', ['-f'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
const withLoop = testIf(loopAvailable(), 'needs root and a free loop device (losetup)');

describe('scan of hostile targets', () => {
  test.each([
    ['no options', undefined, 'o: must be an object (got undefined)'],
    ['no target', {}, 'target is required (a string or a Uint8Array)'],
    ['a number as target', { target: 7 }, 'target: must be a string or a Uint8Array (got a number)'],
    ['a negative from', { target: '/dev/null', from: -1n }, 'from: -1 is outside 0..2^64-1'],
  ])('scanTarget with %s: InvalidArgumentError before any I/O', (_n, o, message) => {
    const err = thrownBy(() => scanTarget(o as unknown as Parameters<typeof scanTarget>[0]));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).toMatchObject({ code: 'invalid-argument' });
    expect((err as Error).message).toBe(message);
  });

  test('an unreadable range: IoError naming the file and the offset', () => {
    const file = tmp.file('eio img', image().img);
    const read = (fd: number, b: Uint8Array, at: number, len: number, pos: bigint): number => {
      if (pos >= 1n << 20n) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return fs.readSync(fd, b, at, len, pos);
    };
    const err = thrownBy(() => scanTarget({ target: file, chunkSize: 1n << 20n, read }));
    expect(err).toMatchObject({ code: 'io' });
    // The offset is where the failing read started: past the readable first MiB.
    const m =
      /^cannot read '(.*)' at offset (0x[0-9a-f]+): an input\/output error \(the device reported a failure\); check the device \(dmesg\)$/.exec(
        (err as Error).message,
      );
    expect(m?.[1]).toBe(file);
    expect(BigInt(m?.[2] ?? 0)).toBeGreaterThanOrEqual(1n << 20n);
  });

  test.each([
    [
      'a directory',
      (): string => tmp.dir,
      /^infoblock: '.*' is a directory, not a regular file or block device; give an image file or a block device\n$/,
    ],
    [
      'a character device',
      (): string => '/dev/null',
      /^infoblock: '\/dev\/null' is a character device, not a regular file or block device; give an image file or a block device\n$/,
    ],
  ])('%s: one line, exit 2', async (_n, target, err) => {
    const r = await run(['scan', target()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(err);
  });

  withLoop('a block device (loop) gives the same findings as its file', () => {
    const file = tmp.file('loop img', image().img);
    const dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8', stdio: 'pipe' }).trim();
    try {
      expect(scanTarget({ target: dev }).findings).toEqual(scanTarget({ target: file }).findings);
      expect(scanTarget({ target: dev }).findings.length).toBe(4);
    } finally {
      execFileSync('losetup', ['-d', dev]);
    }
  });
});
