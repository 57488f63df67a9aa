// Crash safety: the built CLI is killed (SIGKILL, via the fault hook of test/support/fault-cli.js) at
// each step of the write protocol; the target must then hold the original
// block, the migrated block, or a torn block that a rerun detects and
// `restore` repairs. A stale lock from the killed process never blocks the
// recovery.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { encodePfnBlock, headWithBlock, recipeFields, verifyChecksum } from '../../src/index';
import { migrate } from '../../src/migrate/migrate';
import { useTmpDir } from '../support/tmp';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const FAULT_CLI = path.join(ROOT, 'test/support/fault-cli.js');
const M = 1n << 20n;
const UUID = '6a7b8c9d-0000-4000-8000-0123456789ab';
const tmp = useTmpDir('faults');
let survived = 0;
let bytesCompared = 0;

beforeAll(() => {
  // npm run test:slow builds first: dist/ has this checkout's migrate code. (A build here raced the
  // other slow suites' spawns of dist/cli.js.)
  expect(fs.existsSync(path.join(ROOT, 'dist/migrate/apply.js'))).toBe(true);
});
afterAll(() => {
  console.log(`faults: ${survived} interrupted runs survived and recovered, ${bytesCompared} image bytes compared`);
});

interface Cli {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
function cli(args: string[], fault?: string): Cli {
  // mid-write: half of the block is written, then the process dies.
  const spec = { kill: fault, ...(fault === 'mid-write' ? { tear: 2048 } : {}) };
  const argv = fault === undefined ? [CLI, ...args] : [FAULT_CLI, JSON.stringify(spec), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

interface Scenario {
  name: string;
  meaning: 'legacy' | 'ndctl';
  args: string[];
  offset: bigint;
  base: bigint;
}
const SCENARIOS: Scenario[] = [
  { name: 'legacy -> map', meaning: 'legacy', args: ['--to', 'map'], offset: 0n, base: 0x100100000n },
  {
    name: 'ndctl -O -> legacy, namespace at --offset 1M',
    meaning: 'ndctl',
    args: ['--from', 'map', '--to', 'legacy'],
    offset: M,
    base: 0x100100000n,
  },
];
const FAULTS = ['after-lock', 'after-backup', 'mid-write', 'after-write'] as const;

let n = 0;
function setup(s: Scenario): { img: string; original: Buffer; intended: Buffer; args: string[] } {
  const size = 64n * M;
  const block = encodePfnBlock(recipeFields({ meaning: s.meaning, size, offset: s.base, uuid: UUID }));
  const img = tmp.path(`f${n++}.img`);
  const fd = fs.openSync(img, 'w');
  fs.ftruncateSync(fd, Number(size + s.offset));
  fs.writeSync(fd, headWithBlock(block), 0, 8192, Number(s.offset));
  fs.writeSync(fd, Buffer.from('payload'), 0, 7, Number(s.offset) + 8192);
  fs.closeSync(fd);
  const original = fs.readFileSync(img);
  const from = s.args.includes('--from') ? ('map' as const) : undefined;
  const to = s.args[s.args.indexOf('--to') + 1] as 'map' | 'legacy';
  const r = migrate(block, { to, nsBase: s.base, nsSize: size, ...(from === undefined ? {} : { from }) });
  const intended = Buffer.from(original);
  intended.set(r.block, Number(s.offset) + 4096);
  const args = [
    img,
    '--ns-base',
    `0x${s.base.toString(16)}`,
    '--ns-size',
    String(size),
    '--offset',
    String(s.offset),
    ...s.args,
  ];
  return { img, original, intended, args };
}

function sameFile(img: string, expected: Buffer): boolean {
  const now = fs.readFileSync(img);
  bytesCompared += now.length;
  return now.equals(expected);
}

describe.each(SCENARIOS)('$name', (s) => {
  test.each(FAULTS)('killed %s: original, migrated, or detected torn; recovery ends migrated', (fault) => {
    const { img, original, intended, args } = setup(s);
    const lock = `${img}.infoblock.lock`;
    const backup = `${img}.infoblock-backup`;
    const killed = cli(['migrate', ...args], fault);
    expect(killed.signal).toBe('SIGKILL');
    expect(fs.existsSync(lock)).toBe(true); // stale: its process is dead
    const off = Number(s.offset);
    const now = fs.readFileSync(img);
    const block = now.subarray(off + 4096, off + 8192);
    const state = now.equals(original)
      ? 'original'
      : now.equals(intended)
        ? 'migrated'
        : verifyChecksum(block)
          ? 'MIX'
          : 'torn';
    bytesCompared += 2 * now.length;
    const expected = {
      'after-lock': 'original',
      'after-backup': 'original',
      'mid-write': 'torn',
      'after-write': 'migrated',
    }[fault];
    expect(state).toBe(expected);
    // Outside the info-block nothing ever changed.
    expect(Buffer.compare(now.subarray(0, off + 4096), original.subarray(0, off + 4096))).toBe(0);
    expect(Buffer.compare(now.subarray(off + 8192), original.subarray(off + 8192))).toBe(0);
    expect(fs.existsSync(backup)).toBe(fault !== 'after-lock');

    const rerun = cli(['migrate', ...args]);
    expect(rerun.stderr).toMatch(/stale lock/);
    if (state === 'torn') {
      expect(rerun.status).toBe(1);
      expect(rerun.stderr).toMatch(/fails its checksum and a backup exists/);
      // The one line ends with the restore command to paste: it works as printed.
      const m = /; run: infoblock (restore .*)$/.exec(rerun.stderr.trimEnd());
      const base = `0x${s.base.toString(16)}`;
      expect(m?.[1]).toBe(
        `restore ${img} --offset ${s.offset} --ns-base ${base} --ns-size ${64n * M} --backup ${backup}`,
      );
      expect(sameFile(img, now)).toBe(true); // the rerun wrote nothing
      const restore = cli((m?.[1] ?? '').split(' '));
      expect(restore.status).toBe(0);
      expect(sameFile(img, original)).toBe(true);
      const again = cli(['migrate', ...args]);
      expect(again.status).toBe(0);
    } else {
      expect(rerun.status).toBe(0);
      if (state === 'migrated') expect(rerun.stdout).toMatch(/already in the/);
    }
    expect(sameFile(img, intended)).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
    // And the backup still takes it all the way back.
    expect(cli(['restore', img, '--offset', String(s.offset)]).status).toBe(0);
    expect(sameFile(img, original)).toBe(true);
    survived++;
  });
});

test('a killed restore (stale lock) does not block the next restore', () => {
  const { img, original, args } = setup(SCENARIOS[0] as Scenario);
  expect(cli(['migrate', ...args]).status).toBe(0);
  fs.writeFileSync(`${img}.infoblock.lock`, '999999999\n'); // no such pid
  const r = cli(['restore', img]);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/stale lock/);
  expect(sameFile(img, original)).toBe(true);
});
