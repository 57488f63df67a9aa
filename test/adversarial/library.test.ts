// Item 12: library misuse gets a typed InfoblockError at the API boundary,
// never a raw TypeError/RangeError or a silently wrong result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  InfoblockError,
  decodePfnBlock,
  formatUuid,
  headWithBlock,
  migrateTarget,
  recipeFields,
  replaceInfoBlock,
  restoreTarget,
  type MigrateTargetOptions,
  type WriteParams,
} from '../../src/index';
import { readAt, writeAt } from '../../src/io/files';
import { BASE, NS_SIZE, legacyBlock, smallImage } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';
import { thrownBy } from '../support/errors';

const tmp = useTmpDir('lib');
let dir: string;
let img: string;
let original: Buffer;
beforeAll(() => {
  dir = tmp.dir;
  img = path.join(dir, 'ns.img');
  original = smallImage(img);
});

const good = (): MigrateTargetOptions => ({ target: img, offset: 0n, nsBase: BASE, nsSize: NS_SIZE, to: 'map' });
const params = (extra: object): WriteParams => ({
  size: NS_SIZE,
  uuid: '6a7b8c9d-0000-4000-8000-0123456789ab',
  ...extra,
});

const cases: [string, () => unknown, string][] = [
  ['migrateTarget with a negative nsBase', () => migrateTarget({ ...good(), nsBase: -4096n }), 'invalid-argument'],
  ['migrateTarget with nsSize >= 2^64', () => migrateTarget({ ...good(), nsSize: 1n << 64n }), 'invalid-argument'],
  [
    'migrateTarget with a number nsBase',
    () => migrateTarget({ ...good(), nsBase: 4096 as unknown as bigint }),
    'invalid-argument',
  ],
  ['migrateTarget with a negative offset', () => migrateTarget({ ...good(), offset: -1n }), 'invalid-argument'],
  ['migrateTarget to a bogus meaning', () => migrateTarget({ ...good(), to: 'sideways' as 'map' }), 'invalid-argument'],
  ['migrateTarget from a bogus meaning', () => migrateTarget({ ...good(), from: 'up' as 'map' }), 'invalid-argument'],
  ['migrateTarget with an empty target', () => migrateTarget({ ...good(), target: '' }), 'invalid-argument'],
  ['restoreTarget with a negative offset', () => restoreTarget({ target: img, offset: -8192n }), 'invalid-argument'],
  ['recipeFields mode bogus', () => recipeFields(params({ mode: 'bogus' })), 'invalid-argument'],
  ['recipeFields map bogus', () => recipeFields(params({ map: 'disk' })), 'invalid-argument'],
  ['recipeFields meaning bogus', () => recipeFields(params({ meaning: 'old' })), 'invalid-argument'],
  ['recipeFields size as a number', () => recipeFields(params({ size: 1 << 26 })), 'invalid-argument'],
  ['formatUuid of 3 bytes', () => formatUuid(new Uint8Array(3)), 'invalid-argument'],
  ['formatUuid past the end', () => formatUuid(new Uint8Array(16), 1), 'invalid-argument'],
  ['decodePfnBlock of a whole 8 KiB head', () => decodePfnBlock(headWithBlock(legacyBlock())), 'invalid-argument'],
  ['decodePfnBlock of 100 bytes', () => decodePfnBlock(new Uint8Array(100)), 'truncated'],
  [
    'replaceInfoBlock whose plan returns 100 bytes',
    () => replaceInfoBlock({ target: img, plan: () => new Uint8Array(100) }),
    'invalid-argument',
  ],
  ['replaceInfoBlock without a plan', () => replaceInfoBlock({ target: img } as never), 'invalid-argument'],
  ['readAt at 2^53', () => readAt(0, 'x', 1n << 53n, 4096), 'io'],
  ['writeAt at a negative position', () => writeAt(0, 'x', new Uint8Array(1), -1n), 'io'],
];

test.each(cases)('%s: InfoblockError %s', (_name, f, code) => {
  const thrown = thrownBy(() => f());
  expect(thrown).toBeInstanceOf(InfoblockError);
  expect((thrown as InfoblockError).code).toBe(code);
  // Nothing was written by any of them.
  expect(fs.readFileSync(img).equals(original)).toBe(true);
  expect(fs.existsSync(`${img}.infoblock-backup`)).toBe(false);
});

test('formatUuid of 16 bytes still formats; decodePfnBlock of exactly 4096 still decodes', () => {
  expect(formatUuid(Uint8Array.from({ length: 16 }, (_, i) => i))).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
  expect(decodePfnBlock(legacyBlock()).checksumValid).toBe(true);
});

test(
  'replaceInfoBlock is usable on its own: a plan that returns null writes nothing, a block is written once ' +
    'with a backup',
  () => {
    const target = path.join(dir, 'replace.img');
    const before = smallImage(target);
    const none = replaceInfoBlock({ target, plan: () => null });
    expect(none.written).toBe(false);
    expect(fs.existsSync(`${target}.infoblock-backup`)).toBe(false);
    const block = Uint8Array.from(legacyBlock());
    block[100] = 0x42; // any 4 KiB the caller decides on
    const r = replaceInfoBlock({
      target,
      plan: (head) => (head.byteLength === 8192 ? block : null),
      label: { from: 'lost', to: 'recovered' },
    });
    expect(r.written).toBe(true);
    expect(Buffer.from(r.oldBlock).equals(before.subarray(4096, 8192))).toBe(true);
    expect(fs.readFileSync(target).subarray(4096, 8192).equals(block)).toBe(true);
    expect(restoreTarget({ target }).status).toBe('restored');
    expect(fs.readFileSync(target).equals(before)).toBe(true);
  },
);
