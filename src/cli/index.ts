/**
 * The `infoblock` command line: a thin layer over the library. runCli never
 * exits the process and never lets a stack trace out: every failure becomes
 * one line `infoblock: ...` on stderr and an exit code (2 for usage and I/O
 * errors; commands that deliver a verdict use 1 for "no").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { InfoblockError } from '../format/errors';
import { ExitCode } from './exit-code';
import { exitStatusLine } from './exit-status';
import { processIo, type CliIo } from './io';
import { StdoutClosed } from '../io/stdio';
import { contextOf, failureText, type CommandContext } from './hints';
import { errorDocumentText, type FailureBody } from './json';
import { expectArray, expectOptions, expectString } from '../format/guard';

export type { CliIo } from './io';

export type Register = (program: Command, io: CliIo) => void;

// Type-only (erased at build): the modules themselves load lazily, below.
import type * as CmdCheck from './check';
import type * as CmdCorpus from './corpus';
import type * as CmdExplain from './explain';
import type * as CmdKernelCheck from './kernel-check';
import type * as CmdLabels from './labels';
import type * as CmdMigrate from './migrate';
import type * as CmdPack from './pack';
import type * as CmdRead from './read';
import type * as CmdRealign from './realign';
import type * as CmdRebase from './rebase';
import type * as CmdRecover from './recover';
import type * as CmdRestore from './restore';
import type * as CmdScan from './scan';
import type * as CmdWrite from './write';

/*
 * Command modules load lazily: `infoblock read` should not pay for the QEMU
 * harness, the corpus generator or cli-progress. Only the command named in
 * argv is loaded; help, a bare `infoblock` or an unknown word load them all.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Register> = {
  read: () => (require('./read') as typeof CmdRead).registerRead,
  write: () => (require('./write') as typeof CmdWrite).registerWrite,
  check: () => (require('./check') as typeof CmdCheck).registerCheck,
  explain: () => (require('./explain') as typeof CmdExplain).registerExplain,
  migrate: () => (require('./migrate') as typeof CmdMigrate).registerMigrate,
  restore: () => (require('./restore') as typeof CmdRestore).registerRestore,
  'kernel-check': () => (require('./kernel-check') as typeof CmdKernelCheck).registerKernelCheck,
  corpus: () => (require('./corpus') as typeof CmdCorpus).registerCorpus,
  scan: () => (require('./scan') as typeof CmdScan).registerScan,
  recover: () => (require('./recover') as typeof CmdRecover).registerRecover,
  labels: () => (require('./labels') as typeof CmdLabels).registerLabels,
  realign: () => (require('./realign') as typeof CmdRealign).registerRealign,
  rebase: () => (require('./rebase') as typeof CmdRebase).registerRebase,
  pack: () => (require('./pack') as typeof CmdPack).registerPack,
  unpack: () => (require('./pack') as typeof CmdPack).registerPack,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The names `infoblock <command>` accepts (pack and unpack share a module). */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

