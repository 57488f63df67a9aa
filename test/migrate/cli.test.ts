// `infoblock migrate` / `infoblock restore` on real (sparse) image files, in
// process: whole-image byte comparisons, ndctl's acceptance of the result,
// the hazard guard, --dry-run, locks, backups, and every error's exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodePfnBlock, patchPfnBlock, recipeFields, headWithBlock, decodePfnBlock } from '../../src/index';
import { run, looksLikeStack } from '../support/run';
import { describeWithNdctl, runNdctl } from '../support/ndctl';
import { useTmpDir } from '../support/tmp';

const M = 1n << 20n;
const UUID = '6a7b8c9d-0000-4000-8000-0123456789ab';
const BASE = 0x100100000n; // 1 MiB off a 2 MiB boundary: start_pad 1 MiB
const tmp = useTmpDir('migrate');
let dir: string;
let bytesCompared = 0;

beforeAll(() => {
  dir = tmp.dir;
});
afterAll(() => {
  console.log(`migrate cli: ${bytesCompared} image bytes compared`);
});

let n = 0;
/** A sparse image of `size` bytes with `head` at `offset` and a marker pattern around it. */
function image(head: Uint8Array, size = 64n * M, offset = 0n): string {
  const p = path.join(dir, `ns${n++}.img`);
  const fd = fs.openSync(p, 'w');
  fs.ftruncateSync(fd, Number(size));
  fs.writeSync(fd, head, 0, head.length, Number(offset));
  // Markers right after the head and at the very end: they must survive.
  fs.writeSync(fd, Buffer.from('data-after-the-head'), 0, 19, Number(offset) + 8192);
  fs.writeSync(fd, Buffer.from('last-bytes'), 0, 10, Number(size) - 10);
  if (offset > 0n) fs.writeSync(fd, Buffer.from('before-the-namespace'), 0, 20, Number(offset) - 20);
  fs.closeSync(fd);
  return p;
}

const legacyHead = (size = 64n * M, base = BASE): Uint8Array =>
  headWithBlock(encodePfnBlock(recipeFields({ meaning: 'legacy', size, offset: base, uuid: UUID })));

/** Indices (relative to the file) where two files differ. */
function fileDiff(a: Buffer, b: Buffer): number[] {
  expect(a.length).toBe(b.length);
  bytesCompared += a.length;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

const exists = (p: string): boolean => fs.existsSync(p);

describe('migrate --to map on a legacy image', () => {
  test('writes only the 4 KiB block: version, dataoff, checksum; backup beside; no lock left', async () => {
    const img = image(legacyHead());
    const before = fs.readFileSync(img);
    const r = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data start 0x300000 -> 0x300000 \(unchanged\)/);
    const after = fs.readFileSync(img);
    const d = fileDiff(before, after);
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((i) => (i >= 4096 + 52 && i < 4096 + 64) || (i >= 4096 + 4088 && i < 8192))).toBe(true);
    expect(exists(`${img}.infoblock-backup`)).toBe(true);
    expect(exists(`${img}.infoblock.lock`)).toBe(false);
    const check = await run(['check', img, '--ns-base', '0x100100000', '--kernel', 'map', '--json']);
    const v = JSON.parse(check.out) as { outcome: string; data_start: string };
    expect(v.outcome).toBe('claimed');
    expect(v.data_start).toBe('0x300000'); // an exact "0x…" string
    // Rerun: already migrated, exit 0, nothing written.
    const again = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already in the map meaning/);
    expect(fileDiff(after, fs.readFileSync(img))).toEqual([]);
    // Restore gives back the original bytes, and is idempotent.
    const rs = await run(['restore', img]);
    expect(rs.code).toBe(0);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
    const rs2 = await run(['restore', img]);
    expect(rs2.code).toBe(0);
    expect(rs2.out).toMatch(/already holds/);
  });

  test('--offset: a namespace inside a larger image; bytes outside the block are unchanged', async () => {
    const off = 3n * M + 4096n;
    const img = image(legacyHead(), 80n * M, off);
    const before = fs.readFileSync(img);
    const r = await run([
      'migrate',
      img,
      '--offset',
      String(off),
      '--ns-base',
      '0x100100000',
      '--ns-size',
      '64M',
      '--to',
      'map',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      written: boolean;
      data_start_before: string;
      data_start_after: string;
      after: { version: string };
    };
    expect(j.written).toBe(true);
    expect(j.data_start_after).toBe(j.data_start_before);
    expect(j.after.version).toBe('2.4');
    const d = fileDiff(before, fs.readFileSync(img));
    const o = Number(off);
    expect(d.every((i) => i >= o + 4096 && i < o + 8192)).toBe(true);
    const rs = await run(['restore', img, '--offset', String(off)]);
    expect(rs.code).toBe(0);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
  });

  test('--dry-run writes nothing: same bytes, no backup, no lock', async () => {
    const img = image(legacyHead());
    const before = fs.readFileSync(img);
    const r = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run: nothing written/);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
    expect(exists(`${img}.infoblock-backup`)).toBe(false);
    expect(exists(`${img}.infoblock.lock`)).toBe(false);
  });

  test('start_pad 0: nothing to migrate, exit 0, nothing written', async () => {
    const img = image(legacyHead(64n * M, 0x100000000n));
    const before = fs.readFileSync(img);
    const r = await run(['migrate', img, '--ns-base', '0x100000000', '--to', 'map']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nothing to migrate/);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
    expect(exists(`${img}.infoblock-backup`)).toBe(false);
  });
});

