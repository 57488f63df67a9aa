// The one in-process runner for CLI tests: captures stdout (text or bytes),
// stderr and the exit code of runCli, with an optional stdin. (Tests that
// must kill or time a real process spawn dist/cli.js through
// test/support/adversarial.ts instead.)
import { runCli, type CliIo } from '../../src/cli/index';

export interface Run {
  code: number;
  /** The same exit code under spawnSync's name, so differential tests compare ours and ndctl's alike. */
  status: number;
  stdout: Buffer;
  out: string;
  stderr: string;
  errLines: string[];
}

/** `io` adds to the captured streams what a test injects (the fault hook of crash tests, an environment). */
export async function run(argv: string[], stdin?: Buffer, io: Pick<CliIo, 'faults' | 'env'> = {}): Promise<Run> {
  const chunks: Buffer[] = [];
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (s) => void chunks.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)),
    stderr: (s) => void (stderr += s),
    stdin: () => Promise.resolve(stdin ?? Buffer.alloc(0)),
    ...io,
  });
  const stdout = Buffer.concat(chunks);
  const errLines = stderr.split('\n').filter((l) => l !== '');
  return { code, status: code, stdout, out: stdout.toString('utf8'), stderr, errLines };
}

/** The run's stdout parsed as one JSON document. */
export function json(r: Run): unknown {
  return JSON.parse(r.out) as unknown;
}

/** Lines that betray a stack trace or an uncaught error. */
export function looksLikeStack(s: string): boolean {
  return (
    /^\s+at .+\(.*:\d+:\d+\)|^\s+at .+:\d+:\d+$/m.test(s) ||
    /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(s) ||
    /internal error/.test(s)
  );
}
