// Structured hints become flags and pasteable commands (src/cli/hints.ts),
// and runCli's one failure path (src/cli/index.ts) puts them on the stderr
// line and, under --json, into the error document. The end-to-end part uses
// a stand-in `recover` command (jest.mock) that throws whatever error a test
// names, so the central machinery is exercised with hints no command throws
// yet.
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import fc from 'fast-check';
import { commandLine, flagOf, flagsOf, hintText, shellWord } from '../../src/cli/hints';
import { runCli } from '../../src/cli/index';
import { InfoblockError, type Hint } from '../../src/format/errors';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';

/** What the stand-in command throws, by the name given to its --throw option. */
const mockThrown: Record<string, () => unknown> = {
  pass: () =>
    new InfoblockError('precondition', 'the namespace base is needed', { hint: { pass: { nsBase: '<ADDR>' } } }),
  run: () =>
    new InfoblockError('hazard', 'linux-6.1 would refuse the result', {
      hint: { run: { operation: 'migrate', params: { from: 'map', to: 'legacy', force: true } } },
    }),
  both: () =>
    new InfoblockError('ambiguous', 'the evidence contradicts version 1.4', {
      hint: { pass: { from: 'map' }, run: { operation: 'scan', params: {} } },
    }),
  empty: () => new InfoblockError('io', 'no hint to give', { hint: {} }),
  multiline: () => new InfoblockError('invalid-field', 'first line\nsecond line'),
  internal: () => new TypeError('boom'),
};

jest.mock('../../src/cli/recover', () => ({
  registerRecover: (program: Command): void => {
    program
      .command('recover')
      .argument('<TARGET>')
      .option('--json', 'JSON')
      .option('--offset <BYTES>', 'offset')
      .option('--ns-base <ADDR>', 'base')
      .option('--ns-size <BYTES>', 'size')
      .option('--mode <MODE>', 'not carried')
      .requiredOption('--throw <NAME>', 'what to throw')
      .action((_target: string, opts: { throw: string }) => {
        const make = mockThrown[opts.throw];
        if (make === undefined) throw new Error(`no such error ${opts.throw}`);
        throw make();
      });
  },
}));

describe('flagOf', () => {
  test.each([
    ['nsBase', '--ns-base'],
    ['from', '--from'],
    ['guardKernel', '--guard-kernel'],
    ['parentUuid', '--parent-uuid'],
    ['dryRun', '--dry-run'],
  ])('%s -> %s', (param, flag) => {
    expect(flagOf(param)).toBe(flag);
  });
});

describe('shellWord', () => {
  test.each([
    ['ns.img', 'ns.img'],
    ['/dev/pmem0', '/dev/pmem0'],
    ['0x100100000', '0x100100000'],
    ['a,b=c:d@e%f+g', 'a,b=c:d@e%f+g'],
    ['<ADDR>', '<ADDR>'], // a placeholder the reader replaces: bare
    ['<NS_SIZE>', '<NS_SIZE>'],
    ['my ns.img', "'my ns.img'"],
    ["it's", `'it'\\''s'`],
    ['$HOME/x', "'$HOME/x'"],
    ['a\nb', "$'a\\x0ab'"],
    ['`id`', "'`id`'"],
    ['*.img', "'*.img'"],
    ['', "''"],
    ['-', '-'],
    ['<addr>', "'<addr>'"], // not a placeholder: lower case
    ['x<ADDR>', "'x<ADDR>'"],
    ['ünï.img', "'ünï.img'"],
  ])('%j -> %s', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
  });

  /** What bash makes of `printf %s WORD`: the one argument the word became. */
  const throughBash = (word: string): string =>
    spawnSync('bash', ['-c', `printf %s ${word}`], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } })
      .stdout;

  test('bash reads every quoted word back as the string it came from (100 random paths)', () => {
    const special = fc.constantFrom(...` '"$\`\\\n\t!*?[]{}~#&;|<>()%@=:,.-_/é\u00a0`.split(''));
    const unit = fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
    const path = fc.string({ unit, maxLength: 24 }).filter((s) => !s.includes('\0') && !/^<[A-Z_]+>$/.test(s)); // placeholders stay bare on purpose
    // One bash for all 100 words (a process per word cost most of this suite's time): it prints each
    // argument it got, NUL-terminated, and must get back exactly the words, in order.
    const words = fc.sample(path, { numRuns: 100, seed: 12 });
    const out = spawnSync('bash', ['-c', `printf '%s\\0' ${words.map(shellWord).join(' ')}`], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    }).stdout;
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });

  test('the round trip can fail: a bare word with a space or a $ is not read back', () => {
    expect(throughBash('my ns.img')).not.toBe('my ns.img');
    expect(throughBash('$HOME')).not.toBe('$HOME');
  });
});

