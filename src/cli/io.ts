/**
 * The CLI's I/O seam: where output goes (so tests run the CLI in-process),
 * standard input, the fault hook for crash tests, and usage errors. File
 * and device I/O lives in src/io.
 */
import { InfoblockError, IoError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import type { Faults } from '../io/faults';
import { readFdRange, writeFdAll } from '../io/stdio';

/** Where runCli writes and what it reads as standard input; every member defaults to the process's own. */
export interface CliIo {
  /** Text or bytes for standard output (`write -c` writes bytes); writes everything or throws (IoError, or
   * StdoutClosed when the reader went away). */
  stdout(s: string | Uint8Array): void;
  /** Diagnostics: `infoblock: ...` lines and summaries. */
  stderr(s: string): void;
  /** All of standard input (tests); when absent, only the needed bytes are read from descriptor 0. */
  stdin?: () => Promise<Uint8Array>;
  /** True when standard output is a terminal (binary output is refused there). */
  stdoutIsTTY?: () => boolean;
  /** Test hook passed to migrate and restore (see src/io/faults.ts). */
  faults?: Faults;
  /** Environment for defaults such as the backup directory of block devices. */
  env?: Readonly<Record<string, string | undefined>>;
}

export const processIo: CliIo = {
  stdout: (s) => writeFdAll(1, s),
  stderr: (s) => {
    try {
      writeFdAll(2, s, 'standard error');
    } catch {
      /* nowhere left to say it */
    }
  },
  stdoutIsTTY: () => process.stdout.isTTY === true,
};

/** A usage problem: exit code 2 like any bad input. */
export class UsageError extends InfoblockError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/** The 8 KiB head at `offset` of standard input, reading no more than offset + 8 KiB. */
export async function readStdinHead(io: CliIo, offset: bigint): Promise<Uint8Array> {
  if (io.stdin === undefined) return readFdRange(0, offset, HEAD_SIZE);
  const all = await io.stdin();
  const start = Number(offset);
  if (all.length < start + HEAD_SIZE) {
    throw new IoError(
      `standard input is too short: need ${HEAD_SIZE} bytes at offset ${offset}, got ` +
        `${Math.max(0, all.length - start)}`,
    );
  }
  return all.subarray(start, start + HEAD_SIZE);
}
