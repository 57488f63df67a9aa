// Every shell example of README.md works in a fresh directory (issue #12).
//
// Each ```sh / ```bash / ```console block, and each plain ``` block with
// `$ ` prompts, runs in a new directory of its own, command after command,
// under bash with stderr joined to stdout, with:
//   - `infoblock` on PATH (a shim running this checkout's dist/cli.js),
//   - `samples/` and `scripts/expand-sample.js` copied in (the README names
//     them relative to a checkout),
//   - `node_modules/nd-infoblock` linked to this checkout (the README's
//     library examples import the package by name),
//   - HOME inside the directory (nothing lands in the real home).
// A command must exit as the README implies: the `[exit N]` / `(exit N)`
// line after its output, else 2 when its output is an `infoblock: ` error
// line, 1 when it is a REFUSED/RAW verdict or an upgrade hazard, else 0.
// Where the README shows output lines after a command, the output must match
// them line for line, up to the VOLATILE parts (a `...` line stands for any
// lines; JSON output is compared by its shape, not its values). A command
// that needs a booted kernel, root, the network or external tools is in
// SKIPPED with the reason; every entry there must still match a README
// command. On a mismatch jest prints the README line, the command and a diff
// of the README's lines against the real ones: update the README from it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './support/spawn';
import { useTmpDir } from './support/tmp';
import { testIf } from './support/skip';

/** Commands not run here, each with the reason. */
const SKIPPED: readonly { match: RegExp; reason: string }[] = [
  {
    match: /^npm (start|test)\b/,
    reason: "the project's own install/build/test scripts: run from a test they would recurse into jest",
  },
  {
    match: /^npm install nd-infoblock\b/,
    reason: 'installs from the registry (network); consumer.slow.test.ts (npm run test:slow) installs the tarball',
  },
  {
    match: /^(cd \S+ && )?infoblock kernel-check (?!--kernel 6\.6 )/,
    reason: 'boots Linux under QEMU: npm run test:kernel covers kernel-check',
  },
  { match: /\/dev\/loop0/, reason: 'needs root and a loop device: test/adversarial covers block devices' },
  {
    match: /--backup small\//,
    reason: 'needs a full file system mounted at small/ (root): test/adversarial/full-disk.slow.test.ts covers it',
  },
  {
    match: /^(\.\/my_libfuzzer_target|afl-fuzz) /,
    reason: 'an external fuzzer (a stand-in name), not part of the project',
  },
];

/** Parts of an output that differ from run to run, as [pattern, replacement, what]. */
const VOLATILE: readonly [RegExp, string, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<TIME>', 'a timestamp (backup records, restore)'],
  [/\bdone in \d+(\.\d+)? s\b/g, 'done in <N> s', 'a duration'],
];
/** A random (version 4) uuid, volatile unless the block's commands name it (mkfs's, recover's fresh one). */
const RANDOM_UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b/g;

interface Step {
  /** 1-based line of the command in README.md. */
  line: number;
  command: string;
  /** The README's output lines (null: none shown, not compared). */
  output: string[] | null;
  exit: number;
}

interface Example {
  line: number;
  lang: string;
  steps: Step[];
}

const SHELL_LANGS = ['', 'sh', 'bash', 'shell', 'console'];

/** The exit status the README implies for a command with this output. */
function impliedExit(out: string[]): number {
  if (out.some((l) => /^infoblock: /.test(l))) return 2;
  if (/: (REFUSED by|RAW under) |: \d+ upgrade hazard/.test(out[0] ?? '')) return 1;
  return 0;
}

/**
 * A block with `$ ` prompts: commands (with `\` continuations), each followed by its output up to the next
 * prompt (blank lines inside it kept: `check A B` separates its verdicts by one; trailing ones dropped).
 */