describeWithNdctl('ndctl read-infoblock -V accepts the results', () => {
  test.each([
    ['legacy -> map', 'legacy', ['--to', 'map']],
    ['ndctl -O -> legacy (repair)', 'ndctl', ['--from', 'map', '--to', 'legacy', '--allow-hazard']],
  ] as const)('%s', async (_name, meaning, args) => {
    const img = image(
      headWithBlock(encodePfnBlock(recipeFields({ meaning, size: 64n * M, offset: BASE, uuid: UUID }))),
    );
    const r = await run(['migrate', img, '--ns-base', '0x100100000', ...args]);
    expect(r.code).toBe(0);
    const nd = runNdctl(['read-infoblock', '-V', '-j', '-i', img]);
    expect(nd.status).toBe(0);
    const blocks = JSON.parse(nd.stdout.toString('utf8')) as { version: string; dataoff: number }[];
    expect(blocks).toHaveLength(1);
    const ours = decodePfnBlock(fs.readFileSync(img).subarray(4096, 8192)).fields;
    expect(blocks[0]?.dataoff).toBe(Number(ours.dataoff));
    expect(blocks[0]?.version).toBe(`${ours.versionMajor}.${ours.versionMinor}`);
  });

  test('the ndctl -O repair is claimed by linux-6.1', async () => {
    const img = image(
      headWithBlock(encodePfnBlock(recipeFields({ meaning: 'ndctl', size: 64n * M, offset: BASE, uuid: UUID }))),
    );
    expect((await run(['check', img, '--ns-base', '0x100100000'])).code).toBe(1);
    const repair = ['migrate', img, '--ns-base', '0x100100000', '--from', 'map', '--to', 'legacy'];
    // The repaired block has start_pad: 6.1 claims it, and misplaces DAX mappings, so it takes --allow-hazard.
    const refused = await run(repair);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      'infoblock: refusing to migrate: under DAX linux-6.1 would map every page 0x100000 bytes below where read(2) ' +
        'finds it (writes through mmap land on other blocks); nothing written; pass --allow-hazard\n',
    ]);
    expect((await run([...repair, '--allow-hazard'])).code).toBe(0);
    // Claimed now; its start_pad (1 MiB) stays, so Linux 6.1 misplaces DAX mmaps: exit 1 unless --no-dax.
    expect((await run(['check', img, '--ns-base', '0x100100000'])).code).toBe(1);
    expect((await run(['check', img, '--ns-base', '0x100100000', '--no-dax'])).code).toBe(0);
    // Rerunning the same explicit --from map --to legacy must not subtract start_pad twice.
    const repaired = fs.readFileSync(img);
    const again = await run([...repair, '--allow-hazard']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/records this block as the result of an earlier migrate map -> legacy/);
    expect(fileDiff(repaired, fs.readFileSync(img))).toEqual([]);
  });
});

