// Issue 18, items 10 and 13: scan says what it really read. A file that
// shrinks while it is scanned is reported as read up to where it ended (it
// used to say "scanned 0x0..0x400000000 (16 GiB)" of a file cut to 1 GiB);
// a sparse file is read only where its allocation map (SEEK_DATA/SEEK_HOLE,
// asked through a helper process on our own descriptor) says data lies, with
// the same findings as a full read, and bytes_read and the coverage line say
// so. Without a helper, every byte is read, as before.
import * as fs from 'node:fs';
import { encodePfnBlock, recipeFields } from '../../src/index';
import { allocationMap } from '../../src/io/extents';
import { scanTarget } from '../../src/scan/scan';
import { coverageText } from '../../src/cli/scan';
import { humanSize } from '../../src/format/units';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { expectSchema } from '../support/schema';

const tmp = useTmpDir('scan-coverage');
const MiB = 1 << 20;
const GiB = 1n << 30n;
const IMG = 768n << 20n;

/** A minimal ext2 superblock (1 KiB blocks) for a filesystem of `blocks` KiB. */
function superblock(blocks: number): Buffer {
  const sb = Buffer.alloc(1024);
  sb.writeUInt32LE(16, 0);
  sb.writeUInt32LE(blocks, 4);
  sb.writeUInt32LE(1, 20);
  sb.writeUInt32LE(8192, 32);
  sb.writeUInt32LE(16, 40);
  sb.writeUInt16LE(0xef53, 56);
  sb.writeUInt32LE(1, 76);
  return sb;
}

function writeAt(file: string, bytes: Uint8Array, at: number): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.byteLength, at);
  fs.closeSync(fd);
}

/**
 * A 768 MiB sparse image with data in several extents, structures inside them
 * and at their edges: a superblock whose 1 KiB ends exactly where a hole
 * begins, a pfn block in the last page of an extent, two extents a page apart.
 */
function sparseImage(name: string): string {
  const file = tmp.path(name);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, Number(IMG));
  const noise = Buffer.alloc(MiB, 0x5a);
  const block = encodePfnBlock(recipeFields({ size: 64n << 20n, uuid: '11111111-2222-3333-4444-555555555555' }));
  writeAt(file, block, 4096);
  writeAt(file, noise, 100 * MiB);
  writeAt(file, superblock(4096), 100 * MiB + 7 * 4096 + 1024); // inside
  writeAt(file, superblock(64), 101 * MiB - 1024); // its last KiB is the extent's last
  writeAt(file, block, 700 * MiB - 4096); // a whole extent of one page
  writeAt(file, noise.subarray(0, 4096), 740 * MiB);
  writeAt(file, noise.subarray(0, 4096), 740 * MiB + 8192); // a one-page hole between
  writeAt(file, superblock(8), 740 * MiB + 8192 + 1024);
  writeAt(file, block, Number(IMG) - 4096); // the very end
  return file;
}