function registrationsFor(argv: readonly string[]): Register[] {
  const first = argv[0];
  if (first === '--version' || first === '-V') return [];
  const names = first !== undefined && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  const out: Register[] = [];
  for (const n of names) {
    const r = (COMMANDS[n] as () => Register)();
    // pack and unpack share a module: register it once.
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** The version in package.json (dist/cli/index.js and src/cli/index.ts both sit two levels below it). */
export function packageVersion(): string {
  try {
    const file = path.join(__dirname, '..', '..', 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown'; // copied out of its package (a bundler, say): still a working CLI
  }
}

/**
 * Commander's message as our one line: `infoblock: <message>`, its
 * "(Did you mean ...?)" suggestion joined onto the same line.
 */
export function errorLine(s: string): string {
  expectString(s, 's');
  const text = s
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .trimEnd();
  return `infoblock: ${text.split('\n')[0] ?? text}\n`;
}

/**
 * The whole program with every command of `argv` registered. Exported so that
 * scripts/gen-cli-docs.js renders the man page and completions from the same
 * definitions the CLI parses with.
 */
/** Commands whose `--help` already ends with its own, more detailed exit-status line. */
const OWN_EXIT_HELP: readonly string[] = [
  'write',
  'check',
  'migrate',
  'restore',
  'scan',
  'recover',
  'realign',
  'rebase',
];

export function buildProgram(io: CliIo, argv: readonly string[] = []): Command {
  expectOptions(io, 'io');
  if (argv !== undefined) expectArray(argv, 'argv');
  const program = new Command('infoblock');
  program
    .description('Read, write, check, migrate and fuzz Linux NVDIMM pfn/dax info-blocks')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Options after a command name belong to that command: `read -V` is read's --verify.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(errorLine(s)),
    })
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const r of registrationsFor(argv)) r(program, io);
  for (const c of program.commands) {
    c.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    // The commands whose help does not spell its exit statuses out get the table's line (labels: each subcommand).
    for (const x of c.commands.length > 0 ? c.commands : [c]) {
      const line = OWN_EXIT_HELP.includes(c.name()) ? undefined : exitStatusLine(c.name());
      if (line !== undefined) x.addHelpText('after', `\n${line}`);
    }
  }
  return program;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

/** Top-level commands whose `--json` is ndctl's format (`read -j`): their failures stay ndctl's, no error document. */
const NDCTL_JSON: readonly string[] = ['read'];

/** The (sub)command `argv` names: `check`, or `read` under `labels read`; undefined for an unknown word. */
function commandOf(program: Command, argv: readonly string[]): Command | undefined {
  let cmd: Command | undefined;
  let scope = program;
  for (const word of argv) {
    const sub = scope.commands.find((c) => c.name() === word);
    if (sub === undefined) break;
    cmd = sub;
    scope = sub;
  }
  return cmd;
}

/**
 * `--json` among the options (before a `--`) of a command that takes it as
 * the JSON contract: failures are then also an `error` document on stdout.
 * A command without a `--json` option (write, corpus) or with ndctl's (read)
 * never prints one.
 */
function wantsJson(program: Command, argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  if (!(end < 0 ? argv : argv.slice(0, end)).includes('--json')) return false;
  const cmd = commandOf(program, end < 0 ? argv : argv.slice(0, end));
  if (cmd === undefined || (cmd.parent === program && NDCTL_JSON.includes(cmd.name()))) return false;
  return cmd.options.some((o) => o.long === '--json');
}

/** Options a suggested command must repeat to act on the same namespace. */
const CARRIED = ['offset', 'nsBase', 'nsSize'] as const;

/** The failing command's target and placement options, read back from commander after the parse. */
function failureContext(program: Command, argv: readonly string[]): CommandContext {
  const end = argv.indexOf('--');
  const sub = commandOf(program, end < 0 ? argv : argv.slice(0, end));
  if (sub === undefined) return {};
  const opts = sub.opts<Record<string, unknown>>();
  const given: Record<string, string> = {};
  for (const k of CARRIED) {
    const v = opts[k];
    if (typeof v === 'string' && sub.getOptionValueSource(k) === 'cli') given[k] = v;
  }
  return contextOf(sub.args[0], given);
}

/** A failure under `--json`: the same words as the stderr line, as an `error` document on stdout. */
function printJsonError(io: CliIo, f: FailureBody): void {
  try {
    io.stdout(errorDocumentText(f));
  } catch {
    /* stdout is gone too: the stderr line stands alone */
  }
}

/**
 * Run the `infoblock` command line on `argv` (without the node and script
 * names) and resolve with its exit code: 0 done, 1 a "no" verdict (check,
 * kernel-check), 2 a usage or I/O error, 3 an internal error. Never exits the
 * process and never throws; output goes through `ioIn` (default: the
 * process's stdout, stderr and stdin). With `--json`, a failure is also
 * written to stdout as an `error` document (schemas/error.schema.json).
 */
export async function runCli(argv: readonly string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  expectArray(argv, 'argv');
  expectOptions(ioIn, 'ioIn', true);
  // A caller that captures stdout is not a terminal unless it says so.
  const tty = ioIn.stdout !== undefined && ioIn.stdoutIsTTY === undefined ? { stdoutIsTTY: () => false } : {};
  const io: CliIo = { ...processIo, ...ioIn, ...tty };
  const program = buildProgram(io, argv);
  const json = wantsJson(program, argv);
  try {
    if (argv.length === 0 || (argv[0] === 'help' && argv[1] !== undefined && !(argv[1] in COMMANDS))) {
      // No command (or help for none we have): the usage goes where errors go.
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof StdoutClosed) return 0; // the reader went away (`| head`): not an error
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander; usage errors were printed already.
      if (e.exitCode === 0) return 0;
      const message = errorLine(e.message)
        .replace(/^infoblock: /, '')
        .trimEnd();
      if (json) printJsonError(io, { code: 'usage', message, exitCode: 2 });
      return 2;
    }
    if (e instanceof InfoblockError) {
      const err = e as InfoblockError<string>;
      const message = failureText(err, failureContext(program, argv));
      io.stderr(`infoblock: ${message}\n`);
      if (json) printJsonError(io, { code: err.code, message, exitCode: 2, hint: err.hint });
      return 2;
    }
    const message = `internal error: ${oneLine(e)}`;
    io.stderr(`infoblock: ${message}\n`);
    if (json) printJsonError(io, { code: 'internal', message, exitCode: 3 });
    return 3;
  }
}
export { renderVerdict, renderKernels, layoutAscii, layoutSvg, errnoName } from './render';
