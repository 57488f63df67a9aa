/**
 * The `infoblock` command line: a thin layer over the library. runCli never
 * exits the process and never lets a stack trace out: every failure becomes
 * one line `infoblock: ...` on stderr and an exit code (2 for usage and I/O
 * errors; commands that deliver a verdict use 1 for "no").
 */
import { Command, CommanderError } from 'commander';
import { InfoblockError } from '../format/errors';
import { ExitCode } from './exit-code';
import { processIo, type CliIo } from './io';
import { registerRead } from './read';
import { registerWrite } from './write';
import { registerCheck } from './check';
import { registerMigrate } from './migrate';
import { registerKernelCheck } from '../kernel/cli';
import { registerCorpus } from './corpus';
import { KernelHarnessError } from '../kernel/errors';

export type { CliIo } from './io';


export type Register = (program: Command, io: CliIo) => void;

const registrations: Register[] = [registerRead, registerWrite, registerCheck, registerMigrate, (program) => registerKernelCheck(program), registerCorpus];

/** Add a command module (used for optional commands such as kernel-check). */
export function addCommand(r: Register): void {
  if (!registrations.includes(r)) registrations.push(r);
}

function buildProgram(io: CliIo): Command {
  const program = new Command('infoblock');
  program
    .description('Read, write, check, migrate and fuzz Linux NVDIMM pfn/dax info-blocks')
    .version('0.1.0', '--version', 'print the version') // not -V: read uses -V for --verify
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`infoblock: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride();
  for (const r of registrations) r(program, io);
  for (const c of program.commands) c.exitOverride().configureOutput(program.configureOutput());
  return program;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

export async function runCli(argv: readonly string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = { ...processIo, ...ioIn };
  const program = buildProgram(io);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander; usage errors were printed already.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof InfoblockError || e instanceof KernelHarnessError) {
      io.stderr(`infoblock: ${oneLine(e)}\n`);
      return 2;
    }
    io.stderr(`infoblock: internal error: ${oneLine(e)}\n`);
    return 3;
  }
}