describe('the hazard guard', () => {
  // start_pad 2 MiB on an aligned base: linux-6.1 would claim the 2.4 block 2 MiB off.
  const base = 0x100000000n;
  const hazardHead = (): Uint8Array =>
    headWithBlock(
      patchPfnBlock(encodePfnBlock(recipeFields({ meaning: 'legacy', size: 64n * M, offset: base, uuid: UUID })), {
        startPad: 2n * 1024n * 1024n,
      }),
    );

  test('refused without --force: exit 1, one infoblock: line, nothing written', async () => {
    const img = image(hazardHead());
    const before = fs.readFileSync(img);
    const r = await run(['migrate', img, '--ns-base', '0x100000000', '--to', 'map']);
    expect(r.code).toBe(1);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^infoblock: refusing to migrate: linux-6.1 .* --force/);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
    expect(exists(`${img}.infoblock-backup`)).toBe(false);
    expect(exists(`${img}.infoblock.lock`)).toBe(false);
  });

  test('allowed with --force', async () => {
    const img = image(hazardHead());
    const forced = ['migrate', img, '--ns-base', '0x100000000', '--to', 'map', '--force'];
    // Forced past the misplacement, the 2.4 block is still a DAX hazard on the guard kernel: that takes its own flag.
    expect((await run(forced)).stderr).toMatch(
      /^infoblock: refusing to migrate: under DAX linux-6\.1 .*--allow-hazard\n$/,
    );
    const r = await run([...forced, '--allow-hazard']);
    expect(r.code).toBe(0);
    expect(decodePfnBlock(fs.readFileSync(img).subarray(4096, 8192)).fields.versionMajor).toBe(2);
  });
});

describe('refusals and errors: exit code and one infoblock: line', () => {
  const ndctlImage = (): string =>
    image(headWithBlock(encodePfnBlock(recipeFields({ meaning: 'ndctl', size: 64n * M, offset: BASE, uuid: UUID }))));
  const cases: [string, () => string[], number, RegExp][] = [
    [
      'missing target',
      () => ['migrate', path.join(dir, 'nope.img'), '--ns-base', '0', '--to', 'map'],
      2,
      /no such file/,
    ],
    [
      'target is a directory',
      () => ['migrate', dir, '--ns-base', '0', '--to', 'map', '--ns-size', '64M'],
      2,
      /directory/,
    ],
    [
      'short image',
      () => {
        const p = path.join(dir, `short${n++}.img`);
        fs.writeFileSync(p, Buffer.alloc(6000));
        return ['migrate', p, '--ns-base', '0x100100000', '--to', 'map', '--ns-size', '64M'];
      },
      2,
      /too short/,
    ],
    [
      '--offset past the end',
      () => ['migrate', image(legacyHead()), '--offset', '1G', '--ns-base', '0', '--to', 'map'],
      2,
      /past the end/,
    ],
    ['no --to', () => ['migrate', image(legacyHead()), '--ns-base', '0'], 2, /--to/],
    ['no --ns-base', () => ['migrate', image(legacyHead()), '--to', 'map'], 2, /--ns-base/],
    ['bad --to', () => ['migrate', image(legacyHead()), '--ns-base', '0', '--to', 'sideways'], 2, /invalid meaning/],
    [
      'bad --guard-kernel',
      () => ['migrate', image(legacyHead()), '--ns-base', '0', '--to', 'map', '--guard-kernel', 'linux-2.6'],
      2,
      /^infoblock: unknown kernel 'linux-2.6' \(older than 4.19\): use a kernel version 4.19..7.2/,
    ],
    [
      'contradicting evidence (ndctl -O block)',
      () => ['migrate', ndctlImage(), '--ns-base', '0x100100000', '--to', 'map'],
      1,
      /--from/,
    ],
    ['no info-block', () => ['migrate', image(new Uint8Array(8192)), '--ns-base', '0', '--to', 'map'], 1, /signature/],
    [
      'backup cannot be written (missing directory)',
      () => [
        'migrate',
        image(legacyHead()),
        '--ns-base',
        '0x100100000',
        '--to',
        'map',
        '--backup',
        path.join(dir, 'no/such/dir/b'),
      ],
      2,
      /nothing was written .* original block/,
    ],
    ['restore without a backup', () => ['restore', image(legacyHead())], 2, /cannot read backup/],
  ];
  test.each(cases)('%s', async (_name, argv, code, re) => {
    const r = await run(argv());
    expect(r.code).toBe(code);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^infoblock: /);
    expect(r.errLines[0]).toMatch(re);
    expect(looksLikeStack(r.stderr)).toBe(false);
  });
});

