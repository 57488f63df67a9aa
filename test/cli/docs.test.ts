// The man page, the completions and the README's exit-status table are
// generated from the command definitions (npm run gen:cli-docs): the
// committed files must match what the program defines now, and they must
// work (roff renders cleanly, bash completes, zsh parses).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildProgram, packageVersion, COMMAND_NAMES } from '../../src/cli/index';
import { bashCompletion, exitStatusTable, manPage, zshCompletion } from '../../src/cli/docs';
import { EXIT_STATUS } from '../../src/cli/exit-status';
import { useTmpDir } from '../support/tmp';
import { testIf } from '../support/skip';

const root = path.join(__dirname, '../..');
const program = buildProgram({ stdout: () => undefined, stderr: () => undefined });
const committed = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
const tmp = useTmpDir('docs');
const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('generated files match the current command definitions (run npm run gen:cli-docs)', () => {
  test.each([
    ['docs/infoblock.1', (): string => manPage(program, packageVersion())],
    ['completions/infoblock.bash', (): string => bashCompletion(program)],
    ['completions/_infoblock', (): string => zshCompletion(program)],
  ])('%s', (rel, render) => {
    expect(committed(rel)).toBe(render());
  });

  test("README's exit-status table", () => {
    const readme = committed('README.md');
    const m = /<!-- exit-status:start[^>]*-->\n([\s\S]*?)\n<!-- exit-status:end -->/.exec(readme);
    expect(m?.[1]).toBe(exitStatusTable(program));
  });

  test('every command has its exit status documented, and nothing else is', () => {
    expect(Object.keys(EXIT_STATUS).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(program.commands.map((c) => c.name()).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  test('every option of every command is in the man page and both completions', () => {
    const man = committed('docs/infoblock.1');
    const missing: string[] = [];
    for (const c of program.commands) {
      for (const o of c.options) {
        const long = o.long ?? '';
        if (!man.includes(long.replace(/-/g, '\\-'))) missing.push(`man: ${c.name()} ${long}`);
        const bashWords = committed('completions/infoblock.bash').split(/[\s"]+/);
        if (!bashWords.includes(long)) missing.push(`bash: ${c.name()} ${long}`);
        if (!committed('completions/_infoblock').includes(long)) missing.push(`zsh: ${c.name()} ${long}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the generated files work', () => {
  const groffOk = have('groff');
  testIf(groffOk, 'groff is not installed')('the man page renders without a groff warning', () => {
    const r = spawnSync('groff', ['-ww', '-z', '-man', path.join(root, 'docs/infoblock.1')], { encoding: 'utf8' });
    expect({ status: r.status, warnings: r.stderr }).toEqual({ status: 0, warnings: '' });
  });

  /** What the bash completion offers for the words typed so far (the last one being completed). */
  function complete(words: string[]): string[] {
    const script =
      `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _infoblock; printf '%s\\n' ` +
      `"\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script, 'bash', path.join(root, 'completions/infoblock.bash'), ...words], {
      cwd: path.join(root, 'samples'),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  test.each([
    [
      ['infoblock', 're'],
      ['read', 'recover', 'restore'],
    ],
    [['infoblock', 'kern'], ['kernel-check']],
    [['infoblock', '--ver'], ['--version']],
    [['infoblock', 'read', '--j'], ['--json']],
    [
      ['infoblock', 'read', '-j', '--ve'],
      ['--verify', '--verbose'],
    ],
    [['infoblock', 'corpus', '--ma'], ['--manifest']],
    [['infoblock', 'write', '--mode', ''], []],
    [['infoblock', 'help', 'mi'], ['migrate']],
    [['infoblock', 'read', 'fsdax.h'], ['fsdax.head']],
    [['infoblock', 'read', '-i', 'devdax'], ['devdax.head']],
  ])('bash: %j offers %j', (words, want) => {
    expect(complete(words).sort()).toEqual([...want].sort());
  });

  const zshOk = have('zsh') || process.env.CI === 'true';
  testIf(zshOk, 'zsh is not installed (CI installs it)')('zsh parses the completion function', () => {
    const r = spawnSync('zsh', ['-n', path.join(root, 'completions/_infoblock')], { encoding: 'utf8' });
    expect({ status: r.status, err: r.stderr }).toEqual({ status: 0, err: '' });
  });

  /** What zsh's completion system offers (test/support/zsh-complete.zsh drives an interactive zsh). */
  let completions = 0;
  function zshComplete(line: string): string[] {
    const out = tmp.path(`zsh-hits-${completions++}`);
    const driver = path.join(root, 'test/support/zsh-complete.zsh');
    const r = spawnSync('zsh', ['-f', driver, path.join(root, 'completions'), out, line], {
      cwd: path.join(root, 'samples'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    const hits = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n') : [];
    if (r.status !== 0) throw new Error(`zsh driver failed (${r.status}): ${r.stderr}`);
    return [...new Set(hits.filter((l) => l !== ''))].sort();
  }

  testIf(zshOk, 'zsh is not installed (CI installs it)').each([
    ['infoblock re', ['read', 'recover', 'restore']],
    ['infoblock read --ve', ['--verbose', '--verify']],
    ['infoblock corpus --ma', ['--manifest']],
    ['infoblock read -i x -i fsd', ['fsdax-map-mem.head', 'fsdax.head']],
  ])('zsh: %j offers %j', (line, want) => {
    expect(zshComplete(line)).toEqual(want);
  });
});
