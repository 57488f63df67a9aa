// readHead / readHeadAsync (issue 22, item 5): the 8 KiB head at an offset of a big image, read alone (a
// 3 GiB sparse image costs one 8 KiB read, not a 3 GiB buffer), the same bytes and errors sync and async.
import * as fs from 'node:fs';
import { InfoblockError, readHead, readHeadAsync, checkHead, decodePfnBlock } from '../../src/index';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('head');
const G = 1 << 30;
let big: string;

beforeAll(async () => {
  big = tmp.path('big.img');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 3 * G);
  const ns = tmp.path('ns.img');
  fs.writeFileSync(ns, '');
  fs.truncateSync(ns, G);
  expect((await run(['write', '-o', ns, '-u', '11111111-2222-3333-4444-555555555555'])).code).toBe(0);
  const head = Buffer.alloc(8192);
  const src = fs.openSync(ns, 'r');
  fs.readSync(src, head, 0, 8192, 0);
  fs.closeSync(src);
  const fd = fs.openSync(big, 'r+');
  fs.writeSync(fd, head, 0, 8192, 2 * G + (8 << 20)); // a namespace 2 GiB + 8 MiB into the 3 GiB image
  fs.closeSync(fd);
});

test('readHead reads the 8 KiB at the offset of a 3 GiB image, and nothing else', () => {
  const before = process.memoryUsage().arrayBuffers;
  const head = readHead(big, { offset: 2n * BigInt(G) + (8n << 20n) });
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  expect(head.byteLength).toBe(8192);
  expect(decodePfnBlock(head.subarray(4096)).fields.uuid).toBe('11111111-2222-3333-4444-555555555555');
  const v = checkHead(head, { nsBase: 0x100000000n, nsSize: BigInt(G) });
  expect(v.outcome).toBe('claimed');
  expect(readHead(big).every((b) => b === 0)).toBe(true); // default offset 0: the image's own (empty) head
});

test('readHeadAsync gives the same bytes', async () => {
  const offset = 2n * BigInt(G) + (8n << 20n);
  expect(Buffer.from(await readHeadAsync(big, { offset }))).toEqual(Buffer.from(readHead(big, { offset })));
});

const errorOf = async (f: () => unknown): Promise<InfoblockError<string>> => {
  try {
    await f();
  } catch (e) {
    return e as InfoblockError<string>;
  }
  throw new Error('did not throw');
};

test.each([
  ['a missing file', () => tmp.path('nope.img'), {}, 'io', `cannot open '<DIR>/nope.img': no such file or directory`],
  [
    'an offset past the end',
    () => big,
    { offset: 3n * BigInt(G) },
    'io',
    `'<DIR>/big.img' is too short: offset 3221225472 is at or past its end (3221225472 bytes)`,
  ],
  ['a number offset', () => big, { offset: 4096 }, 'invalid-argument', 'offset: must be a bigint (got number)'],
])('%s: the same error from both', async (_what, file, o, code, message) => {
  const sync = await errorOf(() => readHead(file(), o as { offset?: bigint }));
  const async = await errorOf(() => readHeadAsync(file(), o as { offset?: bigint }));
  for (const e of [sync, async]) {
    expect(e).toBeInstanceOf(InfoblockError);
    expect(e.code).toBe(code);
    expect(e.message.replaceAll(tmp.dir, '<DIR>')).toContain(message);
  }
  expect(async.message).toBe(sync.message);
});
