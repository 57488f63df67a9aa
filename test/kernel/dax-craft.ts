/**
 * Images for the DAX matrix: an fsdax or devdax info-block written by the real `ndctl write-infoblock`
 * for an aligned namespace, then given a start_pad (and the end_trunc and npfns that go with it, the
 * legacy meaning: data at start_pad + dataoff), and a filesystem made by mkfs on the host holding one
 * file of pages that each say who they are, placed at the data start. devdax data areas get the same
 * pages. Every page is unique, so the host can find where any page a DAX mapping showed lives.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { labelledPages } from '../../src/kernel/dax';
import { ndctlImage, patchBlock, readField } from './craft';

const MiB = 1024 * 1024;

export interface DaxRow {
  name: string;
  fs: 'ext4' | 'xfs' | 'none' | 'devdax';
  /**
   * start_pad in bytes (the base is chosen so that base + start_pad is 2 MiB-aligned), or `reserve`:
   * dataoff plus the device offset of the file's first block, so that a DAX fault on the file's first
   * page takes the first page frame of the mapped base (the metadata reserve) and no file page lies
   * below the mapped base.
   */
  startPad: number | 'reserve';
  /** Where the memmap lives: RAM (mode 1) or the device (mode 2). */
  map: 'mem' | 'dev';
  /** Namespace size (a multiple of 2 MiB). */
  size: number;
}

export interface DaxImage {
  row: DaxRow;
  file: string;
  base: bigint;
  dataoff: bigint;
  /** Image offset of the data start (start_pad + dataoff). */
  dataStart: bigint;
  dataSize: bigint;
}

const PAGE = 4096;

const tool = (name: string): string => {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    try {
      execFileSync('test', ['-x', path.join(d, name)]);
      return path.join(d, name);
    } catch {
      /* next */
    }
  }
  return name;
};

/** True when mkfs.ext4, mkfs.xfs, debugfs and ndctl are here. */
export function haveDaxTools(): boolean {
  try {
    for (const t of ['mkfs.ext4', 'mkfs.xfs', 'debugfs']) execFileSync(tool(t), ['-V'], { stdio: 'ignore' });
    execFileSync(tool('ndctl'), ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Device offset of the first block of /ndib-data in an ext4 carve (debugfs's bmap). */
function firstBlock(carve: string): bigint {
  const out = execFileSync(tool('debugfs'), ['-R', 'bmap /ndib-data 0', carve], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return BigInt(out.toString().trim()) * BigInt(PAGE);
}

/** A filesystem of `bytes` bytes in `carve`, holding /ndib-data (the given pages). */
export function makeFs(kind: 'ext4' | 'xfs', carve: string, bytes: bigint, data: Buffer, dir: string): void {
  const src = path.join(dir, 'src');
  execFileSync('rm', ['-rf', src]);
  execFileSync('mkdir', ['-p', src]);
  execFileSync('dd', ['of=' + path.join(src, 'ndib-data'), 'status=none'], { input: data });
  execFileSync('truncate', ['-s', String(bytes), carve]);
  if (kind === 'ext4') {
    // 4 KiB blocks, few inodes and no journal: the file's blocks follow the metadata closely.
    execFileSync(tool('mkfs.ext4'), ['-q', '-F', '-b', '4096', '-N', '64', '-O', '^has_journal', '-d', src, carve], {
      stdio: 'pipe',
    });
  } else {
    const proto = path.join(dir, 'proto');
    writeFileSync(proto, `/dev/null\n0 0\nd--755 0 0\nndib-data ---644 0 0 ${path.join(src, 'ndib-data')}\n$\n`);
    // mkfs.xfs refuses filesystems under 300 MB unless it runs under fstests.
    // reflink off: Linux 5.10 refuses DAX on a reflink filesystem whatever the namespace.
    execFileSync(tool('mkfs.xfs'), ['-q', '-f', '-b', 'size=4096', '-m', 'reflink=0', '-p', proto, carve], {
      stdio: 'pipe',
      env: { ...process.env, TEST_DIR: '/tmp', TEST_DEV: carve, QA_CHECK_FS: '1' },
    });
  }
}

/** Write `bytes` into `file` at `position`. */
async function writeAt(file: string, bytes: Uint8Array, position: bigint): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    await fh.write(bytes, 0, bytes.byteLength, Number(position));
  } finally {
    await fh.close();
  }
}

/** Build one row's image in `dir`. */
export async function buildDaxImage(row: DaxRow, dir: string, index: number): Promise<DaxImage> {
  const file = path.join(dir, `dax${index}.img`);
  const mode = row.fs === 'devdax' ? 'devdax' : 'fsdax';
  await ndctlImage(file, row.size, ['-m', mode, '-M', row.map]);
  const dataoff = await readField(file, 'dataoff');
  const pages = labelledPages(row.name, 1024);
  // The filesystem is made first (4 MiB smaller than the namespace's data area can be): a `reserve` row's
  // start_pad depends on where its file lies.
  const carve = `${file}.fs`;
  await fs.rm(carve, { force: true });
  if (row.fs === 'ext4' || row.fs === 'xfs')
    makeFs(
      row.fs,
      carve,
      BigInt(row.size) - BigInt(4 * MiB) - dataoff - BigInt(row.startPad === 'reserve' ? 0 : row.startPad),
      pages,
      path.join(dir, `work${index}`),
    );
  if (row.startPad === 'reserve' && row.fs !== 'ext4')
    throw new Error('a reserve row needs ext4 (debugfs finds its file)');
  const pad = row.startPad === 'reserve' ? dataoff + firstBlock(carve) : BigInt(row.startPad);
  const twoM = BigInt(2 * MiB);
  // base + start_pad is 2 MiB-aligned; the end then sits start_pad mod 2 MiB past a boundary: trim it.
  const base = 0x100000000n + ((twoM - (pad % twoM)) % twoM);
  const endTrunc = (base + BigInt(row.size)) % twoM;
  const dataSize = BigInt(row.size) - pad - endTrunc - dataoff;
  if (pad !== 0n) {
    await patchBlock(file, {
      start_pad: pad,
      end_trunc: endTrunc,
      npfns: dataSize / BigInt(PAGE),
      version_minor: 4,
    });
  }
  const dataStart = pad + dataoff;
  if (row.fs === 'ext4' || row.fs === 'xfs') {
    execFileSync('dd', [
      `if=${carve}`,
      `of=${file}`,
      'bs=1M',
      `seek=${dataStart}`,
      'oflag=seek_bytes',
      'conv=notrunc,sparse',
      'status=none',
    ]);
    await fs.rm(carve);
  } else if (row.fs === 'devdax') {
    await writeAt(file, pages, dataStart);
  }
  return { row, file, base, dataoff, dataStart, dataSize };
}
