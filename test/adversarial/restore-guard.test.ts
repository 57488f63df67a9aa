// Item 3: restore replaces only a block that migrate (or another
// replaceInfoBlock caller) could have left: the one it wrote, the original,
// or a torn mix of the two. Anything else is refused (exit 1, nothing
// written) unless --force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePfnBlock, migrateTarget, recipeFields, restoreTarget } from '../../src/index';
import { run, looksLikeStack } from '../support/run';
import { BASE, NS_SIZE, UUID, migrateArgs, smallImage } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('restore');
let dir: string;
let n = 0;
beforeAll(() => {
  dir = tmp.dir;
});

function migrated(): { img: string; original: Buffer; after: Buffer } {
  const img = path.join(dir, `r${n++}.img`);
  const original = smallImage(img);
  expect(migrateTarget({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' }).written).toBe(true);
  return { img, original, after: fs.readFileSync(img) };
}

function overwriteBlock(img: string, block: Uint8Array): Buffer {
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, block, 0, 4096, 4096);
  fs.closeSync(fd);
  return fs.readFileSync(img);
}

const CHANGES: [string, (current: Buffer) => Uint8Array][] = [
  [
    'a new valid block (another size) written since',
    () => encodePfnBlock(recipeFields({ meaning: 'legacy', size: 2n * NS_SIZE, offset: BASE, uuid: UUID })),
  ],
  [
    'one byte of the migrated block changed',
    (c) => {
      const b = Uint8Array.from(c.subarray(4096, 8192));
      b[200] = (b[200] ?? 0) ^ 0xff;
      return b;
    },
  ],
  ['the block zeroed', () => new Uint8Array(4096)],
];

test.each(CHANGES)('%s: restore refuses (exit 1) and writes nothing; --force restores', async (_name, change) => {
  const { img, original, after } = migrated();
  const changed = overwriteBlock(img, change(after));
  const r = await run(['restore', img]);
  expect(r.code).toBe(1);
  expect(r.errLines).toHaveLength(1);
  expect(r.errLines[0]).toMatch(
    /^infoblock: the info-block at 0x1000 is neither the one written after this backup .* --force/,
  );
  expect(looksLikeStack(r.stderr)).toBe(false);
  expect(fs.readFileSync(img).equals(changed)).toBe(true);
  const f = await run(['restore', img, '--force']);
  expect(f.code).toBe(0);
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});

test('the block migrate wrote restores without --force; migrating again reuses the identical backup', async () => {
  const { img, original, after } = migrated();
  expect((await run(['restore', img])).code).toBe(0);
  expect(fs.readFileSync(img).equals(original)).toBe(true);
  const again = await run(['migrate', img, ...migrateArgs()]);
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(/reusing the identical backup/);
  expect(fs.readFileSync(img).equals(after)).toBe(true);
});

test('a torn mix (first half new, second half old, and sector-interleaved) restores without --force', () => {
  for (const pick of [(i: number): boolean => i < 2048, (i: number): boolean => Math.floor(i / 512) % 2 === 0]) {
    const { img, original, after } = migrated();
    const mix = Uint8Array.from({ length: 4096 }, (_, i) => (pick(i) ? after[4096 + i] : original[4096 + i]) ?? 0);
    overwriteBlock(img, mix);
    expect(restoreTarget({ target: img }).status).toBe('restored');
    expect(fs.readFileSync(img).equals(original)).toBe(true);
  }
});

test('restore twice: the second finds the original and writes nothing', async () => {
  const { img, original } = migrated();
  expect((await run(['restore', img])).code).toBe(0);
  const again = await run(['restore', img]);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/already holds the backed-up bytes; nothing written/);
  expect(fs.readFileSync(img).equals(original)).toBe(true);
});
