// Items 5 and 10: `read` takes only the 8 KiB head it needs from standard
// input (endless or huge inputs end at once, in little memory), and a
// failed write to standard output is reported (exit 2, what failed) with no
// success line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FAULT_CLI, CLI, cli, legacyBlock, ran, smallImage, wordsOnly } from '../support/adversarial';
import { headWithBlock } from '../../src/index';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('stdio');
let dir: string;
beforeAll(() => {
  dir = tmp.dir;
});

const RSS_LIMIT_KIB = 200 * 1024;
const rssOf = (stderr: string): number => Number(/maxrss (\d+)/.exec(stderr)?.[1]);
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** `read ARGS` of the test entry (which reports its peak RSS) behind a shell pipeline or redirection. */
function readVia(shellInput: string, args: string[] = []): ReturnType<typeof ran> {
  const cmd = `${shellInput} ${q(process.execPath)} ${q(FAULT_CLI)} '{"rss":true}' read ${args.map(q).join(' ')}`;
  return ran(spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' }));
}

test.each([
  ['redirected from /dev/zero (endless, seekable)', '< /dev/zero'],
  ['piped from cat /dev/zero (endless pipe)', 'cat /dev/zero |'],
  ['piped from yes (endless pipe)', 'yes |'],
])('stdin %s: ends at once with the head decoded, small RSS', (_n, input) => {
  const t0 = Date.now();
  const r = readVia(input);
  expect(r.signal).toBeNull();
  expect(Date.now() - t0).toBeLessThan(20000);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('no info-block found\n');
  expect(r.errLines[0]).toBe('read 1 infoblock');
  expect(rssOf(r.stderr)).toBeLessThan(RSS_LIMIT_KIB);
});

test('a 1 GiB image on stdin (file and pipe): the head is read, memory stays small', () => {
  const big = path.join(dir, 'big.img');
  smallImage(big);
  fs.truncateSync(big, 1 << 30);
  for (const input of [`< ${q(big)}`, `cat ${q(big)} |`]) {
    const r = readVia(input, ['-j']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/NVDIMM_PFN_INFO/);
    expect(rssOf(r.stderr)).toBeLessThan(RSS_LIMIT_KIB);
  }
}, 30000);

test('--offset on stdin: exact on a file (positioned) and on a pipe (skipped), refused past the end', () => {
  const img = path.join(dir, 'off.img');
  const at = 3 * 1024 * 1024 + 4096;
  const buf = Buffer.alloc(at + 8192 + 100, 0x5a);
  buf.set(headWithBlock(legacyBlock()), at);
  fs.writeFileSync(img, buf);
  for (const input of [`< ${q(img)}`, `cat ${q(img)} |`]) {
    const r = readVia(input, ['-j', '--offset', String(at)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/NVDIMM_PFN_INFO/);
    const past = readVia(input, ['--offset', String(at + 200)]);
    expect(past.status).toBe(2);
    expect(past.errLines[0]).toMatch(
      /^infoblock: standard input is too short: need 8192 bytes at offset \d+, got 8092$/,
    );
  }
});

test.each([
  ['write -c -s 1G', ['write', '-c', '-s', '1G'], /wrote 1 infoblock/],
  ['read -j FILE', ['read', '-j', '@IMG'], /read 1 infoblock/],
  ['read FILE', ['read', '@IMG'], /read 1 infoblock/],
])('%s > /dev/full: exit 2, says standard output failed, no success line', (_n, argv, success) => {
  const img = path.join(dir, 'full.img');
  smallImage(img);
  const out = fs.openSync('/dev/full', 'w');
  const r = cli(
    argv.map((a) => (a === '@IMG' ? img : a)),
    { stdio: ['ignore', out, 'pipe'] },
  );
  fs.closeSync(out);
  expect(r.status).toBe(2);
  expect(r.errLines).toHaveLength(1);
  expect(r.errLines[0]).toMatch(
    /^infoblock: cannot write to standard output: no space left on the device \(0 of \d+ bytes written\); the output is incomplete$/,
  );
  expect(r.stderr).not.toMatch(success);
  expect(wordsOnly(r.stderr)).toBe(true);
});

test('stdout closed early (| head -c 1): quiet exit 0, no error line', () => {
  const img = path.join(dir, 'pipe.img');
  smallImage(img);
  const files = Array.from({ length: 400 }, () => q(img)).join(' ');
  const r = ran(
    spawnSync(
      'bash',
      ['-c', `set -o pipefail; ${q(process.execPath)} ${q(CLI)} read ${files} | head -c 1 >/dev/null`],
      { encoding: 'utf8', timeout: 30000 },
    ),
  );
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/infoblock: /);
}, 30000);

test("read --offset '' is refused, not taken as 0", () => {
  const r = cli(['read', '--offset', '']);
  expect(r.status).toBe(2);
  expect(r.errLines[0]).toBe("infoblock: failed to parse offset '': empty (give a number, e.g. 0 or 1M)");
});