function promptSteps(body: string[], first: number): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < body.length; i++) {
    const text = body[i] as string;
    if (!text.startsWith('$ ')) continue;
    const line = first + i;
    let command = text.slice(2);
    while (command.endsWith('\\') && i + 1 < body.length)
      command = `${command.slice(0, -1).trimEnd()} ${body[++i]?.trim()}`;
    const out: string[] = [];
    while (i + 1 < body.length && !(body[i + 1] as string).startsWith('$ ')) out.push(body[++i] as string);
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    const marker = /^[[(]exit (\d+)[\])]$/.exec(out[out.length - 1] ?? '');
    if (marker !== null) out.pop();
    const exit = marker !== null ? Number(marker[1]) : impliedExit(out);
    steps.push({ line, command, output: out.length === 0 ? null : out, exit });
  }
  return steps;
}

/** A ```sh block without prompts: every line that is not a comment is a command, no output shown. */
function bareSteps(body: string[], first: number): Step[] {
  return body
    .map((text, i) => ({ text: text.trim(), line: first + i }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'))
    .map(({ text, line }) => ({ line, command: text, output: null, exit: 0 }));
}

/** The shell examples of a README, in order. */
export function readmeExamples(readme: string): Example[] {
  const lines = readme.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    const indent = (open[1] as string).length;
    const lang = open[2] as string;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] as string)) end++;
    const body = lines.slice(start, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)));
    i = end;
    if (!SHELL_LANGS.includes(lang)) continue;
    const prompted = body.some((l) => l.startsWith('$ '));
    const steps = prompted
      ? promptSteps(body, start + 1)
      : ['sh', 'bash', 'shell'].includes(lang)
        ? bareSteps(body, start + 1)
        : [];
    if (steps.length > 0) out.push({ line: start, lang, steps });
  }
  return out;
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = readmeExamples(README);
const skipOf = (command: string): string | undefined => SKIPPED.find((s) => s.match.test(command))?.reason;

/** `lines` with the volatile parts replaced: the fresh directory, uuids `named` does not contain, VOLATILE. */
function normalized(lines: string[], named: string, dir: string): string[] {
  return lines.map((l) => {
    let s = l.split(dir).join('<DIR>');
    s = s.replace(RANDOM_UUID, (u) => (named.includes(u) ? u : '<UUID>'));
    for (const [re, to] of VOLATILE) s = s.replace(re, to);
    return s.trimEnd();
  });
}

const isElision = (l: string): boolean => /^\s*\.\.\.(\s|$)/.test(l);

/** Whether `actual` matches `expected`, where an elision line (`  ... (the same report)`) stands for any lines. */
function matches(expected: string[], actual: string[]): boolean {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = expected.map((l) => (isElision(l) ? '(?:[^\\n]*\\n)*?' : `${esc(l)}\\n`)).join('');
  return new RegExp(`^${re}$`).test(actual.map((l) => `${l}\n`).join(''));
}

/** A JSON value's shape: the keys of every object and the kinds of the leaves, not the values. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  }
  return v === null ? 'null' : 'value';
}

function parseJson(lines: string[]): unknown {
  try {
    return JSON.parse(lines.join('\n')) as unknown;
  } catch {
    return undefined;
  }
}

const tmp = useTmpDir('readme');
let shimDir: string;

beforeAll(() => {
  shimDir = tmp.path('bin');
  fs.mkdirSync(shimDir);
  const shim = path.join(shimDir, 'infoblock');
  fs.writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  fs.chmodSync(shim, 0o755);
});

/** A fresh directory for one README block, set up as a checkout's user would have it. */
function freshDir(line: number): string {
  const dir = tmp.path(`block-${line}`);
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'samples'), path.join(dir, 'samples'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'scripts/expand-sample.js'), path.join(dir, 'scripts/expand-sample.js'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'nd-infoblock'), 'dir');
  fs.mkdirSync(path.join(dir, 'home'));
  return dir;
}

