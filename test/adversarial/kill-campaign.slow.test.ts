// Random-kill campaign: migrate and restore of the built CLI are SIGKILLed at
// random steps of the write protocol (and the block write torn at a random
// byte). After every kill the whole image is compared byte for byte with
// what that step allows (original, migrated, or a torn mix inside the 4 KiB
// block only), any backup under its real name must be a complete record,
// and recovery (restore, through the dead process's stale lock) must give
// back the original bytes. The images live under a directory whose name has
// non-ASCII characters and a newline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { decodeBackup, migrateTarget, restoreTarget } from '../../src/index';
import { FAULT_STEPS, type FaultStep } from '../../src/io/faults';
import { BASE, CLI, NS_SIZE, cli, mapBlockOf, legacyBlock, migrateArgs, smallImage } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const KILLS = 120;
const seed = Number(process.env.CAMPAIGN_SEED ?? Date.now() % 1_000_000);
let state = seed >>> 0;
/** mulberry32: small, seedable, good enough to spread the kills. */
const rand = (n: number): number => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

const tmp = useTmpDir('kill');
let root: string;
beforeAll(() => {
  root = tmp.dir;
});

const MIGRATE_STEPS: FaultStep[] = FAULT_STEPS.filter((s) => s !== 'lock-break');
const RESTORE_STEPS: FaultStep[] = [
  'lock-temp-written',
  'after-lock',
  'after-read',
  'mid-write',
  'after-write',
  'after-fsync',
  'after-verify',
  'before-release',
];
/** Steps at or after which the new bytes are in the file (a kill is not a power cut: the page cache stays). */
const WRITTEN: FaultStep[] = ['after-write', 'after-fsync', 'after-verify', 'before-release'];

type Shape = 'original' | 'intended' | 'torn';
function shape(now: Buffer, original: Buffer, intended: Buffer, blockAt: number): Shape | 'CORRUPT' {
  if (now.equals(original)) return 'original';
  if (now.equals(intended)) return 'intended';
  if (now.length !== original.length) return 'CORRUPT';
  for (let i = 0; i < now.length; i++) {
    const inBlock = i >= blockAt && i < blockAt + 4096;
    if (now[i] !== original[i] && (!inBlock || now[i] !== intended[i])) return 'CORRUPT';
  }
  return 'torn';
}

function expectBackupWholeOrAbsent(backup: string): boolean {
  if (!fs.existsSync(backup)) return false;
  expect(() => decodeBackup(fs.readFileSync(backup))).not.toThrow();
  return true;
}

