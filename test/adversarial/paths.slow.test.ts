// Item 1 (and the path half of item 11): any name the OS allows works for
// migrate, restore and torn-block recovery: non-ASCII directories and files,
// newlines and quotes, and names that are not UTF-8 (Buffer paths through
// the library). Messages stay one line with the name escaped.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as CRC32 from 'crc-32';
import { decodeBackup, migrateTarget, restoreTarget } from '../../src/index';
import type { Faults } from '../../src/io/faults';
import { pathText } from '../../src/io/path';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { BASE, CLI, NS_SIZE, legacyBlock, mapBlockOf, migrateArgs, smallImage } from '../support/adversarial';

const tmp = useTmpDir('paths');
let root: string;
beforeAll(() => {
  root = tmp.dir;
});

/** Run a suggested command line as a user pastes it into bash (`infoblock` being the built CLI). */
function pasted(line: string): { status: number | null; stderr: string } {
  const r = spawnSync('bash', ['-c', `infoblock() { "${process.execPath}" "${CLI}" "$@"; }\n${line}`], {
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

/** A crash in the middle of the block write: `bytes` of it land, then the process "dies" (throws). */
const tearAt = (bytes: number): Faults => ({
  tear: () => bytes,
  at: (step) => {
    if (step === 'mid-write') throw new Error('simulated crash in mid-write');
  },
});

const NAMES: [string, string, string][] = [
  ['non-ASCII directory and file', 'répertoire ☃ 日本', 'ñämé.img'],
  ['newline and quote in the name', 'dir\nwith newline', "it's\nan image.img"],
  ['tab, backslash, spaces', 'a\tb\\c', '  lead and trail  .img'],
];

describe.each(NAMES)('%s', (_label, dirName, fileName) => {
  test('CLI: migrate, restore; the image comes back byte for byte', async () => {
    const dir = path.join(root, `${dirName}-${Math.random().toString(36).slice(2)}`);
    fs.mkdirSync(dir);
    const img = path.join(dir, fileName);
    const original = smallImage(img);
    const m = await run(['migrate', img, ...migrateArgs()]);
    expect(m.errLines).toEqual([]);
    expect(m.code).toBe(0);
    expect(fs.existsSync(`${img}.infoblock-backup`)).toBe(true);
    expect(Buffer.from(decodeBackup(fs.readFileSync(`${img}.infoblock-backup`)).target.path).toString('utf8')).toBe(
      fs.realpathSync(img),
    );
    const r = await run(['restore', img]);
    expect(r.errLines).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });

  test('torn block: the rerun points at restore on one line; restore repairs it', async () => {
    const dir = path.join(root, `${dirName}-${Math.random().toString(36).slice(2)}`);
    fs.mkdirSync(dir);
    const img = path.join(dir, fileName);
    const original = smallImage(img);
    expect(() =>
      migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map', faults: tearAt(1500) }),
    ).toThrow(/simulated crash/);
    const torn = fs.readFileSync(img);
    expect(torn.equals(original)).toBe(false);
    const again = await run(['migrate', img, ...migrateArgs()]);
    expect(again.code).toBe(1);
    expect(again.errLines).toHaveLength(1);
    expect(again.errLines[0]).toMatch(/fails its checksum and a backup exists/);
    expect(fs.readFileSync(img).equals(torn)).toBe(true);
    // The hint is a command that works when pasted, whatever the name holds.
    const line = /; run: (infoblock restore .*)$/.exec(again.errLines[0] ?? '')?.[1];
    expect(line).toBeDefined();
    const r = pasted(line ?? '');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });
});

test('a name with a newline: the error message is one line with the newline escaped', async () => {
  const missing = path.join(root, 'no\nsuch.img');
  const r = await run(['migrate', missing, ...migrateArgs()]);
  expect(r.code).toBe(2);
  expect(r.errLines).toHaveLength(1);
  expect(r.errLines[0]).toContain("no\\nsuch.img'");
  expect(r.errLines[0]).toMatch(/no such file or directory/);
});

describe('names that are not UTF-8 (Buffer paths, library)', () => {
  const bytesDir = (): Buffer => Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x64, 0xff, 0xfe, 0x0a, 0x80])]);

  test('migrateTarget / restoreTarget, and torn-block recovery', () => {
    const dir = bytesDir();
    fs.mkdirSync(dir);
    const img = Buffer.concat([dir, Buffer.from('/'), Buffer.from([0xc3, 0x28, 0x0a, 0xe9]), Buffer.from('.img')]);
    const original = smallImage(img);
    const r = migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
    expect(r.written).toBe(true);
    expect(Buffer.isBuffer(r.backupPath)).toBe(true);
    const record = decodeBackup(fs.readFileSync(r.backupPath as Buffer));
    expect(Buffer.from(record.target.path).equals(fs.realpathSync.native(img, { encoding: 'buffer' }))).toBe(true);
    const intended = Buffer.from(original);
    intended.set(mapBlockOf(legacyBlock()), 4096);
    expect(fs.readFileSync(img).equals(intended)).toBe(true);
    expect(restoreTarget({ target: img }).status).toBe('restored');
    expect(fs.readFileSync(img).equals(original)).toBe(true);

    fs.unlinkSync(r.backupPath as Buffer);
    expect(() =>
      migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map', faults: tearAt(3000) }),
    ).toThrow(/simulated crash/);
    const backup = Buffer.concat([img, Buffer.from('.infoblock-backup')]);
    expect(() => migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' })).toThrow(
      expect.objectContaining({
        code: 'precondition',
        message: expect.stringMatching(/fails its checksum and a backup exists.*\\xff\\xfe\\n\\x80/),
        hint: { run: { operation: 'restore', params: { backup: pathText(backup) } } },
      }),
    );
    expect(restoreTarget({ target: img }).status).toBe('restored');
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });

  test('a plain Uint8Array path (the public FilePath, not a Buffer) works like a Buffer one', () => {
    const dir = Buffer.concat([bytesDir(), Buffer.from('-u8')]);
    fs.mkdirSync(dir);
    const img = Buffer.concat([dir, Buffer.from('/'), Buffer.from([0xe9, 0x0a, 0xff]), Buffer.from('.img')]);
    const original = smallImage(img);
    const target = new Uint8Array(img);
    expect(Buffer.isBuffer(target)).toBe(false);
    const r = migrateTarget({ target, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
    expect(r.written).toBe(true);
    expect(Buffer.from(r.backupPath as Uint8Array).equals(Buffer.concat([img, Buffer.from('.infoblock-backup')]))).toBe(
      true,
    );
    const intended = Buffer.from(original);
    intended.set(mapBlockOf(legacyBlock()), 4096);
    expect(fs.readFileSync(img).equals(intended)).toBe(true);
    expect(restoreTarget({ target }).status).toBe('restored');
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  });
});

test('a backup written by the earlier version for a non-ASCII path (CRC over the UTF-8 text) is restorable', () => {
  const dir = path.join(root, 'ancien répertoire');
  fs.mkdirSync(dir);
  const img = path.join(dir, 'café.img');
  const original = smallImage(img);
  const intendedBlock = mapBlockOf(legacyBlock());
  const st = fs.statSync(img, { bigint: true });
  // The earlier writer's exact format: no path_base64, no intended bytes; CRC-32 of the JS string (UTF-8).
  const header = JSON.stringify({
    format: 'nd-infoblock-backup',
    version: 1,
    target: { path: fs.realpathSync(img), size: st.size.toString(), dev: st.dev.toString(), ino: st.ino.toString() },
    offset: '0',
    ns_base: BASE.toString(),
    ns_size: NS_SIZE.toString(),
    created: '2026-01-01T00:00:00.000Z',
    from: 'legacy',
    to: 'map',
    head_bytes: 8192,
    intended_crc32: (CRC32.buf(intendedBlock) >>> 0).toString(16).padStart(8, '0'),
  });
  const body = `${header}\n${original.subarray(0, 8192).toString('base64')}\n`;
  fs.writeFileSync(
    `${img}.infoblock-backup`,
    `${body}crc32 ${(CRC32.str(body) >>> 0).toString(16).padStart(8, '0')}\n`,
  );
  const migrated = Buffer.from(original);
  migrated.set(intendedBlock, 4096);
  fs.writeFileSync(img, migrated);
  expect(restoreTarget({ target: img }).status).toBe('restored');
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});
