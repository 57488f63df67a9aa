// infoblock rebase: a label-less block rewritten for another base with
// start_pad 0 and the data where it is in the file; the align it can keep
// and what a smaller one costs; the refusals (a base off 2 MiB) leave the
// file alone; restore undoes it; the rebase document validates.
import * as fs from 'node:fs';
import { headWithBlock } from '../../src/format/head';
import { decodePfnBlock, encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { planRebase } from '../../src/migrate/rebase';
import { checkHead } from '../../src/validate/check';
import { hashRange, MiB } from '../support/dimm';
import { thrownBy } from '../support/errors';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const UUID = '11111111-2222-4333-8444-555555555555';
const OLD = 0x100100000n; // 1 MiB off 2 MiB: start_pad 1 MiB
const SIZE = 64n * MiB;
const tmp = useTmpDir('rebase');
let n = 0;

const blockFor = (base: bigint, map: 'dev' | 'mem' = 'dev'): Uint8Array =>
  encodePfnBlock(recipeFields({ size: SIZE, uuid: UUID, offset: base, map }));

function image(base = OLD, map: 'dev' | 'mem' = 'dev'): string {
  const f = tmp.path(`ns ${n++}.img`);
  const bytes = Buffer.alloc(Number(SIZE));
  for (let i = Number(4n * MiB); i < bytes.length; i += 4096) bytes.writeUInt32LE(i ^ 0x5a5a5a5a, i);
  bytes.set(headWithBlock(blockFor(base, map)), 0);
  fs.writeFileSync(f, bytes);
  return f;
}

describe('planRebase', () => {
  test('start_pad 0 at the new base, the data start kept, the align the new start keeps and its cost', () => {
    const before = decodePfnBlock(blockFor(OLD)).fields;
    const p = planRebase(blockFor(OLD), { nsBase: OLD, toBase: 0x100200000n, nsSize: SIZE });
    const f = decodePfnBlock(p.block).fields;
    const start = before.startPad + before.dataoff;
    expect([f.startPad, f.endTrunc, f.dataoff, f.align]).toEqual([0n, 0n, start, 1n * MiB]);
    expect(f.npfns).toBe((SIZE - start) / 4096n);
    expect([p.status, p.keeps2M, p.bases2M]).toEqual(['planned', false, []]);
    expect(p.alignCost).toBe(
      "the data start 0x100500000 is aligned to 0x100000, not 0x200000: the block's align becomes 0x100000, so DAX " +
        'maps 4 KiB pages only (no 2 MiB mappings)',
    );
    // Every booted kernel claims it at the new base with the data where it was in the file.
    for (const k of ['5.10', '6.1', '6.12', '7.2']) {
      const v = checkHead(headWithBlock(p.block), { kernel: k, nsBase: 0x100200000n, nsSize: SIZE });
      expect([v.outcome, v.dataStart]).toEqual(['claimed', start]);
    }
  });

  test('a 4.x-era block on a 2 MiB-aligned base padded to 128 MiB keeps 2 MiB at every 2 MiB-aligned base', () => {
    const base = 0x104200000n; // 2 MiB aligned, 62 MiB below a 128 MiB boundary
    const block = encodePfnBlock({
      ...recipeFields({ size: 256n * MiB, uuid: UUID, offset: 0x108000000n, map: 'mem' }),
      startPad: 0x108000000n - base,
      npfns: (256n * MiB - (0x108000000n - base) - 2n * MiB) / 4096n,
    });
    const p = planRebase(block, { nsBase: base, toBase: 0x140000000n, nsSize: 256n * MiB });
    expect([p.keeps2M, p.alignCost, p.newAlign]).toEqual([true, null, 2n * MiB]);
    expect(p.bases2M).toEqual([0x13fe00000n, 0x140000000n, 0x140200000n]);
  });

  test('a base that is not 2 MiB aligned is refused, naming the aligned ones around it', () => {
    expect(
      thrownBy(() => planRebase(blockFor(OLD), { nsBase: OLD, toBase: 0x100300000n, nsSize: SIZE })),
    ).toMatchObject({
      code: 'precondition',
      message:
        'base 0x100300000 is not 2 MiB aligned: a block for it needs start_pad, which DAX misplaces on Linux 5.17 ' +
        'and later; choose 0x100200000 or 0x100400000',
    });
  });
});

describe('infoblock rebase', () => {
  test('writes one block after a backup, keeps every data byte; restore puts the original back', async () => {
    const f = image();
    const original = fs.readFileSync(f);
    const data = hashRange(f, 8192n, SIZE);
    const r = await run(['rebase', f, '--ns-base', '0x100100000', '--to-base', '0x100200000', '--json']);
    expect(r.status).toBe(0);
    const doc = json(r) as Record<string, unknown>;
    expectSchema('rebase', doc);
    expect(doc).toMatchObject({
      status: 'rebased',
      start_pad: '0x100000',
      data_start: '0x300000',
      new_align: '0x100000',
    });
    expect(hashRange(f, 8192n, SIZE)).toBe(data);
    expect(fs.readFileSync(f).subarray(0, 4096).equals(original.subarray(0, 4096))).toBe(true);
    const again = await run(['rebase', f, '--ns-base', '0x100100000', '--to-base', '0x100200000']);
    expect([again.status, again.stdout.toString().split('\n').at(-2)]).toEqual([
      0,
      'the block is already the one for this base; nothing written',
    ]);
    expect((await run(['restore', f])).status).toBe(0);
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  });

  test('bad input: a base off 2 MiB is exit 1, one line, nothing written', async () => {
    const f = image();
    const before = fs.readFileSync(f);
    const r = await run(['rebase', f, '--ns-base', '0x100100000', '--to-base', '0x100100000']);
    expect([r.status, r.stdout.toString()]).toEqual([1, '']);
    expect(r.stderr).toBe(
      'infoblock: base 0x100100000 is not 2 MiB aligned: a block for it needs start_pad, which DAX misplaces on ' +
        'Linux 5.17 and later; choose 0x100000000 or 0x100200000; pass --to-base 0x100200000\n',
    );
    expect(fs.readFileSync(f).equals(before)).toBe(true);
    expect(fs.existsSync(`${f}.infoblock-backup`)).toBe(false);
  });
});
