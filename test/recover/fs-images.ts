/**
 * Images for the recover suites: a sparse namespace image with a block from
 * our `infoblock write` or the real `ndctl write-infoblock`, a real ext4
 * (mkfs.ext4 -E offset=) or XFS (mkfs.xfs on a carved file, copied in) in the
 * data area that block describes, then the block damaged (zeroed or one
 * padding byte flipped).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { decodePfnBlock } from '../../src/format/pfn';
import { run } from '../support/run';

export const UUID = '6a1f0e2c-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
export const MiB = 1n << 20n;

export interface ImageCase {
  name: string;
  writer: 'ours' | 'ndctl';
  base: bigint;
  size: bigint;
  mode: 'fsdax' | 'devdax';
  map: 'dev' | 'mem';
  fs: 'ext4' | 'xfs' | 'none';
  /** none: the block is intact but carries the wrong meaning (Linux refuses it). */
  damage: 'zero' | 'corrupt' | 'start_pad' | 'none';
  /** The original block is legacy-meaning, so recover must give it back byte for byte. */
  sameBlock: boolean;
}

export interface Built {
  file: string;
  /** Where the data lies (bytes from the namespace base). */
  dataStart: bigint;
  original: Buffer;
}

const tool = (name: string): string => (fs.existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name);

