// Shared set-up for the adversarial suites: the built CLI run as a child
// (with an optional fault hook), tmpfs mounts, loop devices, an unprivileged
// user, and images with a legacy info-block. Where a facility is missing
// (not root, mount fails), `needRoot` fails the test under CI=true and
// otherwise skips it with a warning.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { CLI, ran, type Ran } from './spawn';
import { encodePfnBlock, headWithBlock, recipeFields } from '../../src/index';
import { migrate } from '../../src/migrate/migrate';

export { ROOT, CLI, FAULT_CLI, cli, ran, type Ran } from './spawn';
export const BASE = 0x100100000n;
export const NS_SIZE = 64n << 20n;
export const UUID = '6a7b8c9d-0000-4000-8000-0123456789ab';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Fail under CI (a skipped adversarial test must not pass silently), else warn and skip. */
export function unavailable(what: string): boolean {
  if (process.env.CI === 'true')
    throw new Error(
      `adversarial test needs ${what}, which is unavailable here (CI=true: failing rather than skipping)`,
    );
  console.warn(`SKIPPED: adversarial test needs ${what}`);
  return true;
}

export function sh(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Mount a tmpfs of `size` at a new directory; null when that cannot be done here. */
export function mountTmpfs(size: string, extra = ''): string | null {
  if (!isRoot()) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-tmpfs-'));
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}${extra === '' ? '' : `,${extra}`}`, 'tmpfs', dir]);
  if (!r.ok) {
    fs.rmdirSync(dir);
    return null;
  }
  return dir;
}

export function unmount(dir: string): void {
  sh('umount', ['-l', dir]);
  try {
    fs.rmdirSync(dir);
  } catch {
    /* still busy: left for the system */
  }
}

let fillers = 0;
/** Fill the file system holding `dir` until at most `leave` bytes are free (a new filler file each call). */
export function fill(dir: string, leave: number): void {
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  const want = free - leave;
  if (want <= 0) return;
  const fd = fs.openSync(path.join(dir, `filler${fillers++ === 0 ? '' : fillers}`), 'w');
  const chunk = Buffer.alloc(4096, 0x55);
  let done = 0;
  try {
    while (done < want) done += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, want - done));
  } catch {
    /* full */
  }
  fs.closeSync(fd);
}

export function attachLoop(file: string): string | null {
  if (!isRoot()) return null;
  const r = sh('losetup', ['-f', '--show', file]);
  return r.ok ? r.out.trim() : null;
}

export function detachLoop(dev: string): void {
  sh('losetup', ['-d', dev]);
}

export const TEST_USER = 'ibtest';
/** uid/gid of an unprivileged user (created with useradd when missing); null when that cannot be done. */
export function unprivileged(): { uid: number; gid: number } | null {
  if (!isRoot()) return null;
  let r = sh('id', ['-u', TEST_USER]);
  if (!r.ok) {
    sh('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER]);
    r = sh('id', ['-u', TEST_USER]);
    if (!r.ok) return null;
  }
  const g = sh('id', ['-g', TEST_USER]);
  return { uid: Number(r.out.trim()), gid: Number(g.out.trim()) };
}

/** The built CLI run as the unprivileged user. */
export function cliAs(user: { uid: number; gid: number }, args: string[], o: SpawnSyncOptions = {}): Ran {
  const r = spawnSync(
    'setpriv',
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', process.execPath, CLI, ...args],
    {
      encoding: 'utf8',
      timeout: 20000,
      killSignal: 'SIGKILL',
      ...o,
    },
  );
  return ran(r);
}

export const legacyBlock = (size = NS_SIZE, base = BASE): Uint8Array =>
  encodePfnBlock(recipeFields({ meaning: 'legacy', size, offset: base, uuid: UUID }));

/** The block migrate --to map makes of `block`. */
export const mapBlockOf = (block: Uint8Array, size = NS_SIZE, base = BASE): Uint8Array =>
  migrate(block, { to: 'map', nsBase: base, nsSize: size }).block;

/**
 * A small image: markers, the legacy head at `offset`, more markers. `size`
 * is the file size; the namespace size is given to migrate separately.
 */
export function smallImage(file: string | Buffer, offset = 0, size = offset + 16384): Buffer {
  const img = Buffer.alloc(size);
  for (let i = 0; i < size; i += 512) img.write(`marker ${i} `, i, 'latin1');
  img.fill(0, offset, offset + 4096);
  img.set(headWithBlock(legacyBlock()).subarray(4096), offset + 4096);
  fs.writeFileSync(file, img);
  return img;
}

export const migrateArgs = (offset = 0): string[] => [
  '--ns-base',
  `0x${BASE.toString(16)}`,
  '--ns-size',
  String(NS_SIZE),
  '--to',
  'map',
  ...(offset === 0 ? [] : ['--offset', String(offset)]),
];

/** No raw errno code, Node error code or stack in a message. */
export function wordsOnly(s: string): boolean {
  return !/\bE[A-Z]{3,}\b|ERR_[A-Z_]+|^\s+at |internal error|TypeError|RangeError/m.test(s);
}