test(`${KILLS} SIGKILLs of migrate and restore at random steps: every image compares, every recovery succeeds`, () => {
  const dir = path.join(root, 'ünïcödé\nnew line');
  fs.mkdirSync(dir);
  const counts: Record<string, number> = {};
  let kills = 0;
  let compared = 0;
  let recoveries = 0;
  for (let round = 0; kills < KILLS; round++) {
    const offset = rand(2) === 0 ? 0 : 8192;
    const img = path.join(dir, `ns ${round} é.img`);
    const backup = `${img}.infoblock-backup`;
    const original = smallImage(img, offset);
    const intended = Buffer.from(original);
    intended.set(mapBlockOf(legacyBlock()), offset + 4096);
    const restoring = rand(3) === 0;
    if (restoring) {
      migrateTarget({ target: img, offset: BigInt(offset), nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
      expect(fs.readFileSync(img).equals(intended)).toBe(true);
    }
    const steps = restoring ? RESTORE_STEPS : MIGRATE_STEPS;
    const step = steps[rand(steps.length)] as FaultStep;
    const tear = step === 'mid-write' ? 1 + rand(4095) : undefined;
    const spec = { kill: step, ...(tear === undefined ? {} : { tear }) };
    const args = restoring
      ? ['restore', img, ...(offset === 0 ? [] : ['--offset', String(offset)])]
      : ['migrate', img, ...migrateArgs(offset)];
    const r = cli(args, { spec });
    expect(r.signal).toBe('SIGKILL');
    kills++;
    counts[`${restoring ? 'restore' : 'migrate'}:${step}`] =
      (counts[`${restoring ? 'restore' : 'migrate'}:${step}`] ?? 0) + 1;

    const now = fs.readFileSync(img);
    compared += now.length;
    const s = shape(now, original, intended, offset + 4096);
    expect(s).not.toBe('CORRUPT');
    if (tear !== undefined) {
      // Exactly the first `tear` bytes of the new block over the old one: when
      // they equal the old bytes (a tear before the first changed field) the
      // image still reads as the old state, which is right, not a failure.
      const [before, after] = restoring ? [intended, original] : [original, intended];
      const expected = Buffer.from(before);
      expected.set(after.subarray(offset + 4096, offset + 4096 + tear), offset + 4096);
      expect({ seed, tear, exact: now.equals(expected) }).toEqual({ seed, tear, exact: true });
    } else if (restoring) expect(s).toBe(WRITTEN.includes(step) ? 'original' : 'intended');
    else expect(s).toBe(WRITTEN.includes(step) ? 'intended' : 'original');
    const haveBackup = expectBackupWholeOrAbsent(backup);
    expect(haveBackup).toBe(
      restoring || !['lock-temp-written', 'after-lock', 'after-read', 'temp-written', 'temp-synced'].includes(step),
    );

    // Recovery through the stale lock: restore when a backup exists; else the
    // image is still the original and a rerun of migrate completes (then restore).
    if (!haveBackup) {
      const again = migrateTarget({ target: img, offset: BigInt(offset), nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
      expect(again.written).toBe(true);
      // A process killed before its lock was linked into place left no lock at all.
      expect(again.lockTakenOverFrom === null).toBe(step === 'lock-temp-written');
      const mid = fs.readFileSync(img);
      compared += mid.length;
      expect(mid.equals(intended)).toBe(true);
    }
    const back = restoreTarget({ target: img });
    expect(back.status).toBe(s === 'original' && haveBackup ? 'unchanged' : 'restored');
    const after = fs.readFileSync(img);
    compared += after.length;
    expect(after.equals(original)).toBe(true);
    expect(fs.existsSync(`${img}.infoblock.lock`)).toBe(false);
    recoveries++;
  }
  const reached = Object.keys(counts).length;
  console.log(
    `kill campaign (seed ${seed}): ${kills} SIGKILLs, ${recoveries} recoveries, ${compared} image bytes ` +
      `compared, ${reached} step kinds: ${JSON.stringify(counts)}`,
  );
  expect(recoveries).toBe(kills);
  expect(reached).toBeGreaterThanOrEqual(12);
}, 120000);

test(
  'a killed run leaves a stale lock; the next migrate ' + 'breaks it ("lock-break" killed too) and still recovers',
  () => {
    const dir = path.join(root, 'breaks');
    fs.mkdirSync(dir);
    for (let i = 0; i < 6; i++) {
      const img = path.join(dir, `b${i}.img`);
      const original = smallImage(img);
      expect(cli(['migrate', img, ...migrateArgs()], { spec: { kill: 'after-lock' } }).signal).toBe('SIGKILL');
      const lockText = fs.readFileSync(`${img}.infoblock.lock`, 'utf8');
      expect(lockText).toMatch(/^nd-infoblock lock\npid \d+\n$/);
      // Killed while breaking the stale lock: the breaker is stale too, and the next run clears both.
      expect(cli(['migrate', img, ...migrateArgs()], { spec: { kill: 'lock-break' } }).signal).toBe('SIGKILL');
      expect(fs.readFileSync(img).equals(original)).toBe(true);
      const r = cli(['migrate', img, ...migrateArgs()]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/took over the stale lock/);
      expect(fs.existsSync(`${img}.infoblock.lock`)).toBe(false);
      expect(fs.existsSync(`${img}.infoblock.lock.break`)).toBe(false);
      expect(cli(['restore', img]).status).toBe(0);
      expect(fs.readFileSync(img).equals(original)).toBe(true);
    }
  },
  60000,
);

test(
  'unhooked: the plain CLI killed at random times (timer SIGKILL) never leaves a bad image or a partial ' + 'backup',
  async () => {
    const dir = path.join(root, 'timed ✂');
    fs.mkdirSync(dir);
    let killed = 0;
    let completed = 0;
    for (let i = 0; i < 30; i++) {
      const img = path.join(dir, `t${i}.img`);
      const original = smallImage(img);
      const intended = Buffer.from(original);
      intended.set(mapBlockOf(legacyBlock()), 4096);
      const child = spawn(process.execPath, [CLI, 'migrate', img, ...migrateArgs()], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20 + rand(180));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      clearTimeout(timer);
      if (signal === 'SIGKILL') killed++;
      else completed++;
      const now = fs.readFileSync(img);
      expect(now.equals(original) || now.equals(intended)).toBe(true);
      const backup = `${img}.infoblock-backup`;
      if (expectBackupWholeOrAbsent(backup))
        expect(restoreTarget({ target: img }).status).toMatch(/^(restored|unchanged)$/);
      else migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
      if (!fs.existsSync(backup)) throw new Error('recovery left no backup');
      expect(restoreTarget({ target: img }).status).toMatch(/^(restored|unchanged)$/);
      expect(fs.readFileSync(img).equals(original)).toBe(true);
    }
    console.log(
      `timed kills: ${killed} killed mid-run, ${completed} completed before the timer; all compared and recovered`,
    );
    expect(killed).toBeGreaterThan(0); // the timer did cut runs short
  },
  60000,
);
