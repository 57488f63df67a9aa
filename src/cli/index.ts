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
import { KernelHarnessError } from '../kernel/errors';

export type { CliIo } from './io';

export type Register = (program: Command, io: CliIo) => void;

/*
 * Command modules load lazily: `infoblock read` should not pay for the QEMU
 * harness, the corpus generator or cli-progress. Only the command named in
 * argv is loaded; help, a bare `infoblock` or an unknown word load them all.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Register> = {
  read: () => (require('./read') as typeof import('./read')).registerRead,
  write: () => (require('./write') as typeof import('./write')).registerWrite,
  check: () => (require('./check') as typeof import('./check')).registerCheck,
  explain: () => (require('./check') as typeof import('./check')).registerCheck,
  migrate: () => (require('./migrate') as typeof import('./migrate')).registerMigrate,
  restore: () => (require('./migrate') as typeof import('./migrate')).registerMigrate,
  'kernel-check': () => (require('../kernel/cli') as typeof import('../kernel/cli')).registerKernelCheck,
  corpus: () => (require('./corpus') as typeof import('./corpus')).registerCorpus,
  scan: () => (require('./scan') as typeof import('./scan')).registerScan,
  recover: () => (require('./recover') as typeof import('./recover')).registerRecover,
};
/* eslint-enable @typescript-eslint/no-require-imports */

function registrationsFor(argv: readonly string[]): Register[] {
  const first = argv[0];
  if (first === '--version') return [];
  const names = first !== undefined && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  const out: Register[] = [];
  for (const n of names) {
    const r = (COMMANDS[n] as () => Register)();
    // check/explain and migrate/restore share a module: register it once.
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

function buildProgram(io: CliIo, argv: readonly string[]): Command {
  const program = new Command('infoblock');
  program
    .description('Read, write, check, migrate and fuzz Linux NVDIMM pfn/dax info-blocks')
    .version('0.1.0', '--version', 'print the version') // not -V: read uses -V for --verify
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`infoblock: ${s.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError(false) // one error line, always
    .exitOverride();
  for (const r of registrationsFor(argv)) r(program, io);
  for (const c of program.commands) c.exitOverride().configureOutput(program.configureOutput());
  return program;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

export async function runCli(argv: readonly string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = { ...processIo, ...ioIn };
  const program = buildProgram(io, argv);
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
