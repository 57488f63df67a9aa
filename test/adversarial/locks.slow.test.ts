// Item 9: the lock is race-free and never moves or deletes what it did not
// create. A directory, symlink or foreign file at the lock name is left
// alone (exit 2); a lock is never visible without its owner (it is linked
// into place complete); only one process breaks a stale lock; concurrent
// runs write the block exactly once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { FAULT_CLI, cli, legacyBlock, mapBlockOf, migrateArgs, smallImage, wordsOnly } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('locks');
let dir: string;
let n = 0;
beforeAll(() => {
  dir = tmp.dir;
});

function image(): { img: string; lock: string; original: Buffer; intended: Buffer } {
  const img = path.join(dir, `l${n++}.img`);
  const original = smallImage(img);
  const intended = Buffer.from(original);
  intended.set(mapBlockOf(legacyBlock()), 4096);
  return { img, lock: `${img}.infoblock.lock`, original, intended };
}

interface Async {
  status: number | null;
  stdout: string;
  stderr: string;
}
function start(args: string[], spec?: object): Promise<Async> {
  const argv =
    spec === undefined
      ? [path.join(__dirname, '../../dist/cli.js'), ...args]
      : [FAULT_CLI, JSON.stringify(spec), ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Wait (up to 15 s) until `file` exists: the other process has reached its step, however loaded the machine is. */
async function until(file: string): Promise<void> {
  for (let waited = 0; !fs.existsSync(file); waited += 20) {
    if (waited > 15000) throw new Error(`${file} never appeared`);
    await sleep(20);
  }
}
const deadPid = (): number => 2 ** 22 + 12345; // above pid_max's default range

const IN_THE_WAY: [string, (lock: string) => () => void][] = [
  [
    'a directory (with a file in it)',
    (lock) => {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'precious'), 'keep me');
      return () => expect(fs.readFileSync(path.join(lock, 'precious'), 'utf8')).toBe('keep me');
    },
  ],
  [
    'a dangling symlink',
    (lock) => {
      fs.symlinkSync('/nonexistent/target', lock);
      return () => expect(fs.readlinkSync(lock)).toBe('/nonexistent/target');
    },
  ],
  [
    'a symlink to a user file',
    (lock) => {
      const f = `${lock}-user-file`;
      fs.writeFileSync(f, String(deadPid()) + '\n');
      fs.symlinkSync(f, lock);
      return () => expect(fs.readlinkSync(lock)).toBe(f);
    },
  ],
  [
    'a user file that is not a lock',
    (lock) => {
      fs.writeFileSync(lock, 'my notes\n');
      return () => expect(fs.readFileSync(lock, 'utf8')).toBe('my notes\n');
    },
  ],
];

test.each(IN_THE_WAY)('%s at the lock name: exit 2, left exactly as it was, target untouched', (_name, put) => {
  for (const cmd of ['migrate', 'restore']) {
    const { img, lock, original, intended } = image();
    // restore needs a migrated image and its backup first.
    if (cmd === 'restore') expect(cli(['migrate', img, ...migrateArgs()]).status).toBe(0);
    const unchanged = put(lock);
    const r = cli(cmd === 'migrate' ? ['migrate', img, ...migrateArgs()] : ['restore', img]);
    expect(r.status).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      /is in the way of the lock for .*: it is .*, not a lock written by infoblock; nothing was changed: move it away and try again$/,
    );
    expect(wordsOnly(r.stderr)).toBe(true);
    unchanged();
    expect(fs.readFileSync(img).equals(cmd === 'migrate' ? original : intended)).toBe(true);
    expect(fs.existsSync(`${img}.infoblock-backup`)).toBe(cmd === 'restore');
  }
});

test('a run killed while creating its lock left no lock: the next run is not blocked and takes over nothing', () => {
  const { img, lock, intended } = image();
  expect(cli(['migrate', img, ...migrateArgs()], { spec: { kill: 'lock-temp-written' } }).signal).toBe('SIGKILL');
  expect(fs.existsSync(lock)).toBe(false);
  const r = cli(['migrate', img, ...migrateArgs()]);
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/stale/);
  expect(fs.readFileSync(img).equals(intended)).toBe(true);
});

test('a lock file in the earlier format ("<pid>\\n") of a dead process is still taken over', () => {
  const { img, lock, intended } = image();
  fs.writeFileSync(lock, `${deadPid()}\n`);
  const r = cli(['migrate', img, ...migrateArgs()]);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`took over the stale lock .* process ${deadPid()}`));
  expect(fs.readFileSync(img).equals(intended)).toBe(true);
  expect(fs.existsSync(lock)).toBe(false);
});

test('a live holder: a second run is refused (exit 1) with its pid, the holder finishes alone', async () => {
  const { img, intended } = image();
  const holder = start(['migrate', img, ...migrateArgs()], { sleep: { 'after-lock': 4000 } });
  await until(`${img}.infoblock.lock`);
  const second = cli(['migrate', img, ...migrateArgs()]);
  expect(second.status).toBe(1);
  expect(second.errLines[0]).toMatch(/is locked by process \d+ .*another migrate or restore is running on it/);
  const h = await holder;
  expect(h.status).toBe(0);
  expect(fs.readFileSync(img).equals(intended)).toBe(true);
}, 40000);

test('two processes breaking the same stale lock: only one does; the other is refused', async () => {
  const { img, lock, intended } = image();
  fs.writeFileSync(lock, `nd-infoblock lock\npid ${deadPid()}\n`);
  const breaker = start(['migrate', img, ...migrateArgs()], { sleep: { 'lock-break': 4000 } });
  await until(`${lock}.break`);
  const second = cli(['migrate', img, ...migrateArgs()]);
  expect(second.status).toBe(1);
  expect(second.errLines[0]).toMatch(/taking over its stale lock right now; try again/);
  const b = await breaker;
  expect(b.status).toBe(0);
  expect(b.stdout).toMatch(/^wrote 4096 bytes/m);
  expect(fs.readFileSync(img).equals(intended)).toBe(true);
  expect(fs.existsSync(`${lock}.break`)).toBe(false);
}, 40000);

test(
  'storms: 4 concurrent migrates over a stale lock, 6 ' + 'rounds: the block is written exactly once per round',
  async () => {
    let refused = 0;
    for (let round = 0; round < 6; round++) {
      const { img, lock, intended } = image();
      fs.writeFileSync(lock, `nd-infoblock lock\npid ${deadPid()}\n`);
      const runs = await Promise.all(Array.from({ length: 4 }, () => start(['migrate', img, ...migrateArgs()])));
      const writers = runs.filter((r) => /^wrote 4096 bytes/m.test(r.stdout));
      expect(writers).toHaveLength(1);
      for (const r of runs) {
        expect([0, 1]).toContain(r.status);
        if (r.status === 1) {
          refused++;
          expect(r.stderr).toMatch(/locked by process|taking over its stale lock|keeps (reappearing|changing)/);
        }
        expect(r.stderr).not.toMatch(/internal error/);
      }
      expect(fs.readFileSync(img).equals(intended)).toBe(true);
      expect(fs.existsSync(lock)).toBe(false);
    }
    console.log(`lock storms: 24 concurrent runs, ${refused} refused as locked, 6 writes`);
  },
  180000,
);
