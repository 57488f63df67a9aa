// In-process runner for the CLI tests: captures stdout (text or bytes),
// stderr and the exit code of runCli, with an optional stdin.
import { runCli } from '../../src/cli/index';

export interface Run {
  code: number;
  stdout: Buffer;
  out: string;
  stderr: string;
  errLines: string[];
}

export async function run(argv: string[], stdin?: Buffer): Promise<Run> {
  const chunks: Buffer[] = [];
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (s) => void chunks.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)),
    stderr: (s) => void (stderr += s),
    stdin: async () => stdin ?? Buffer.alloc(0),
  });
  const stdout = Buffer.concat(chunks);
  return { code, stdout, out: stdout.toString('utf8'), stderr, errLines: stderr.split('\n').filter((l) => l !== '') };
}

/** Lines that betray a stack trace or an uncaught error. */
export function looksLikeStack(s: string): boolean {
  return (
    /^\s+at .+\(.*:\d+:\d+\)|^\s+at .+:\d+:\d+$/m.test(s) ||
    /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(s) ||
    /internal error/.test(s)
  );
}
