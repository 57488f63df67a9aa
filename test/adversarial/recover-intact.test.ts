// Issue 18, item 2: `recover --write` must not rewrite a healthy block.
// A namespace whose data area holds a partitioned disk (an MBR or GPT made
// by the real sfdisk, real mkfs.ext4 in the partitions) keeps its block:
// recover says "intact" and writes nothing, with one partition or two. A
// block whose checksum is valid is never rewritten without --force. Before
// the fix recover called the valid block damaged, moved the data start to
// partition 1 (2 MiB on) and dropped the partition table out of the device.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as CRC32 from 'crc-32';
import { gptAt, mbrAt, scanBytes } from '../../src/scan/index';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { expectSchema } from '../support/schema';
import { unavailable } from '../support/adversarial';
import { describeIf } from '../support/skip';

const tmp = useTmpDir('recover-intact');
const MiB = 1 << 20;
const BASE = '0x100000000';
const SIZE = 64 * MiB;
const DATA = 2 * MiB; // where `infoblock write` puts the data of a 64 MiB namespace at an aligned base
const UUID = '0e7f3a51-5a1c-4c0e-9a2f-6b3d2c1e0f9a';

const tool = (name: string): string | null =>
  [`/usr/sbin/${name}`, `/sbin/${name}`, `/usr/bin/${name}`].find((p) => fs.existsSync(p)) ?? null;
const SFDISK = tool('sfdisk');
const MKFS = tool('mkfs.ext4');

interface RecoverDoc {
  status: string;
  intact_by: string | null;
  candidates: { data_start: string }[];
  written: unknown;
}

function sh(cmd: string, args: string[], input?: string): void {
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input === undefined ? {} : { input }) });
}

/** A 64 MiB namespace with our legacy block (data at 2 MiB), nothing in the data area yet. */
async function namespace(name: string): Promise<string> {
  const file = tmp.path(name);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, SIZE);
  const w = await run(['write', '-o', file, '-m', 'fsdax', '-M', 'dev', '-u', UUID, '-O', BASE]);
  expect(w.code).toBe(0);
  return file;
}

/** The data area as a disk: sfdisk's script on a carved file copied in at DATA, mkfs.ext4 in each partition. */
function partitioned(file: string, script: string, parts: [number, number][]): void {
  const carve = `${file}.disk`;
  fs.writeFileSync(carve, '');
  fs.truncateSync(carve, SIZE - DATA);
  sh(SFDISK as string, ['-q', carve], script);
  const disk = fs.readFileSync(carve).subarray(0, MiB); // the tables (GPT's backup at the end is copied below)
  const tail = fs.readFileSync(carve).subarray(SIZE - DATA - 64 * 1024);
  fs.rmSync(carve);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, disk, 0, disk.length, DATA);
  fs.writeSync(fd, tail, 0, tail.length, SIZE - 64 * 1024);
  fs.closeSync(fd);
  for (const [startSector, sectors] of parts)
    sh(MKFS as string, ['-q', '-F', '-E', `offset=${DATA + startSector * 512}`, file, `${(sectors * 512) / 1024}k`]);
}

const bytesOf = (file: string): Buffer => fs.readFileSync(file);

async function recoverJson(
  file: string,
  extra: string[] = [],
): Promise<{ code: number; doc: RecoverDoc; err: string }> {
  const r = await run(['recover', file, '--ns-base', BASE, '--json', ...extra]);
  const doc = json(r) as RecoverDoc;
  return { code: r.code, doc, err: r.stderr.toString() };
}

// Missing tools fail under CI=true (scripts/kernel/setup.sh installs fdisk and e2fsprogs), else skip with a warning.
const suite = describeIf(
  (SFDISK !== null && MKFS !== null) || !unavailable('sfdisk and mkfs.ext4'),
  'needs sfdisk and mkfs.ext4 (scripts/kernel/setup.sh installs fdisk and e2fsprogs)',
);

