/**
 * Hints become command lines: the library says what to pass in API terms
 * ({@link Hint}: `{ pass: { nsBase: '<ADDR>' } }`, or another operation to
 * run); here they become flags (`--ns-base <ADDR>`) and, for another
 * operation, a complete `infoblock …` command that works when pasted (its
 * target and the caller's placement options carried over, shell-quoted).
 */
import { escapeText, mustEscape } from '../format/escape';
import { InfoblockError, type Hint, type InfoblockErrorCode } from '../format/errors';
import { ExitCode } from './exit-code';
import type { CliIo } from './io';
import { errorDocumentText } from './json';

type Params = Readonly<Record<string, string | true>>;

/** `nsBase` → `--ns-base`. */
export function flagOf(param: string): string {
  return `--${param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const isControl = mustEscape;

/** `$'…'` (bash, zsh, ksh): control characters as `\xNN`, so the command stays on one line. */
function ansiC(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    // bash reads \xNN as one byte: a C1 or text-hiding character (several bytes in UTF-8) goes as \uNNNN.
    if (isControl(c))
      out += code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c === '\\' || c === "'" ? `\\${c}` : c;
  }
  return `$'${out}'`;
}

/**
 * A word the shell passes through unchanged: bare when it is safe, single-quoted otherwise, `$'…'` when it holds a
 * control character (a newline in a name must not split the one error line).
 */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  if (/^<[A-Z_]+>$/.test(s)) return s; // a placeholder the reader replaces
  if ([...s].some(isControl)) return ansiC(s);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `--from map --force`: one flag per parameter, in the order given. */
export function flagsOf(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => (v === true ? flagOf(k) : `${flagOf(k)} ${shellWord(v)}`))
    .join(' ');
}

/** What the caller named, so a suggested command repeats it: the target and placement options. */
export interface CommandContext {
  /** The file or device the failing command worked on. */
  readonly target?: string;
  /** Options of the failing command that the suggested one needs too (`{ offset: '0x1000', nsBase: … }`). */
  readonly carry?: Params;
}

/** Placement options as given on the command line: a suggested command repeats them. */
export interface Placement {
  offset?: string | undefined;
  nsBase?: string | undefined;
  nsSize?: string | undefined;
}

/** The target (when there is one) and the placement options given, for hints rendered as flags and commands. */
export function contextOf(target: string | undefined, p: Placement): CommandContext {
  const carry: Record<string, string> = {};
  if (p.offset !== undefined) carry['offset'] = p.offset;
  if (p.nsBase !== undefined) carry['nsBase'] = p.nsBase;
  if (p.nsSize !== undefined) carry['nsSize'] = p.nsSize;
  return target === undefined ? { carry } : { target, carry };
}

/** `infoblock migrate ns.img --from map --to legacy --ns-base 0x100000000`. */
export function commandLine(operation: string, params: Params, ctx: CommandContext = {}): string {
  const words = ['infoblock', operation];
  if (ctx.target !== undefined) words.push(shellWord(ctx.target));
  const merged = { ...ctx.carry, ...params };
  const flags = flagsOf(merged);
  return flags === '' ? words.join(' ') : `${words.join(' ')} ${flags}`;
}

/** The hint in words for the one error line: `pass --ns-base <ADDR>` or `run: infoblock …`. */
export function hintText(hint: Hint, ctx: CommandContext = {}): string {
  const parts: string[] = [];
  if (hint.pass !== undefined && Object.keys(hint.pass).length > 0) parts.push(`pass ${flagsOf(hint.pass)}`);
  if (hint.run !== undefined) parts.push(`run: ${commandLine(hint.run.operation, hint.run.params, ctx)}`);
  return parts.join('; ');
}

/** The one line (without `infoblock: `) of a deliberate failure: its message's first line, then its hint. */
export function failureText(e: InfoblockError<string>, ctx: CommandContext = {}): string {
  // Values in a message are escaped where it is made (showPath); what slipped through is escaped on the line kept.
  const first = escapeText(e.message.split('\n')[0] ?? e.message, { keepBackslash: true });
  const hint = e.hint === undefined ? '' : hintText(e.hint, ctx);
  return hint === '' ? first : `${first}; ${hint}`;
}

/** Error codes that mean "refused" (exit 1) rather than a usage or I/O problem (exit 2). */
export const REFUSALS: readonly InfoblockErrorCode[] = ['precondition', 'ambiguous', 'hazard', 'locked', 'backup'];

/**
 * Run `f`; a refusal (see REFUSALS) becomes its line on stderr and exit status 1 (and, with `--json`, an `error`
 * document with exit_code 1 on stdout, as the central handler does for exit 2).
 */
export function refusing<T>(io: CliIo, ctx: CommandContext, f: () => T, codes = REFUSALS, json = false): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InfoblockError && (codes as readonly string[]).includes(e.code)) {
      const message = failureText(e as InfoblockError<string>, ctx);
      io.stderr(`infoblock: ${message}\n`);
      if (json) io.stdout(errorDocumentText({ code: e.code, message, exitCode: 1, hint: e.hint }));
      throw new ExitCode(1);
    }
    throw e;
  }
}
