// The one helper for tests that must run the built CLI (dist/cli.js) as a
// real process: a kill, a timing, a terminal, a pipe or a special fd that
// the in-process runner (test/support/run.ts) cannot give. Everything else
// uses run().
import * as path from 'node:path';
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'dist/cli.js');
/** The built CLI with a fault hook installed (see fault-cli.js). */
export const FAULT_CLI = path.join(ROOT, 'test/support/fault-cli.js');

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes (exact when the spawn used `encoding: 'buffer'`). */
  stdoutBytes: Buffer;
  stderr: string;
  errLines: string[];
}

export function ran(r: SpawnSyncReturns<string | Buffer>): Ran {
  const raw = r.stdout ?? '';
  const stdoutBytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
  const stderr = String(r.stderr ?? '');
  return {
    status: r.status,
    signal: r.signal,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr,
    errLines: stderr.split('\n').filter((l) => l !== ''),
  };
}

/**
 * Run the built CLI as a child (`spec`: a fault hook, see fault-cli.js);
 * `timeout` kills a hang (the test then sees signal SIGKILL). Pass
 * `encoding: 'buffer'` for binary stdout.
 */
export function cli(args: (string | Buffer)[], o: SpawnSyncOptions & { spec?: object } = {}): Ran {
  const { spec, ...opts } = o;
  const argv = spec === undefined ? [CLI, ...args] : [FAULT_CLI, JSON.stringify(spec), ...args];
  const r = spawnSync(process.execPath, argv as string[], {
    encoding: 'utf8',
    timeout: 20000,
    killSignal: 'SIGKILL',
    ...opts,
  });
  return ran(r);
}
