// scan groups a filesystem's superblock copies (issue 22): the text shows one line per filesystem with
// "N backup superblocks at groups …" (ext4), "secondary superblocks at AGs …" (xfs) or "superblock mirror
// at mirror …" (btrfs); JSON keeps every copy with its group.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { copiesText, findingLines, groupList, type ScanContext } from '../../src/scan/report';
import type { FsFinding } from '../../src/scan/detect';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { testIf } from '../support/skip';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('scan-copies');
const tool = (name: string): string | null =>
  [`/usr/sbin/${name}`, `/sbin/${name}`, `/usr/bin/${name}`].find((p) => fs.existsSync(p)) ?? null;

test.each([
  [[1], '1'],
  [[1, 2], '1, 2'],
  [[1, 2, 3], '1-3'],
  [[3, 1, 2, 2], '1-3'],
  [[1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243], '1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243'],
  [[1, 2, 3, 4, 7, 8, 10, 11, 12], '1-4, 7, 8, 10-12'],
])('groupList(%j) is %s', (groups, text) => expect(groupList(groups)).toBe(text));

test.each<[FsFinding['kind'], number[], string]>([
  ['ext4', [1], '1 backup superblock at group 1'],
  ['ext4', [1, 3, 5, 7, 9], '5 backup superblocks at groups 1, 3, 5, 7, 9'],
  ['xfs', [1, 2, 3], '3 secondary superblocks at AGs 1-3'],
  ['btrfs', [1, 2], '2 superblock mirrors at mirrors 1, 2'],
])('copiesText(%s, %j)', (kind, groups, text) => expect(copiesText(kind, groups)).toBe(text));

const ext = (group: number, superblock: bigint): FsFinding => ({
  kind: 'ext4',
  offset: 0x100000n,
  superblock,
  size: 64n << 20n,
  blockSize: 1024n,
  uuid: '11111111-2222-3333-4444-555555555555',
  variant: 'ext4',
  copy: group !== 0,
  group,
});
const ctx: ScanContext = { nsBase: 0n, targetSize: 80n << 20n, kernel: 'linux-6.1' } as ScanContext;

test('copies whose primary was lost fold into the first copy found', () => {
  const lines = findingLines([ext(1, 0x102400n), ext(3, 0x306400n), ext(5, 0x50a400n)], ctx);
  expect(lines).toEqual([
    '      0x100000  ext4 filesystem, 64 MiB (65536 x 1024 B blocks), uuid 11111111-2222-3333-4444-555555555555, ' +
      'copy at 0x102400 (group 1) (+2 backup superblocks at groups 3, 5)',
  ]);
});

test('two filesystems with the same offset but other uuids stay two lines', () => {
  const other = { ...ext(0, 0x100400n), uuid: '99999999-2222-3333-4444-555555555555' };
  expect(findingLines([ext(0, 0x100400n), other, ext(1, 0x102400n)], ctx)).toHaveLength(2);
});

testIf(tool('mkfs.ext4') !== null, 'needs mkfs.ext4 (scripts/kernel/setup.sh installs e2fsprogs)')(
  'a real ext4 with 1 KiB blocks: one text line naming the groups; JSON lists each copy and its group',
  async () => {
    const file = tmp.path('ext4.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 72 << 20);
    execFileSync(tool('mkfs.ext4') as string, ['-q', '-F', '-b', '1024', '-E', 'offset=8388608', file, '65536k'], {
      stdio: 'pipe',
    });
    const r = await run(['scan', file]);
    expect(r.code).toBe(0);
    const fsLines = r.out.split('\n').filter((l) => / filesystem, /.test(l));
    expect(fsLines).toEqual([
      expect.stringMatching(
        /^ {6}0x800000 {2}ext4 filesystem, 64 MiB \(65536 x 1024 B blocks\), uuid [0-9a-f-]{36} \(\+4 backup superblocks at groups 1, 3, 5, 7\)$/,
      ),
    ]);
    const doc = json(await run(['scan', file, '--json'])) as { findings: Record<string, unknown>[] };
    expectSchema('scan', doc);
    expect(
      doc.findings.filter((f) => f['kind'] === 'ext4').map((f) => [f['group'], f['copy'], f['superblock']]),
    ).toEqual([
      [0, false, '0x800400'],
      [1, true, '0x1000400'],
      [3, true, '0x2000400'],
      [5, true, '0x3000400'],
      [7, true, '0x4000400'],
    ]);
  },
);

testIf(tool('mkfs.xfs') !== null, 'needs mkfs.xfs (scripts/kernel/setup.sh installs xfsprogs)')(
  'a real xfs: its AG copies as one range',
  async () => {
    const file = tmp.path('xfs.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 300 << 20);
    execFileSync(tool('mkfs.xfs') as string, ['-q', '-f', '-d', 'agcount=4', file], { stdio: 'pipe' });
    const r = await run(['scan', file]);
    const fsLines = r.out.split('\n').filter((l) => / filesystem, /.test(l));
    expect(fsLines).toEqual([expect.stringMatching(/ \(\+3 secondary superblocks at AGs 1-3\)$/)]);
    const doc = json(await run(['scan', file, '--json'])) as { findings: Record<string, unknown>[] };
    expect(doc.findings.filter((f) => f['kind'] === 'xfs').map((f) => f['group'])).toEqual([0, 1, 2, 3]);
  },
);