describe('flagsOf, commandLine, hintText', () => {
  test('flags in the order given, switches bare, values quoted when needed', () => {
    expect(flagsOf({ from: 'map', force: true, backup: 'a b' })).toBe("--from map --force --backup 'a b'");
    expect(flagsOf({})).toBe('');
  });

  test('a command carries the target and the placement options, then the hint parameters', () => {
    expect(
      commandLine(
        'migrate',
        { from: 'map', to: 'legacy' },
        { target: 'my ns.img', carry: { offset: '0x1000', nsBase: '0x100100000' } },
      ),
    ).toBe("infoblock migrate 'my ns.img' --offset 0x1000 --ns-base 0x100100000 --from map --to legacy");
  });

  test("the hint's own value wins over a carried one", () => {
    expect(commandLine('migrate', { nsBase: '<ADDR>' }, { target: 'ns.img', carry: { nsBase: '0x0' } })).toBe(
      'infoblock migrate ns.img --ns-base <ADDR>',
    );
  });

  test('no target, no parameters: just the operation', () => {
    expect(commandLine('scan', {})).toBe('infoblock scan');
  });

  test.each<[string, Hint, string]>([
    ['pass', { pass: { nsBase: '<ADDR>' } }, 'pass --ns-base <ADDR>'],
    ['run', { run: { operation: 'restore', params: { force: true } } }, 'run: infoblock restore ns.img --force'],
    [
      'both',
      { pass: { from: 'map' }, run: { operation: 'scan', params: {} } },
      'pass --from map; run: infoblock scan ns.img',
    ],
    ['an empty pass', { pass: {} }, ''],
  ])('hintText: %s', (_name, hint, text) => {
    expect(hintText(hint, { target: 'ns.img' })).toBe(text);
  });
});

interface ErrorDoc {
  schema: string;
  error: { code: string; message: string; exit_code: number; hint?: unknown };
}

describe('runCli: a hinted failure on the stderr line and in the error document', () => {
  test('pass: the flag with its placeholder', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'pass', '--json']);
    expect({ code: r.code, err: r.errLines }).toEqual({
      code: 2,
      err: ['infoblock: the namespace base is needed; pass --ns-base <ADDR>'],
    });
    const doc = json(r) as ErrorDoc;
    expectSchema('error', doc);
    expect(doc.error).toEqual({
      code: 'precondition',
      message: 'the namespace base is needed; pass --ns-base <ADDR>',
      exit_code: 2,
      hint: { pass: { ns_base: '<ADDR>' } },
    });
  });

  test('run: a whole command with the target (quoted) and the placement options from the command line', async () => {
    const argv = ['recover', 'my ns.img', '--offset', '0x1000', '--ns-base', '0x100100000', '--mode', 'devdax'];
    const r = await run([...argv, '--throw', 'run', '--json']);
    const line =
      "linux-6.1 would refuse the result; run: infoblock migrate 'my ns.img' --offset 0x1000 --ns-base 0x100100000 " +
      '--from map --to legacy --force';
    expect({ code: r.code, err: r.errLines }).toEqual({ code: 2, err: [`infoblock: ${line}`] });
    const doc = json(r) as ErrorDoc;
    expectSchema('error', doc);
    expect(doc.error).toEqual({
      code: 'hazard',
      message: line,
      exit_code: 2,
      hint: { run: { operation: 'migrate', params: { from: 'map', to: 'legacy', force: true } } },
    });
  });

  test('the suggested command runs as pasted: bash splits it into the words runCli would get', () => {
    const cmd = commandLine('migrate', { from: 'map' }, { target: "it's $x.img", carry: { nsBase: '0x100100000' } });
    const r = spawnSync('bash', ['-c', `printf '%s\\n' ${cmd}`], { encoding: 'utf8' });
    expect(r.stdout.split('\n').slice(0, -1)).toEqual([
      'infoblock',
      'migrate',
      "it's $x.img",
      '--ns-base',
      '0x100100000',
      '--from',
      'map',
    ]);
  });

  test('both: pass and run on the one line', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'both']);
    expect(r.errLines).toEqual([
      'infoblock: the evidence contradicts version 1.4; pass --from map; run: infoblock scan ns.img',
    ]);
    expect(r.out).toBe('');
  });

  test('an empty hint adds nothing; the document carries it as it is', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'empty', '--json']);
    expect(r.errLines).toEqual(['infoblock: no hint to give']);
    const doc = json(r) as ErrorDoc;
    expectSchema('error', doc);
    expect(doc.error).toEqual({ code: 'io', message: 'no hint to give', exit_code: 2, hint: {} });
  });

  test('a message of several lines is cut to its first, on both', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'multiline', '--json']);
    expect(r.errLines).toEqual(['infoblock: first line']);
    expect((json(r) as ErrorDoc).error).toEqual({ code: 'invalid-field', message: 'first line', exit_code: 2 });
  });

  test('an internal error: exit 3, code internal, the same words', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'internal', '--json']);
    expect({ code: r.code, err: r.errLines }).toEqual({ code: 3, err: ['infoblock: internal error: boom'] });
    const doc = json(r) as ErrorDoc;
    expectSchema('error', doc);
    expect(doc.error).toEqual({ code: 'internal', message: 'internal error: boom', exit_code: 3 });
  });

  test('stdout gone while the document is written: the stderr line stands alone, the exit code is kept', async () => {
    let stderr = '';
    const code = await runCli(['recover', 'ns.img', '--throw', 'pass', '--json'], {
      stdout: () => {
        throw new Error('EPIPE');
      },
      stderr: (s) => void (stderr += s),
    });
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: 'infoblock: the namespace base is needed; pass --ns-base <ADDR>\n',
    });
  });

  test('without --json, nothing on stdout', async () => {
    const r = await run(['recover', 'ns.img', '--throw', 'run']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });
});
