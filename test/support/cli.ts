// Runs our `infoblock` CLI in-process and captures what it prints, so the
// differential suites can compare it with ndctl's output byte for byte.
import { runCli } from '../../src/cli/index';

export interface CliRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export async function runOurs(argv: string[], stdin?: Buffer): Promise<CliRun> {
  const out: Buffer[] = [];
  let err = '';
  const io = {
    stdout: (s: string | Uint8Array): void => {
      out.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s));
    },
    stderr: (s: string): void => {
      err += s;
    },
    stdin: async (): Promise<Buffer> => stdin ?? Buffer.alloc(0),
  };
  const status = await runCli(argv, io);
  return { status, stdout: Buffer.concat(out), stderr: err };
}
