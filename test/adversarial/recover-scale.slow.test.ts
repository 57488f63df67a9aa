// Issue 18, item 5: recover is O(n log n) in the structures found. An image
// crowded with 126,463 small ext2 superblocks took ~4 minutes and 720 MB
// (31,616: 14 s): every filesystem was compared with every other one, and
// every possible data start was built, judged (hazards included) and kept.
// Now one sweep finds the nesting, a target that cannot beat the weakest of
// the MAX_CANDIDATES kept is neither built nor judged, and only the kept ones
// get the hazards. The work is counted (validator calls); the time is a
// generous cap a quadratic planner misses by minutes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as check from '../../src/validate/check';
import { CLI } from '../support/spawn';
import { useTmpDir } from '../support/tmp';
import { MAX_CANDIDATES, planRecovery } from '../../src/recover/plan-recovery';
import type { FsFinding } from '../../src/scan/detect';

const NS_SIZE = 256n << 20n;
const opts = { nsBase: 0x100000000n, nsSize: NS_SIZE, kernel: 'linux-6.1' };

/** `n` 2 KiB ext2 filesystems every `stride` bytes from 9 MiB on (none inside another), as scan reports them. */
function crowd(n: number, stride = 2048n): FsFinding[] {
  return Array.from({ length: n }, (_, i) => {
    const offset = (9n << 20n) + BigInt(i) * stride;
    return {
      kind: 'ext4',
      offset,
      superblock: offset + 1024n,
      size: 2048n,
      blockSize: 1024n,
      uuid: '00000000-0000-0000-0000-000000000000',
      variant: 'ext2',
      copy: false,
      group: 0,
    };
  });
}

afterEach(() => jest.restoreAllMocks());

test.each([
  [1_000, 2048n],
  [31_616, 2048n],
  [126_463, 2048n],
])('%i small filesystems (stride %i): validator calls bounded by the candidates kept, seconds', (n, stride) => {
  const checkBlock = jest.spyOn(check, 'checkBlock');
  const checkHead = jest.spyOn(check, 'checkHead');
  const t = process.hrtime.bigint();
  const plan = planRecovery(new Uint8Array(8192), crowd(n, stride), opts);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  expect(plan.status).toBe('ambiguous');
  expect(plan.candidates).toHaveLength(MAX_CANDIDATES);
  // Every 4 KiB-aligned start is a place: the first 32 listed, in data-start order (equal evidence).
  expect(plan.candidates.map((c) => c.dataStart)).toEqual(
    Array.from({ length: MAX_CANDIDATES }, (_, i) => (9n << 20n) + BigInt(i) * 4096n),
  );
  expect(plan.candidates.length + plan.omitted).toBe(n - plan.rejected.length);
  // Built and judged: the kept ones and the places weighed before them (misaligned ones, refused cheaply).
  expect(checkBlock.mock.calls.length).toBeLessThanOrEqual(2 * MAX_CANDIDATES + 2);
  expect(checkHead.mock.calls.length).toBeLessThanOrEqual(MAX_CANDIDATES + 1); // the current head + the kept
  expect(seconds).toBeLessThan(30); // a quadratic planner: minutes at 126,463
});

test('nested filesystems (each inside the one before it) are dropped in one sweep, not n^2 comparisons', () => {
  const n = 100_000;
  const findings: FsFinding[] = Array.from({ length: n }, (_, i) => ({
    kind: 'ext4',
    offset: (9n << 20n) + BigInt(i) * 2048n,
    superblock: (9n << 20n) + BigInt(i) * 2048n + 1024n,
    size: NS_SIZE - (9n << 20n) - BigInt(i) * 2048n - (2n << 20n),
    blockSize: 1024n,
    uuid: '00000000-0000-0000-0000-000000000000',
    variant: 'ext4',
    copy: false,
    group: 0,
  }));
  const t = process.hrtime.bigint();
  const plan = planRecovery(new Uint8Array(8192), findings, opts);
  expect(Number(process.hrtime.bigint() - t) / 1e9).toBeLessThan(30);
  // Only the outermost anchors a data start; the 99,999 inside it are image files in it.
  expect(plan.candidates.map((c) => c.dataStart)).toEqual([9n << 20n]);
  expect(plan.status).toBe('proposed');
  expect(plan.omitted).toBe(0);
});

const tmp = useTmpDir('recover-scale');

/** The bench's image (bench/recover.mjs): a 2 KiB ext2 filesystem every 2 KiB from 9 MiB to 256 MiB. */
function crowdedImage(file: string): number {
  const sb = Buffer.alloc(1024);
  sb.writeUInt32LE(16, 0);
  sb.writeUInt32LE(2, 4);
  sb.writeUInt32LE(1, 20);
  sb.writeUInt32LE(8192, 32);
  sb.writeUInt32LE(16, 40);
  sb.writeUInt16LE(0xef53, 56);
  sb.writeUInt32LE(1, 76);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 256 * 2 ** 20);
  const fd = fs.openSync(file, 'r+');
  const chunk = Buffer.alloc(1 << 20);
  let n = 0;
  for (let at = 0; at < chunk.length; at += 2048, n++) sb.copy(chunk, at + 1024);
  for (let mib = 9; mib < 256; mib++) fs.writeSync(fd, chunk, 0, chunk.length, mib * 2 ** 20);
  fs.closeSync(fd);
  return n * (256 - 9);
}

test('recover --json on 126,464 superblocks: the whole document, in bounded memory (was 439 MiB peak)', () => {
  const file = path.join(tmp.dir, 'crowded.img');
  const n = crowdedImage(file);
  const preload = path.join(tmp.dir, 'max-rss.cjs');
  fs.writeFileSync(
    preload,
    "process.on('exit', () => process.stderr.write(`maxRSS ${process.resourceUsage().maxRSS}\\n`));\n",
  );
  const r = spawnSync(process.execPath, ['-r', preload, CLI, 'recover', file, '--ns-base', '0x100000000', '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: 120000,
  });
  expect(r.status).toBe(1); // ambiguous: the places are listed, nothing chosen
  const doc = JSON.parse(r.stdout) as { status: string; evidence: { offset: string }[] };
  expect(doc.status).toBe('ambiguous');
  expect(doc.evidence).toHaveLength(n);
  expect(doc.evidence[n - 1]?.offset).toBe(`0x${((256n << 20n) - 2048n).toString(16)}`);
  const kib = Number(/maxRSS (\d+)/.exec(r.stderr)?.[1]);
  expect(kib / 1024).toBeLessThan(250); // 190 MiB measured (node alone: 45 MiB)
}, 180000);
