// The committed sample heads (samples/README.md): each decodes with a valid
// checksum and holds exactly the fields its documented parameters produce.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findBlocks, recipeFields, type WriteParams } from '../../src/index';

const dir = path.join(__dirname, '../../samples');
const read = (name: string): Buffer => fs.readFileSync(path.join(dir, name));

const PFN_SAMPLES: [string, 'pfn' | 'dax', WriteParams][] = [
  ['fsdax.head', 'pfn', { size: 1n << 30n, mode: 'fsdax', map: 'dev', uuid: '11111111-2222-3333-4444-555555555555' }],
  [
    'devdax.head',
    'dax',
    { size: 1n << 30n, mode: 'devdax', align: 2n << 20n, uuid: '22222222-3333-4444-5555-666666666666' },
  ],
  ['fsdax-map-mem.head', 'pfn', { size: 1n << 30n, map: 'mem', uuid: '33333333-4444-5555-6666-777777777777' }],
  [
    'legacy-startpad.head',
    'pfn',
    { size: 1n << 30n, offset: 0x100100000n, meaning: 'legacy', uuid: '44444444-5555-6666-7777-888888888888' },
  ],
  [
    'ndctl-O.head',
    'pfn',
    { size: 1n << 30n, offset: 0x100100000n, meaning: 'ndctl', uuid: '44444444-5555-6666-7777-888888888888' },
  ],
  [
    'map-startpad.head',
    'pfn',
    { size: 1n << 30n, offset: 0x100100000n, meaning: 'map', uuid: '44444444-5555-6666-7777-888888888888' },
  ],
];

test.each(PFN_SAMPLES)('%s holds one %s block with the documented fields', (name, kind, params) => {
  const head = read(name);
  expect(head.length).toBe(8192);
  expect(head.subarray(0, 4096).every((b) => b === 0)).toBe(true);
  const found = findBlocks(head);
  expect(found).toHaveLength(1);
  const b = found[0];
  if (b === undefined || b.kind === 'btt') throw new Error('expected a pfn/dax block');
  expect(b.kind).toBe(kind);
  expect(b.checksumValid).toBe(true);
  expect({ ...b.pfn.fields, checksum: 0n }).toEqual(recipeFields(params));
});

test('the start_pad samples agree on where the data starts (base + 19 MiB), except ndctl -O (base + 17 MiB)', () => {
  const base = 0x100100000n;
  const start = (name: string): bigint => {
    const b = findBlocks(read(name))[0];
    if (b === undefined || b.kind === 'btt') throw new Error(name);
    const f = b.pfn.fields;
    return f.versionMajor >= 2 || name === 'ndctl-O.head' ? base + f.dataoff : base + f.startPad + f.dataoff;
  };
  expect(start('legacy-startpad.head')).toBe(base + (19n << 20n));
  expect(start('map-startpad.head')).toBe(base + (19n << 20n));
  expect(start('ndctl-O.head')).toBe(base + (17n << 20n));
});

test('btt.head: a BTT block at 4096 and an identical copy at 0, both valid', () => {
  const head = read('btt.head');
  expect(head.subarray(0, 4096).equals(head.subarray(4096))).toBe(true);
  const found = findBlocks(head);
  expect(found.map((b) => [b.kind, b.offset, b.checksumValid])).toEqual([
    ['btt', 4096, true],
    ['btt', 0, true],
  ]);
  const b = found[0];
  if (b?.kind !== 'btt') throw new Error('expected btt');
  const f = b.btt.fields;
  expect(f).toMatchObject({
    versionMajor: 2,
    versionMinor: 0,
    externalLbasize: 4096n,
    internalLbasize: 4096n,
    nfree: 256,
    infosize: 4096n,
    nextoff: 0n,
    dataoff: 4096n,
  });
  expect(f.externalNlba).toBe(f.internalNlba - f.nfree);
  // layout: info | data | map | log | info2 within an arena of 1 GiB - 4 KiB
  expect(f.mapoff).toBe(f.dataoff + BigInt(f.internalNlba) * 4096n);
  expect(f.logoff).toBeGreaterThanOrEqual(f.mapoff + BigInt(f.internalNlba) * 4n);
  expect(f.info2off).toBe((1n << 30n) - 4096n - 4096n);
});