export function haveTools(): boolean {
  try {
    execFileSync(tool('mkfs.ext4'), ['-V'], { stdio: 'ignore' });
    execFileSync(tool('mkfs.xfs'), ['-V'], { stdio: 'ignore' });
    execFileSync('ndctl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function readBlock(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    fs.readSync(fd, b, 0, 4096, 4096);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

function writeAt(file: string, bytes: Uint8Array, position: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.byteLength, position);
  } finally {
    fs.closeSync(fd);
  }
}

function mkfs(c: ImageCase, file: string, start: bigint, bytes: bigint): void {
  if (c.fs === 'ext4') {
    execFileSync(tool('mkfs.ext4'), ['-q', '-F', '-E', `offset=${start}`, file, `${bytes / 1024n}k`], {
      stdio: 'pipe',
    });
  } else if (c.fs === 'xfs') {
    const carve = `${file}.xfs`;
    fs.rmSync(carve, { force: true });
    execFileSync('truncate', ['-s', String(bytes), carve]);
    // mkfs.xfs refuses filesystems under 300 MB unless it runs under fstests.
    execFileSync(tool('mkfs.xfs'), ['-q', '-f', carve], {
      stdio: 'pipe',
      env: { ...process.env, TEST_DIR: '/tmp', TEST_DEV: carve, QA_CHECK_FS: '1' },
    });
    execFileSync('dd', [
      `if=${carve}`,
      `of=${file}`,
      'bs=1M',
      `seek=${start}`,
      'oflag=seek_bytes',
      'conv=notrunc,sparse',
      'status=none',
    ]);
    fs.rmSync(carve);
  }
}

export async function buildImage(c: ImageCase, file: string): Promise<Built> {
  fs.rmSync(file, { force: true });
  for (const x of ['.infoblock-backup', '.infoblock.lock']) fs.rmSync(file + x, { force: true });
  execFileSync('truncate', ['-s', String(c.size), file]);
  const args = ['-m', c.mode, '-M', c.map, '-u', UUID, '-O', String(c.base)];
  if (c.writer === 'ndctl')
    execFileSync('ndctl', ['write-infoblock', '-o', file, '-s', String(c.size), ...args], { stdio: 'pipe' });
  else {
    // The 1 MiB-off images are the DAX hazard recover must cope with: written on purpose.
    const r = await run(['write', '-o', file, ...args, '--allow-hazard']);
    if (r.status !== 0) throw new Error(`infoblock write failed: ${r.stderr}`);
  }
  const original = readBlock(file);
  const f = decodePfnBlock(original).fields;
  // ndctl measures dataoff from the raw base; our legacy blocks from base + start_pad.
  const dataStart = c.writer === 'ndctl' ? f.dataoff : f.startPad + f.dataoff;
  mkfs(c, file, dataStart, c.size - dataStart - f.endTrunc);
  if (c.damage === 'zero') writeAt(file, new Uint8Array(4096), 4096);
  else if (c.damage === 'start_pad')
    writeAt(file, Uint8Array.of(0x45, 0x23, 0x01, 0x00), 4096 + 76); // a field hit too
  else if (c.damage === 'corrupt') writeAt(file, Uint8Array.of((original[2000] ?? 0) ^ 0xff), 4096 + 2000);
  return { file, dataStart, original };
}

export { readBlock };

const ALIGNED = 0x1_0000_0000n;
const OFF_1M = 0x1_4010_0000n;
const SIZE = 64n * MiB;

const base = { size: SIZE, mode: 'fsdax', map: 'dev', damage: 'zero' } as const;
export const CASES: ImageCase[] = [
  { ...base, name: 'ours, aligned, ext4, zeroed', writer: 'ours', base: ALIGNED, fs: 'ext4', sameBlock: true },
  {
    ...base,
    name: 'ours, 1 MiB-off base (legacy start_pad), ext4, corrupted',
    writer: 'ours',
    base: OFF_1M,
    fs: 'ext4',
    damage: 'corrupt',
    sameBlock: true,
  },
  { ...base, name: 'ours, 1 MiB-off base, xfs, zeroed', writer: 'ours', base: OFF_1M, fs: 'xfs', sameBlock: true },
  {
    ...base,
    name: 'ours, map=mem, xfs, corrupted',
    writer: 'ours',
    base: ALIGNED,
    map: 'mem',
    fs: 'xfs',
    damage: 'corrupt',
    sameBlock: true,
  },
  { ...base, name: 'ndctl, aligned, xfs, zeroed', writer: 'ndctl', base: ALIGNED, fs: 'xfs', sameBlock: true },
  {
    ...base,
    name: 'ndctl, aligned, map=mem, ext4, corrupted',
    writer: 'ndctl',
    base: ALIGNED,
    map: 'mem',
    fs: 'ext4',
    damage: 'corrupt',
    sameBlock: true,
  },
  {
    ...base,
    name: 'ndctl -O, 1 MiB-off base (raw-base dataoff), ext4, corrupted',
    writer: 'ndctl',
    base: OFF_1M,
    fs: 'ext4',
    damage: 'corrupt',
    sameBlock: false,
  },
  {
    ...base,
    name: 'ndctl -O, 1 MiB-off base, xfs, zeroed',
    writer: 'ndctl',
    base: OFF_1M,
    fs: 'xfs',
    sameBlock: false,
  },
  {
    ...base,
    name: 'ndctl -O, 1 MiB-off base, ext4, block intact but raw-base meaning (Linux refuses it)',
    writer: 'ndctl',
    base: OFF_1M,
    fs: 'ext4',
    damage: 'none',
    sameBlock: false,
  },
  {
    ...base,
    name: "ours, aligned, ext4, start_pad field damaged (the survivor's pads cannot be kept)",
    writer: 'ours',
    base: ALIGNED,
    fs: 'ext4',
    damage: 'start_pad',
    sameBlock: true,
  },
  {
    ...base,
    name: 'ndctl devdax, no filesystem, corrupted',
    writer: 'ndctl',
    base: ALIGNED,
    mode: 'devdax',
    fs: 'none',
    damage: 'corrupt',
    sameBlock: true,
  },
  {
    ...base,
    name: 'ndctl -O devdax, 1 MiB-off base (raw-base dataoff), no filesystem, corrupted',
    writer: 'ndctl',
    base: OFF_1M,
    mode: 'devdax',
    fs: 'none',
    damage: 'corrupt',
    sameBlock: false,
  },
];