function runStep(command: string, cwd: string): { status: number | null; lines: string[] } {
  const env = {
    PATH: `${shimDir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    HOME: path.join(cwd, 'home'),
    LANG: 'C.UTF-8',
    TZ: 'UTC',
  };
  const r = spawnSync('bash', ['-c', `exec 2>&1\n${command}`], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 180_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { status: r.status, lines };
}

describe('the README parser', () => {
  test('finds the shell examples (prompted and bare) with their outputs and exit codes', () => {
    const steps = EXAMPLES.flatMap((e) => e.steps);
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(12);
    expect(steps.length).toBeGreaterThanOrEqual(40);
    const read = steps.find((s) => s.command === 'infoblock read samples/fsdax.head');
    expect(read?.output?.[0]).toBe(
      'samples/fsdax.head: fsdax info-block (NVDIMM_PFN_INFO) at 4096, version 1.4, checksum ok',
    );
    expect(steps.find((s) => s.command.startsWith('infoblock reed'))?.exit).toBe(2);
    expect(steps.find((s) => s.command.startsWith('infoblock labels write'))?.command).toMatch(
      /--label-size 128K --namespace uuid=\S+ --namespace uuid=/,
    );
    expect(steps.find((s) => s.command.startsWith('infoblock corpus --out corp'))?.exit).toBe(0);
  });

  test('reads markers, elisions and implied exits', () => {
    const [ex] = readmeExamples(
      [
        '```',
        '$ a',
        'x: REFUSED by linux-6.1 as fsdax',
        '$ b \\',
        '    --c',
        '  ... (same)',
        'done',
        '(exit 3)',
        '',
        '$ d',
        '```',
      ].join('\n'),
    );
    expect(ex?.steps).toEqual([
      { line: 2, command: 'a', output: ['x: REFUSED by linux-6.1 as fsdax'], exit: 1 },
      { line: 4, command: 'b --c', output: ['  ... (same)', 'done'], exit: 3 },
      { line: 10, command: 'd', output: null, exit: 0 },
    ]);
    expect(matches(['a', '  ... (x)', 'z'], ['a', 'b', 'c', 'z'])).toBe(true);
    expect(matches(['a', 'z'], ['a', 'b', 'z'])).toBe(false);
  });

  test('every SKIPPED entry still matches a README command', () => {
    const commands = EXAMPLES.flatMap((e) => e.steps.map((s) => s.command));
    expect(SKIPPED.filter((s) => !commands.some((c) => s.match.test(c))).map((s) => String(s.match))).toEqual([]);
  });
});

describe.each(EXAMPLES.map((e) => [e.line, e] as const))('README example at line %d', (_line, example) => {
  let dir: string;
  beforeAll(() => {
    dir = freshDir(example.line);
  });
  const named = example.steps.map((s) => s.command).join('\n');

  for (const step of example.steps) {
    const title = `line ${step.line}: ${step.command}`;
    const reason = skipOf(step.command);
    if (reason !== undefined) {
      testIf(false, reason)(title, () => undefined);
      continue;
    }
    test(
      title,
      () => {
        const r = runStep(step.command, dir);
        const got = { line: step.line, command: step.command, exit: r.status };
        if (r.status !== step.exit) {
          // The output explains a wrong exit best: show both.
          expect({ ...got, output: r.lines }).toEqual({ ...got, exit: step.exit, output: step.output ?? r.lines });
        }
        if (step.output === null) return;
        const want = normalized(step.output, named, dir);
        const actual = normalized(r.lines, named, dir);
        const json = /^[[{]/.test(want[0] ?? '') ? parseJson(want) : undefined;
        if (json !== undefined) {
          expect({ ...got, shape: shape(parseJson(actual)) }).toEqual({ ...got, shape: shape(json) });
        } else if (!matches(want, actual)) {
          expect({ ...got, output: actual }).toEqual({ ...got, output: want });
        }
      },
      200_000,
    );
  }
});
