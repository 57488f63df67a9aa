// Crash safety of `recover --write`: the built CLI is killed (SIGKILL, via the
// fault hook of test/support/fault-cli.js) at each step of the write; a rerun must then finish the
// recovery (or find nothing to do), every byte outside the 4 KiB block must
// be untouched, and `restore` must bring back the damaged original.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CASES, buildImage, haveTools, readBlock } from './fs-images';
import { useTmpDir } from '../support/tmp';
import { json, run as runInProcess } from '../support/run';
import { describeIf } from '../support/skip';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const FAULT_CLI = path.join(ROOT, 'test/support/fault-cli.js');
const c = CASES[0];
const tmp = useTmpDir('recover-faults');
let dir: string;

beforeAll(() => {
  dir = tmp.dir; // npm run test:slow builds dist/ first
});

function run(file: string, fault?: string): { status: number | null; signal: string | null; stderr: string } {
  const args = ['recover', file, '--ns-base', String(c?.base), '--write'];
  // mid-write tears the 4 KiB write after 2048 bytes, then is killed.
  const spec = fault === undefined ? {} : { kill: fault, ...(fault === 'mid-write' ? { tear: 2048 } : {}) };
  const argv = fault === undefined ? [CLI, ...args] : [FAULT_CLI, JSON.stringify(spec), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

const suite = describeIf(
  haveTools() && c !== undefined,
  'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)',
);
suite('recover --write killed at each step', () => {
  test.each(['after-lock', 'after-backup', 'mid-write', 'after-write'])('%s', async (fault) => {
    if (c === undefined) throw new Error('no case');
    const img = await buildImage(c, path.join(dir, `${fault}.img`));
    const damaged = fs.readFileSync(img.file);
    const killed = run(img.file, fault);
    expect(killed.signal).toBe('SIGKILL');
    const after = fs.readFileSync(img.file);
    // Nothing outside the block at 4096 moved, whatever the step.
    expect(after.subarray(0, 4096).equals(damaged.subarray(0, 4096))).toBe(true);
    expect(after.subarray(8192).equals(damaged.subarray(8192))).toBe(true);
    const rerun = run(img.file);
    expect(rerun.status).toBe(0);
    const chk = await runInProcess(['check', img.file, '--ns-base', String(c.base), '--json']);
    const v = json(chk) as { outcome: string; data_start: string };
    expect(v.outcome).toBe('claimed');
    expect(v.data_start).toBe(`0x${img.dataStart.toString(16)}`);
    const undo = await runInProcess(['restore', img.file, '--backup', `${img.file}.infoblock-backup`]);
    // After a kill past the write, the rerun had nothing to do and left the dead run's lock to restore.
    expect(undo.errLines).toEqual(
      fault === 'after-write' ? [expect.stringMatching(/^infoblock: warning: took over the stale lock /)] : [],
    );
    expect(undo.status).toBe(0);
    expect(readBlock(img.file).equals(damaged.subarray(4096, 8192))).toBe(true);
  });
});
