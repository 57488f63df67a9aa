// Issue #18: a torn block is always reported as torn, with the restore
// command, by every command that reads it: check (text, --kernels, --json),
// explain (text, --json), scan (text, --json) and read say `TORN: …; run: infoblock restore …`
// first. A migrate cut 128 bytes into its 4 KiB write leaves the torn mix and
// the backup record that proves it (the way torn.slow.test.ts tears recover).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { migrateArgs, smallImage, BASE, NS_SIZE } from '../support/adversarial';
import type { Faults } from '../../src/io/faults';

const tmp = useTmpDir('torn-readers');

const cutAfter = (bytes: number): Faults => ({
  at: (step) => {
    if (step === 'mid-write') throw new Error('power cut');
  },
  tear: () => bytes,
});

const TORN_LINE =
  /^TORN: the info-block at 0x1000 is torn: it fails its checksum and a backup exists, '.*\.infoblock-backup', that shows an earlier write of it was interrupted; that backup holds the only copy of the original: restore it; run: infoblock restore .*torn\.img/;

const ns = ['--ns-base', `0x${BASE.toString(16)}`, '--ns-size', String(NS_SIZE)];
let torn: string;
let whole: string;

beforeAll(async () => {
  torn = path.join(tmp.dir, 'torn.img');
  whole = path.join(tmp.dir, 'whole.img');
  const original = smallImage(torn);
  smallImage(whole);
  const cut = await run(['migrate', torn, ...migrateArgs()], undefined, { faults: cutAfter(128) });
  expect(cut.code).not.toBe(0);
  const now = fs.readFileSync(torn);
  // Torn: neither the original block nor a whole new one, and the backup is there.
  expect(now.subarray(4096, 8192).equals(original.subarray(4096, 8192))).toBe(false);
  expect(now.subarray(4096 + 128, 8192).equals(original.subarray(4096 + 128, 8192))).toBe(true);
  expect(fs.existsSync(`${torn}.infoblock-backup`)).toBe(true);
});

// scan takes no namespace placement: it reads the whole image (the namespace at --offset, default 0).
const scanNs = ['--ns-base', `0x${BASE.toString(16)}`];

test.each([
  ['check', 1, ['check'], ns],
  ['check --kernels', 1, ['check', '--kernels', '6.1,7.2'], ns],
  ['explain', 0, ['explain'], ns],
  ['scan', 0, ['scan'], scanNs],
])('%s says TORN first, with the restore command (exit %i)', async (_name, code, cmd, place) => {
  const r = await run([...cmd, torn, ...place]);
  expect(r.out.split('\n')[0]).toMatch(TORN_LINE);
  expect(r.code).toBe(code);
  const clean = await run([...cmd, whole, ...place]);
  expect(clean.out).not.toMatch(/TORN/);
});

test('scan: the findings still follow the TORN line (the image is scanned as before)', async () => {
  const r = await run(['scan', torn, ...scanNs]);
  const clean = await run(['scan', whole, ...scanNs]);
  const lines = r.out.split('\n');
  expect(lines[1]).toMatch(/^'?.*torn\.img'?: scanned 0x0\.\./);
  expect(lines.length).toBe(clean.out.split('\n').length + 1);
});

test.each([
  ['check', ns],
  ['explain', ns],
  ['scan', scanNs],
])('%s --json: torn true and the backup path; false on a whole block', async (cmd, place) => {
  const r = await run([cmd, torn, ...place, '--json']);
  const doc = JSON.parse(r.out) as Record<string, unknown>;
  expect(doc['torn']).toBe(true);
  expect(doc['torn_backup']).toBe(`${torn}.infoblock-backup`);
  const clean = JSON.parse((await run([cmd, whole, ...place, '--json'])).out) as Record<string, unknown>;
  expect(clean['torn']).toBe(false);
  expect('torn_backup' in clean).toBe(false);
});

test('read says TORN first on stderr (stdout stays ndctl JSON), exit 0 as for any damaged block', async () => {
  const r = await run(['read', '--json', torn]);
  expect(r.errLines[0]).toMatch(TORN_LINE);
  expect(r.code).toBe(0);
  expect(() => JSON.parse(r.out) as unknown).not.toThrow();
  const clean = await run(['read', '--json', whole]);
  expect(clean.stderr).not.toMatch(/TORN/);
});

test('the restore command check prints puts the original back', async () => {
  const r = await run(['check', torn, ...ns]);
  const cmd = /run: infoblock (restore .*)$/.exec(r.out.split('\n')[0] ?? '')?.[1] ?? '';
  expect(cmd).toMatch(/^restore /);
  const restored = await run(cmd.split(' ').map((a) => a.replace(/^'(.*)'$/, '$1')));
  expect(restored.code).toBe(0);
  const after = await run(['check', torn, ...ns]);
  expect(after.out).not.toMatch(/TORN/);
});
