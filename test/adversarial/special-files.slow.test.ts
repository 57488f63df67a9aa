// Item 4 (and 7): every path argument of every command given a FIFO, a
// character device, a directory, a symlink loop and a dangling symlink:
// exit 2 at once with one sentence, nothing hangs, nothing is created or
// changed. Block devices (a loop device) are valid targets: read, check,
// explain, write -o, migrate (backup in the persistent state directory,
// named in the output) and restore; as a backup, SVG or corpus directory
// they are refused like the rest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  attachLoop,
  cli,
  detachLoop,
  isRoot,
  legacyBlock,
  mapBlockOf,
  migrateArgs,
  smallImage,
  unavailable,
  wordsOnly,
} from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('special');
let dir: string;
let img: string;
let original: Buffer;
let backup: string;
const special: Record<string, string> = {};

beforeAll(() => {
  dir = tmp.dir;
  img = path.join(dir, 'ns.img');
  original = smallImage(img);
  // A valid backup for the restore cases, then the image back to the original.
  expect(cli(['migrate', img, ...migrateArgs(), '--backup', path.join(dir, 'good.backup')]).status).toBe(0);
  expect(cli(['restore', img, '--backup', path.join(dir, 'good.backup')]).status).toBe(0);
  backup = path.join(dir, 'good.backup');
  special.fifo = path.join(dir, 'fifo');
  expect(spawnSync('mkfifo', [special.fifo]).status).toBe(0);
  special['char device /dev/zero'] = '/dev/zero';
  special['char device /dev/null'] = '/dev/null';
  special.directory = path.join(dir, 'a-directory');
  fs.mkdirSync(special.directory);
  fs.writeFileSync(path.join(special.directory, 'keep'), 'x');
  special['symlink loop'] = path.join(dir, 'loop-a');
  fs.symlinkSync(path.join(dir, 'loop-b'), special['symlink loop']);
  fs.symlinkSync(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
  special['dangling symlink'] = path.join(dir, 'dangling');
  fs.symlinkSync(path.join(dir, 'nowhere', 'target'), special['dangling symlink']);
});

/** Every path argument of every command, with X the special file. */
const USES: [string, (x: string) => string[]][] = [
  ['read FILE', (x) => ['read', x]],
  ['read -j FILE', (x) => ['read', '-j', x]],
  ['write -o FILE', (x) => ['write', '-o', x, '-s', '64M']],
  ['check FILE', (x) => ['check', x]],
  ['explain FILE', (x) => ['explain', x]],
  ['explain --svg FILE', (x) => ['explain', img, '--ns-base', '0x100100000', '--ns-size', '64M', '--svg', x]],
  ['migrate TARGET', (x) => ['migrate', x, ...migrateArgs()]],
  ['migrate --dry-run TARGET', (x) => ['migrate', x, ...migrateArgs(), '--dry-run']],
  ['migrate --backup FILE', (x) => ['migrate', img, ...migrateArgs(), '--backup', x]],
  ['migrate --dry-run --backup FILE', (x) => ['migrate', img, ...migrateArgs(), '--dry-run', '--backup', x]],
  ['restore TARGET', (x) => ['restore', x, '--backup', backup]],
  ['restore --backup FILE', (x) => ['restore', img, '--backup', x]],
  ['corpus --out DIR', (x) => ['corpus', '--out', x, '--count', '3']],
];
const KINDS = [
  'fifo',
  'char device /dev/zero',
  'char device /dev/null',
  'directory',
  'symlink loop',
  'dangling symlink',
];
/** What the one sentence says about each kind of special file. */
const KIND_WORDS: Record<string, RegExp> = {
  fifo: /is a FIFO \(named pipe\)/,
  'char device /dev/zero': /is a character device/,
  'char device /dev/null': /is a character device/,
  directory: /is a directory|it is a directory|is not empty; pass --force$/,
  // A target to be written is never followed through a symlink (src/io/trust.ts): that refusal comes first.
  'symlink loop':
    /too many levels of symbolic links \(a symlink loop\); fix the symbolic link$|is a symbolic link, which a repair never follows/,
  'dangling symlink':
    /no such file or directory; check the path$|is a dangling symbolic link|is a symbolic link, which a repair never follows/,
};
// (An empty directory is a fine corpus --out; ours holds a file, so it is refused as "not empty".)
const CASES = USES.flatMap(([use, argv]) => KINDS.map((kind) => [use, kind, argv] as const));

test.each(CASES)(
  '%s with a %s: exit 2 at once, one sentence, nothing changed',
  (_use, kind, argv) => {
    const x = special[kind] as string;
    const t0 = Date.now();
    const r = cli(argv(x), { timeout: 15000, spec: { rss: true } });
    const ms = Date.now() - t0;
    expect(r.signal).toBeNull(); // not killed by the timeout: it did not hang
    expect(r.status).toBe(2);
    const lines = r.errLines.filter((l) => !l.startsWith('maxrss ') && !/^read \d+ infoblock/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^infoblock: /);
    // The sentence names the path and says what it is.
    expect(lines[0]).toContain(`'${x}'`);
    expect(lines[0]).toMatch(KIND_WORDS[kind] as RegExp);
    expect(wordsOnly(r.stderr)).toBe(true);
    const rss = Number(/maxrss (\d+)/.exec(r.stderr)?.[1]);
    expect(rss).toBeLessThan(300 * 1024); // KiB: /dev/zero was never read into memory
    expect(ms).toBeLessThan(15000);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
    expect(fs.existsSync(`${img}.infoblock-backup`)).toBe(false);
    expect(fs.existsSync(`${img}.infoblock.lock`)).toBe(false);
    if (kind === 'fifo') expect(fs.statSync(x).isFIFO()).toBe(true);
    if (kind === 'directory') expect(fs.readdirSync(x)).toEqual(['keep']);
    if (kind === 'dangling symlink') expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
  },
  30000,
);

describe('a block device (loop device)', () => {
  let dev: string | null = null;
  let backing: string;
  let state: string;
  let devOriginal: Buffer;
  beforeAll(() => {
    backing = path.join(dir, 'backing.img');
    devOriginal = smallImage(backing, 0, 1 << 20);
    dev = attachLoop(backing);
    state = path.join(dir, 'state home');
  });
  afterAll(() => {
    if (dev !== null) detachLoop(dev);
  });
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, XDG_STATE_HOME: state });
  const need = (): boolean =>
    dev === null && unavailable(isRoot() ? 'a loop device (losetup)' : 'root for a loop device');

  test('read, check, explain accept it', () => {
    if (need()) return;
    const d = dev as string;
    const r = cli(['read', '-j', d]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/"signature":"NVDIMM_PFN_INFO"|NVDIMM_PFN_INFO/);
    expect(cli(['check', d, '--ns-base', '0x100100000', '--ns-size', '64M']).status).toBeLessThanOrEqual(1);
    expect(cli(['explain', d, '--ns-base', '0x100100000', '--ns-size', '64M']).status).toBeLessThanOrEqual(1);
  });

  test('migrate puts the backup in $XDG_STATE_HOME/nd-infoblock/backups (says so); restore finds it there', () => {
    if (need()) return;
    const d = dev as string;
    const r = cli(['migrate', d, ...migrateArgs()], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const name = `${path.basename(d)}-7:${/loop(\d+)/.exec(d)?.[1]}.infoblock-backup`;
    const where = path.join(state, 'nd-infoblock', 'backups', name);
    expect(r.stdout).toContain(`backup: ${where}`);
    expect(fs.existsSync(where)).toBe(true);
    expect(fs.existsSync(`${d}.infoblock-backup`)).toBe(false); // not in /dev (RAM)
    const intended = Buffer.from(devOriginal);
    intended.set(mapBlockOf(legacyBlock()), 4096);
    expect(fs.readFileSync(backing).equals(intended)).toBe(true);
    const back = cli(['restore', d], { env: env() });
    expect(back.status).toBe(0);
    expect(back.stdout).toContain(where);
    expect(fs.readFileSync(backing).equals(devOriginal)).toBe(true);
  });

  test('without XDG_STATE_HOME the backup goes to ~/.local/state/nd-infoblock/backups', () => {
    if (need()) return;
    const d = dev as string;
    const home = path.join(dir, 'home');
    const e: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete e.XDG_STATE_HOME;
    const r = cli(['migrate', d, ...migrateArgs()], { env: e });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`backup: ${path.join(home, '.local', 'state', 'nd-infoblock', 'backups')}/`);
    expect(cli(['restore', d], { env: e }).status).toBe(0);
    expect(fs.readFileSync(backing).equals(devOriginal)).toBe(true);
  });

  test('write -o writes its first 8 KiB only', () => {
    if (need()) return;
    const d = dev as string;
    const before = fs.readFileSync(backing);
    expect(cli(['write', '-o', d, '-s', '64M']).status).toBe(0);
    const after = fs.readFileSync(backing);
    expect(after.subarray(8192).equals(before.subarray(8192))).toBe(true);
    fs.writeFileSync(backing, devOriginal);
  });

  test.each([
    ['migrate --backup DEV', (d: string) => ['migrate', img, ...migrateArgs(), '--backup', d]],
    ['migrate --dry-run --backup DEV', (d: string) => ['migrate', img, ...migrateArgs(), '--dry-run', '--backup', d]],
    ['restore --backup DEV', (d: string) => ['restore', img, '--backup', d]],
    ['explain --svg DEV', (d: string) => ['explain', img, '--ns-base', '0x100100000', '--ns-size', '64M', '--svg', d]],
    ['corpus --out DEV', (d: string) => ['corpus', '--out', d, '--count', '2']],
  ])('%s: refused (exit 2), the device untouched', (_n, argv) => {
    if (need()) return;
    const before = fs.readFileSync(backing);
    const r = cli(argv(dev as string));
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([expect.stringMatching(/^infoblock: .*'\/dev\/loop\d+'.* a block device/)]);
    expect(wordsOnly(r.stderr)).toBe(true);
    expect(fs.readFileSync(backing).equals(before)).toBe(true);
  });
});
