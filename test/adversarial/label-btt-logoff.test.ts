// Item 8 of issue 18: a labelled DIMM where one BTT-claimed namespace has a
// crafted logoff (1 GiB, 2^62: its log lies outside the namespace) is judged
// namespace by namespace: that one is refused as the kernel refuses it (the
// namespace read is out of range, the arena attach fails), the others get
// their own verdicts, and the exit status is 1 (a namespace not claimed),
// not 2 for the whole DIMM.
import * as fs from 'node:fs';
import { encodeBttBlock } from '../../src/format/btt';
import { encodePfnBlock, headWithBlock, recipeFields } from '../../src/index';
import { bttFields } from '../support/fixtures';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('label-btt');
const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';
const M = 1n << 20n;

async function dimm(logoff: bigint): Promise<string> {
  const img = tmp.path(`dimm-${logoff.toString(16)}.img`);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 32 * 2 ** 20 + 128 * 1024);
  const w = await run([
    'labels',
    'write',
    img,
    '--label-size',
    '128K',
    '--namespace',
    `uuid=${U1},size=16M,claim=btt`,
    '--namespace',
    `uuid=${U2},size=16M,dpa=16M,name=good`,
  ]);
  expect(w.code).toBe(0);
  const btt = encodeBttBlock(bttFields({ parentUuid: U1, mapoff: 0x500000n, logoff, info2off: 0x700000n }));
  const dax = encodePfnBlock(
    recipeFields({ meaning: 'legacy', size: 16n * M, offset: 0x101000000n, uuid: U1, parentUuid: U2, mode: 'devdax' }),
  );
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, btt, 0, 4096, 4096);
  fs.writeSync(fd, headWithBlock(dax), 0, 8192, Number(16n * M));
  fs.closeSync(fd);
  return img;
}

test.each([
  ['1 GiB', 1n << 30n],
  ['2^62', 1n << 62n],
  ['2^64 - 4096', (1n << 64n) - 4096n],
])('logoff %s: the BTT namespace refused (out of range), the other claimed, exit 1', async (_n, logoff) => {
  const img = await dimm(logoff);
  const r = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100000000']);
  expect({ code: r.code, err: r.errLines }).toEqual({ code: 1, err: [] });
  expect(r.out).toMatch(/REFUSED by linux-6\.1 as btt \(ENOMEM, -12\)[^\n]*\n\s+kernel says: "request out of range"/);
  expect(r.out).toMatch(/'good' dpa 0x1000000 size 16777216:\n\s+.*: CLAIMED by linux-6\.1 as devdax/);
  const doc = json(await run(['check', img, '--label-size', '128K', '--ns-base', '0x100000000', '--json'])) as {
    namespaces: { uuid: string; verdict: { outcome: string; message: string | null } }[];
  };
  expect(doc.namespaces.map((n) => [n.uuid, n.verdict.outcome, n.verdict.message])).toEqual([
    [U1, 'refused', 'request out of range'],
    [U2, 'claimed', null],
  ]);
});

test('a log inside the namespace is still read and judged (a zero log: unknown padding scheme)', async () => {
  const img = await dimm(0x600000n);
  const r = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100000000']);
  expect(r.code).toBe(1);
  expect(r.out).toContain('kernel says: "Found an unknown padding scheme"');
});