suite('recover on a namespace holding a partitioned disk (real sfdisk, real mkfs.ext4)', () => {
  test.each([
    ['MBR, partition 1 holding ext4', 'label: dos\n2048,40960,83\n', [[2048, 40960]] as [number, number][], 'MBR'],
    [
      'MBR, two partitions holding ext4',
      'label: dos\n2048,40960,83\n43008,,83\n',
      [
        [2048, 40960],
        [43008, 83968],
      ] as [number, number][],
      'MBR',
    ],
    ['GPT, partition 1 holding ext4', 'label: gpt\n2048,40960\n', [[2048, 40960]] as [number, number][], 'GPT'],
  ])('%s: --write says intact and writes nothing', async (_name, script, parts, kind) => {
    const file = await namespace(`${kind}-${parts.length}.img`);
    partitioned(file, script, parts);
    const before = bytesOf(file);
    const r = await recoverJson(file, ['--write']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expectSchema('recover', r.doc);
    expect(r.doc.status).toBe('intact');
    expect(r.doc.intact_by).toContain(`${kind} partition table`);
    expect(r.doc.intact_by).toContain('at the data start');
    expect(r.doc.written).toBeNull();
    expect(bytesOf(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}.infoblock-backup`)).toBe(false);
    const text = await run(['recover', file, '--ns-base', BASE, '--write']);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`nothing to recover: linux-6.1 already exposes the data where the evidence puts it (`);
    expect(text.out).toContain(`${kind} partition table spanning`);
  });

  test('the block zeroed: the data start proposed is the partition table, not partition 1', async () => {
    const file = await namespace('mbr-zeroed.img');
    partitioned(file, 'label: dos\n2048,40960,83\n43008,,83\n', [
      [2048, 40960],
      [43008, 83968],
    ]);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, 4096);
    fs.closeSync(fd);
    const r = await recoverJson(file);
    expect(r.code).toBe(0);
    expect(r.doc.status).toBe('proposed');
    expect(r.doc.candidates.map((c) => c.data_start)).toEqual([`0x${DATA.toString(16)}`]);
  });

  test('scan lists the tables with the partitions sfdisk wrote', async () => {
    const file = await namespace('scan-gpt.img');
    partitioned(file, 'label: gpt\n2048,40960\n43008,20480\n', [[2048, 40960]]);
    const r = await run(['scan', file, '--json']);
    const doc = json(r) as { findings: { kind: string; offset: string; partitions?: { start: string }[] }[] };
    expectSchema('scan', doc);
    const gpt = doc.findings.filter((f) => f.kind === 'gpt');
    expect(gpt).toHaveLength(1);
    expect(gpt[0]?.offset).toBe(`0x${DATA.toString(16)}`);
    expect(gpt[0]?.partitions?.map((p) => p.start)).toEqual([
      `0x${(DATA + 2048 * 512).toString(16)}`,
      `0x${(DATA + 43008 * 512).toString(16)}`,
    ]);
    // The protective MBR in front of it is recognised too (type 0xee over the whole disk).
    expect(doc.findings.filter((f) => f.kind === 'mbr').map((f) => f.offset)).toEqual([`0x${DATA.toString(16)}`]);
  });
});

describe('a block with a valid checksum is rewritten only with --force', () => {
  /** Our valid block (data at 2 MiB), an ext4 elsewhere (at 32 MiB) and nothing at the data start. */
  async function contradicted(name: string): Promise<string> {
    const file = await namespace(name);
    const mkfs = MKFS ?? 'mkfs.ext4';
    sh(mkfs, ['-q', '-F', '-E', `offset=${32 * MiB}`, file, '16384k']);
    return file;
  }

  test('--write alone: exit 1, one line naming --force, nothing written, no backup', async () => {
    const file = await contradicted('valid-contradicted.img');
    const before = bytesOf(file);
    const dry = await run(['recover', file, '--ns-base', BASE]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(
      'add --write --force to write candidate #1 (the old head is backed up first); ' +
        "the current block's checksum is valid, so --write alone refuses",
    );
    const r = await run(['recover', file, '--ns-base', BASE, '--write']);
    expect(r.code).toBe(1);
    expect(r.errLines).toEqual([
      `infoblock: the pfn info-block at 0x1000 of '${file}' has a valid checksum: recover does not rewrite a ` +
        `valid block unless forced; nothing written; pass --force`,
    ]);
    expect(bytesOf(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}.infoblock-backup`)).toBe(false);
  });

  test('--write --force: written, with the backup to undo it', async () => {
    const file = await contradicted('valid-forced.img');
    const r = await recoverJson(file, ['--write', '--force']);
    expect(r.code).toBe(0);
    expect(r.doc.status).toBe('written');
    expect(r.doc.candidates[0]?.data_start).toBe(`0x${(32 * MiB).toString(16)}`);
    expect(fs.existsSync(`${file}.infoblock-backup`)).toBe(true);
  });
});

describe('partition table recognisers: sane tables only', () => {
  const le32 = (b: Uint8Array, o: number, v: number): void => {
    new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
  };
  function mbr(entries: [number, number, number, number][]): Uint8Array {
    const b = new Uint8Array(4096);
    entries.forEach(([status, type, first, count], i) => {
      const e = 446 + 16 * i;
      b[e] = status;
      b[e + 4] = type;
      le32(b, e + 8, first);
      le32(b, e + 12, count);
    });
    b[510] = 0x55;
    b[511] = 0xaa;
    return b;
  }

  test.each([
    ['one Linux partition', [[0x80, 0x83, 2048, 4096]], 1],
    [
      'two partitions',
      [
        [0, 0x83, 2048, 4096],
        [0, 0x82, 6144, 100],
      ],
      2,
    ],
    ['no used entry', [], null],
    ['a status byte that is not 0x00 or 0x80 (boot code)', [[0x31, 0x83, 2048, 4096]], null],
    ['a used entry at LBA 0', [[0, 0x83, 0, 4096]], null],
    ['a used entry with no sectors', [[0, 0x83, 2048, 0]], null],
    [
      'an unused entry that is not all zero',
      [
        [0, 0x83, 2048, 4096],
        [0, 0, 9999, 1],
      ],
      null,
    ],
    [
      'overlapping partitions',
      [
        [0, 0x83, 2048, 4096],
        [0, 0x83, 4096, 4096],
      ],
      null,
    ],
  ] as [string, [number, number, number, number][], number | null][])('MBR: %s', (_n, entries, found) => {
    const f = mbrAt(mbr(entries), 0, 0x200000n);
    expect(f === null ? null : f.partitions.length).toBe(found);
    if (f !== null) expect(f.offset).toBe(0x200000n);
  });

  test('MBR: 0x55AA alone in random data is not a table; scanBytes finds none in 1 MiB of it', () => {
    const b = new Uint8Array(MiB);
    let x = 7;
    for (let i = 0; i < b.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      b[i] = x >>> 16;
    }
    for (let p = 0; p < b.length; p += 4096) {
      b[p + 510] = 0x55;
      b[p + 511] = 0xaa;
    }
    expect(scanBytes(b).findings.filter((f) => f.kind === 'mbr')).toEqual([]);
  });

  function gpt(corrupt: boolean): Uint8Array {
    const b = new Uint8Array(4096);
    b.set(Buffer.from('EFI PART', 'latin1'), 0);
    le32(b, 8, 0x00010000);
    le32(b, 12, 92);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(24, 1n, true);
    dv.setBigUint64(32, 131071n, true); // backup header: the last LBA of a 64 MiB disk
    dv.setBigUint64(40, 34n, true);
    dv.setBigUint64(48, 131038n, true);
    dv.setBigUint64(72, 2n, true);
    le32(b, 80, 128);
    le32(b, 84, 128);
    b.fill(0xaf, 512, 528); // entry 1: a type GUID
    dv.setBigUint64(512 + 32, 2048n, true);
    dv.setBigUint64(512 + 40, 4095n, true);
    le32(b, 16, CRC32.buf(b.subarray(0, 92)) >>> 0);
    if (corrupt) b[60] = 1;
    return b;
  }

  test('GPT: a header whose CRC-32 matches is a table; one byte off is not', () => {
    const f = gptAt(gpt(false), 0, 0x200200n);
    expect(f).toMatchObject({ kind: 'gpt', offset: 0x200000n, size: 131072n * 512n });
    expect(f?.partitions).toEqual([
      { number: 1, start: 0x200000n + 2048n * 512n, size: 2048n * 512n, type: 'afafafaf-afaf-afaf-afaf-afafafafafaf' },
    ]);
    expect(gptAt(gpt(true), 0, 0x200200n)).toBeNull();
  });
});