describe('sparse-aware scan: the allocation map', () => {
  test('it lists the data ranges of a sparse file (perl or python3 on our descriptor)', () => {
    const file = sparseImage('map.img');
    const fd = fs.openSync(file, 'r');
    const map = allocationMap(fd, IMG);
    fs.closeSync(fd);
    expect(map?.method).toMatch(/^SEEK_DATA\/SEEK_HOLE via (perl|python3)$/);
    const data = map?.extents ?? [];
    expect(data.length).toBeGreaterThanOrEqual(4);
    // Every range written is inside one the map lists.
    for (const at of [4096, 100 * MiB, 700 * MiB - 4096, 740 * MiB, Number(IMG) - 4096])
      expect(data.some((e) => e.start <= BigInt(at) && BigInt(at) < e.end)).toBe(true);
    const allocated = data.reduce((n, e) => n + (e.end - e.start), 0n);
    expect(allocated).toBeLessThan(16n * BigInt(MiB));
  });

  test('the same findings as a full read; bytes read and holes skipped add up', () => {
    const file = sparseImage('same.img');
    const full = scanTarget({ target: file, allocationMap: false });
    const sparse = scanTarget({ target: file });
    expect(full.allocationMap).toBeNull();
    expect(full.bytesRead).toBe(IMG);
    expect(full.holesSkipped).toBe(0n);
    expect(sparse.findings).toEqual(full.findings);
    expect(full.findings.map((f) => [f.kind, f.offset])).toEqual([
      ['pfn', 0x1000n],
      ['ext4', BigInt(100 * MiB + 7 * 4096)],
      ['ext4', BigInt(101 * MiB - 2048)],
      ['pfn', BigInt(700 * MiB - 4096)],
      ['ext4', BigInt(740 * MiB + 8192)],
      ['pfn', IMG - 4096n],
    ]);
    expect(sparse.allocationMap).toMatch(/^SEEK_DATA\/SEEK_HOLE via /);
    expect(sparse.bytesRead).toBeLessThan(8n * BigInt(MiB));
    expect(sparse.holesSkipped).toBeGreaterThan(IMG - 8n * BigInt(MiB));
    expect(sparse.end).toBe(IMG);
    expect(coverageText(sparse)).toBe(
      `scanned 0x0..0x30000000 (768 MiB); read ${humanSize(sparse.bytesRead)}, ${humanSize(sparse.holesSkipped)} of ` +
        `holes skipped (allocation map: ${sparse.allocationMap ?? ''})`,
    );
  });

  test('from/to inside holes and extents: the same findings either way', () => {
    const file = sparseImage('range.img');
    for (const [from, to] of [
      [BigInt(100 * MiB + 4096), BigInt(101 * MiB)],
      [BigInt(739 * MiB), BigInt(740 * MiB + 8192 + 1024)],
      [BigInt(690 * MiB), BigInt(701 * MiB)],
      [BigInt(101 * MiB - 2048), BigInt(120 * MiB)],
    ] as const)
      expect(scanTarget({ target: file, from, to }).findings).toEqual(
        scanTarget({ target: file, from, to, allocationMap: false }).findings,
      );
  });

  test('no helper that runs, or one that prints nonsense: no map, so the scan reads every byte', () => {
    const file = sparseImage('nohelper.img');
    const fd = fs.openSync(file, 'r');
    try {
      expect(allocationMap(fd, IMG, [{ name: 'missing', argv: ['/nonexistent/helper'] }])).toBeNull();
      expect(allocationMap(fd, IMG, [{ name: 'false', argv: ['false'] }])).toBeNull();
      expect(allocationMap(fd, IMG, [{ name: 'liar', argv: ['echo', '4096 0'] }])).toBeNull(); // end before start
      expect(allocationMap(fd, IMG, [{ name: 'past', argv: ['echo', `${IMG} ${IMG + 4096n}`] }])).toBeNull();
    } finally {
      fs.closeSync(fd);
    }
    const r = scanTarget({ target: file, to: 64n * BigInt(MiB), allocationMap: false });
    expect(r.allocationMap).toBeNull();
    expect(r.bytesRead).toBe(64n * BigInt(MiB) + 4096n);
    expect(coverageText(r)).toBe('scanned 0x0..0x4000000 (64 MiB)');
  });

  test('scan --json carries holes_skipped and allocation_map; --read-all reads every byte', async () => {
    const file = sparseImage('cli.img');
    const doc = json(await run(['scan', file, '--json'])) as Record<string, unknown>;
    expectSchema('scan', doc);
    expect(doc.allocation_map).toMatch(/^SEEK_DATA\/SEEK_HOLE via /);
    expect(BigInt(doc.holes_skipped as string)).toBeGreaterThan(0n);
    const all = json(await run(['scan', file, '--json', '--read-all', '--to', '64M'])) as Record<string, unknown>;
    expectSchema('scan', all);
    expect(all).toMatchObject({ allocation_map: null, holes_skipped: '0x0', bytes_read: '0x4001000' });
  });
});

describe('a file that shrinks while it is scanned', () => {
  test.each([
    ['read through (no map)', false],
    ['sparse-aware', true],
  ])('%s: coverage up to where it ended, and it says it shrank', (_n, map) => {
    const file = tmp.path(`shrink-${map}.img`);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, '');
    fs.truncateSync(file, Number(16n * GiB));
    for (const at of [0, 512 * MiB, 1024 * MiB - 4096, 4096 * MiB, 8192 * MiB])
      writeAt(file, Buffer.alloc(4096, 0x11), at);
    let cut = false;
    const r = scanTarget({
      target: file,
      allocationMap: map,
      chunkSize: 64n << 20n,
      read: (fd, buf, at, length, position) => {
        if (!cut && position > 0n) {
          fs.truncateSync(file, Number(GiB)); // another process cuts the file to 1 GiB
          cut = true;
        }
        return fs.readSync(fd, buf, at, length, position);
      },
    });
    expect(r.to).toBe(16n * GiB);
    expect(r.end).toBe(GiB);
    expect(r.shrunkTo).toBe(GiB);
    expect(r.bytesRead).toBeLessThanOrEqual(GiB);
    expect(coverageText(r).split(';')[0]).toBe(
      'scanned 0x0..0x40000000 (1 GiB) of 0x0..0x400000000 (16 GiB): the file shrank to 1 GiB while it was read',
    );
  });
});
