/**
 * The CLI's I/O seam: where output goes (so tests run the CLI in-process),
 * standard input, and usage errors. File reads live in src/format/files.ts.
 */
import { InfoblockError, IoError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';

/** Where runCli writes and what it reads as standard input; every member defaults to the process's own. */
export interface CliIo {
  /** Text or bytes for standard output (`write -c` writes bytes). */
  stdout(s: string | Uint8Array): void;
  /** Diagnostics: `infoblock: ...` lines and summaries. */
  stderr(s: string): void;
  /** All of standard input, for commands given no FILE. */
  stdin?: () => Promise<Uint8Array>;
  /** True when standard output is a terminal (binary output is refused there). */
  stdoutIsTTY?: () => boolean;
}

export const processIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stdin: readProcessStdin,
  stdoutIsTTY: () => process.stdout.isTTY === true,
};

async function readProcessStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A usage problem: exit code 2 like any bad input. */
export class UsageError extends InfoblockError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/** The 8 KiB head at `offset` of standard input. */
export async function readStdinHead(io: CliIo, offset: bigint): Promise<Uint8Array> {
  const all = await (io.stdin ?? readProcessStdin)();
  const start = Number(offset);
  if (all.length < start + HEAD_SIZE) {
    throw new IoError(`standard input is too short: need ${HEAD_SIZE} bytes at offset ${offset}, got ${Math.max(0, all.length - start)}`);
  }
  return all.subarray(start, start + HEAD_SIZE);
}