describe('locks and backups', () => {
  test('a lock held by a live process: refused (exit 1), nothing written, lock kept', async () => {
    const img = image(legacyHead());
    const before = fs.readFileSync(img);
    fs.writeFileSync(`${img}.infoblock.lock`, `${process.pid}\n`);
    const r = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map']);
    expect(r.code).toBe(1);
    expect(r.errLines[0]).toMatch(/locked by process \d+/);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
    expect(exists(`${img}.infoblock.lock`)).toBe(true);
  });

  test('a stale lock (its process is gone) is taken over with a warning', async () => {
    const img = image(legacyHead());
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(`${img}.infoblock.lock`, `${dead}\n`);
    const r = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`stale lock .* process ${dead}`));
    expect(exists(`${img}.infoblock.lock`)).toBe(false);
  });

  test('an existing different backup is never overwritten (exit 1)', async () => {
    const img = image(legacyHead());
    fs.writeFileSync(`${img}.infoblock-backup`, 'something else\n');
    const before = fs.readFileSync(img);
    const r = await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map']);
    expect(r.code).toBe(1);
    expect(r.errLines[0]).toMatch(/backup already exists/);
    expect(fs.readFileSync(`${img}.infoblock-backup`, 'utf8')).toBe('something else\n');
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
  });

  test('restore refuses a corrupt backup and a foreign one (exit 1), writing nothing', async () => {
    const img = image(legacyHead());
    const other = image(legacyHead());
    expect((await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map'])).code).toBe(0);
    const migrated = fs.readFileSync(img);
    const backup = `${img}.infoblock-backup`;
    const text = fs.readFileSync(backup, 'latin1');
    // Flip one base64 character of the head.
    const i = text.indexOf('\n') + 100;
    const corrupt = path.join(dir, 'corrupt.backup');
    fs.writeFileSync(corrupt, text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1), 'latin1');
    const r1 = await run(['restore', img, '--backup', corrupt]);
    expect(r1.code).toBe(1);
    expect(r1.errLines).toHaveLength(1);
    expect(r1.errLines[0]).toMatch(/CRC-32/);
    const r2 = await run(['restore', other, '--backup', backup]);
    expect(r2.code).toBe(1);
    expect(r2.errLines[0]).toMatch(/belongs to/);
    const r3 = await run(['restore', img, '--backup', backup, '--offset', '4096']);
    expect(r3.code).toBe(1);
    expect(r3.errLines[0]).toMatch(/offset/);
    expect(fileDiff(migrated, fs.readFileSync(img))).toEqual([]);
  });

  test('restore refuses when the first 4 KiB changed since the backup, unless --force', async () => {
    const img = image(legacyHead());
    const before = fs.readFileSync(img);
    expect((await run(['migrate', img, '--ns-base', '0x100100000', '--to', 'map'])).code).toBe(0);
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from('scribble'), 0, 8, 100);
    fs.closeSync(fd);
    const r = await run(['restore', img]);
    expect(r.code).toBe(1);
    expect(r.errLines[0]).toMatch(/first 4 KiB/);
    const f = await run(['restore', img, '--force']);
    expect(f.code).toBe(0);
    expect(fileDiff(before, fs.readFileSync(img))).toEqual([]);
  });
});
