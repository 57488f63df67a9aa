// Command-line habits: -V/--version from package.json, ndctl's -i/-o/-v on
// read, "did you mean" on one error line, usage on stderr when no command is
// given, binary refused on a terminal, corpus --manifest.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUuid } from '../../src/format/uuid';
import { describeWithNdctl, ndctlReadJson, runNdctl } from '../support/ndctl';
import { run } from '../support/run';
import { cli, CLI, ROOT } from '../support/spawn';
import { useTmpDir } from '../support/tmp';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const U = '11111111-2222-3333-4444-555555555555';
const tmp = useTmpDir('habits');
const p = (name: string): string => tmp.path(name);

beforeAll(async () => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  tmp.file('fsdax head', (await run(['write', '-c', '-s', '1G', '-u', U])).stdout);
  tmp.file('zeros', Buffer.alloc(8192));
}, 120_000);

describe('version', () => {
  test.each([[['-V']], [['--version']]])('%j prints the package.json version', async (argv) => {
    const r = await run(argv);
    expect({ code: r.code, out: r.out, err: r.stderr }).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
  });

  test("after a command, -V is that command's option (read --verify), not the version", async () => {
    const bad = Buffer.from(fs.readFileSync(p('fsdax head')));
    bad.writeUInt8(bad.readUInt8(4096 + 100) ^ 0xff, 4096 + 100); // checksum no longer matches
    const plain = await run(['read', '-j'], bad);
    const verified = await run(['read', '-j', '-V'], bad);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.out)).toHaveLength(1);
    expect({ code: verified.code, blocks: JSON.parse(verified.out) as unknown }).toEqual({ code: 0, blocks: [] });
  });
});

describe('suggestions on one error line', () => {
  test.each([
    [['reed', 'x'], "infoblock: unknown command 'reed' (did you mean read?)"],
    [['chek', 'x'], "infoblock: unknown command 'chek' (did you mean check?)"],
    [['kernelcheck'], "infoblock: unknown command 'kernelcheck' (did you mean kernel-check?)"],
    [['read', '--jsno', 'x'], "infoblock: unknown option '--jsno' (did you mean --json?)"],
    [['write', '-c', '-s', '1G', '--mdoe', 'devdax'], "infoblock: unknown option '--mdoe' (did you mean --mode?)"],
    [['corpus', '--out', 'x', '--seeds', '3'], "infoblock: unknown option '--seeds' (did you mean --seed?)"],
    [['frobnicate'], "infoblock: unknown command 'frobnicate'"],
  ])('%j', async (argv, line) => {
    const r = await run(argv);
    expect({ code: r.code, err: r.errLines, out: r.out }).toEqual({ code: 2, err: [line], out: '' });
  });
});

describe('usage on stderr when no command is given', () => {
  test.each([[[]], [['help', 'nosuch']]])('%j: usage on stderr, exit 2, nothing on stdout', async (argv) => {
    const r = await run(argv);
    expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: '' });
    expect(r.stderr).toMatch(/^Usage: infoblock \[options\] \[command\]/);
    expect(r.stderr).toContain('kernel-check');
  });

  test('asked-for help still goes to stdout with exit 0', async () => {
    const r = await run(['help', 'read']);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.out).toMatch(/^Usage: infoblock read/);
  });
});

describe("read: ndctl's -i, -o and -v", () => {
  test('-i FILE reads FILE (repeatable, before the FILE arguments)', async () => {
    const r = await run(['read', '-j', '-i', p('fsdax head'), '-i', p('zeros'), p('fsdax head')]);
    expect(r.code).toBe(0);
    const files = (JSON.parse(r.out) as { file: string }[]).map((b) => b.file);
    expect(files).toEqual([p('fsdax head'), p('fsdax head')]);
    expect(r.errLines).toEqual(['read 3 infoblocks']);
  });

  test('-o FILE receives what stdout would have, stdout stays empty', async () => {
    const out = p('out ünï.json');
    const direct = await run(['read', '-j', p('fsdax head')]);
    const r = await run(['read', '-j', '-o', out, p('fsdax head')]);
    expect({ code: r.code, stdout: r.out, err: r.errLines }).toEqual({
      code: 0,
      stdout: '',
      err: ['read 1 infoblock'],
    });
    expect(fs.readFileSync(out, 'utf8')).toBe(direct.out);
  });

  test('-o into a missing directory: one error line, the summary, exit 2', async () => {
    const r = await run(['read', '-j', '-o', p('no/such/dir/x.json'), p('fsdax head')]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([
      `infoblock: cannot write '${p('no/such/dir/x.json')}': no such file or directory; check the path`,
      'read 1 infoblock',
    ]);
  });

  test.each([
    ['the input itself', (f: string): string => f],
    ['a symlink to the input', (f: string): string => (fs.symlinkSync(f, p('link to input')), p('link to input'))],
  ])('-o onto %s: refused before anything is written, the input untouched', async (_name, target) => {
    const input = p('precious.head');
    fs.copyFileSync(p('fsdax head'), input);
    const out = target(input);
    const r = await run(['read', '-j', '-i', input, '-o', out]);
    expect({ code: r.code, err: r.errLines }).toEqual({
      code: 2,
      err: [`infoblock: refusing to overwrite input '${input}' with the output`],
    });
    expect(fs.readFileSync(input).equals(fs.readFileSync(p('fsdax head')))).toBe(true);
  });

  test('-o onto a block device: refused (text never lands on a disk)', async () => {
    // A node for a loop device that does not exist: were the guard missing, the open would fail, not write.
    const node = p('blockdev');
    const made = spawnSync('mknod', [node, 'b', '7', '250']);
    if (made.status !== 0) {
      process.stderr.write('habits.test: mknod not permitted here; block-device guard not exercised\n');
      if (process.env.CI === 'true') throw new Error('mknod must work under CI (root)');
      return;
    }
    const r = await run(['read', '-j', p('fsdax head'), '-o', node]);
    expect({ code: r.code, err: r.errLines }).toEqual({
      code: 2,
      err: [`infoblock: refusing to write text output to block device '${node}'`],
    });
  });

  test('-v names each block (and the ones --verify drops) on stderr; stdout unchanged', async () => {
    const plain = await run(['read', '-j', p('fsdax head'), p('zeros')]);
    const r = await run(['read', '-j', '-v', p('fsdax head'), p('zeros')]);
    expect(r.out).toBe(plain.out);
    expect(r.errLines).toEqual([
      `read: ${p('fsdax head')}: PFN info-block at 4096, checksum ok`,
      `read: ${p('zeros')}: no info-block`,
      'read 2 infoblocks',
    ]);
  });
});

describeWithNdctl('read -i/-o against ndctl read-infoblock', () => {
  test('-j -i FILE: stdout identical', async () => {
    const theirs = ndctlReadJson(p('fsdax head'), { json: true });
    const ours = await run(['read', '-j', '-i', p('fsdax head')]);
    expect(ours.out).toBe(theirs.stdout.toString('utf8'));
  });

  test('-j -o FILE: the written file identical', async () => {
    const nd = runNdctl(['read-infoblock', '-j', '-i', p('fsdax head'), '-o', p('ndctl.json')]);
    expect(nd.status).toBe(0);
    const ours = await run(['read', '-j', '-i', p('fsdax head'), '-o', p('ours.json')]);
    expect(ours.code).toBe(0);
    expect(fs.readFileSync(p('ours.json'), 'utf8')).toBe(fs.readFileSync(p('ndctl.json'), 'utf8'));
  });
});

/** Runs the built bin with stdout on a pseudo-terminal (python3's pty): what the terminal showed, and the status. */
function onTerminal(args: string[]): { status: number; screen: string } {
  const py = `import os, pty, sys
status = pty.spawn([${JSON.stringify(process.execPath)}, ${JSON.stringify(CLI)}, *sys.argv[1:]])
sys.exit(os.waitstatus_to_exitcode(status))`;
  const r = spawnSync('python3', ['-c', py, ...args], { cwd: tmp.dir, encoding: 'latin1' });
  return { status: r.status ?? -1, screen: r.stdout };
}

describe('binary output and terminals', () => {
  test('write -c on a terminal: refused, exit 2, no binary shown', () => {
    const r = onTerminal(['write', '-c', '-s', '1G']);
    expect(r.status).toBe(2);
    expect(r.screen.replace(/\r/g, '')).toBe('infoblock: refusing to write binary to a terminal; redirect or use -o\n');
  });

  test('text output on a terminal is shown as usual (the pty check is not vacuous)', () => {
    const r = onTerminal(['--version']);
    expect({ status: r.status, screen: r.screen.replace(/\r/g, '') }).toEqual({ status: 0, screen: `${VERSION}\n` });
  });

  test('write -c into a pipe still delivers 8192 bytes', () => {
    const r = cli(['write', '-c', '-s', '1G'], { cwd: tmp.dir, encoding: 'buffer' });
    expect({ status: r.status, bytes: r.stdoutBytes.length }).toEqual({ status: 0, bytes: 8192 });
  });

  test('in-process callers that capture stdout are not terminals unless they say so', async () => {
    const r = await run(['write', '-c', '-s', '1G']);
    expect({ code: r.code, bytes: r.stdout.length }).toEqual({ code: 0, bytes: 8192 });
  });
});

describe('corpus --manifest', () => {
  test('the manifest goes to PATH; its file column stays relative to --out', async () => {
    const out = p('corp');
    const manifest = p('rows.jsonl');
    const r = await run(['corpus', '--out', out, '--count', '5', '--seed', '3', '--manifest', manifest]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'manifest.jsonl'))).toBe(false);
    const rows = fs
      .readFileSync(manifest, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string });
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(fs.existsSync(path.join(out, row.file))).toBe(true);
  });
});

describe('randomUuid (crypto.randomUUID, no uuid package)', () => {
  test('canonical lower-case RFC 4122 version 4, never the same twice', () => {
    const ids = Array.from({ length: 64 }, () => randomUuid());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
