// The DAX guard: which asked kernels would misplace data or crash under DAX
// on a block, or all refuse it; and the commands that write blocks (write,
// migrate) refusing such a block without --allow-hazard, write --meaning
// ndctl keeping ndctl's bytes and saying so.
import * as fs from 'node:fs';
import { encodePfnBlock } from '../../src/format/pfn';
import { headWithBlock } from '../../src/format/head';
import { recipeFields } from '../../src/format/recipe';
import { daxGuard, daxHazards, daxHazardText } from '../../src/validate/dax-guard';
import { thrownBy } from '../support/errors';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const UUID = '11111111-2222-4333-8444-555555555555';
const MiB = 1n << 20n;
const SIZE = 64n * MiB;
const tmp = useTmpDir('dax-guard');

const block = (offset: bigint, extra: Partial<Parameters<typeof recipeFields>[0]> = {}): Uint8Array =>
  encodePfnBlock(recipeFields({ size: SIZE, uuid: UUID, offset, ...extra }));

describe('daxHazards', () => {
  test.each([
    ['aligned fsdax', block(0x100000000n), 'all', []],
    [
      'start_pad 1 MiB, 4 kernels',
      block(0x100100000n),
      'all',
      [
        ['linux-6.1', 'misplaced'],
        ['linux-6.12', 'misplaced'],
        ['linux-7.2', 'misplaced'],
      ],
    ],
    ['start_pad 1 MiB, 5.10 only (DAX refused there: safe)', block(0x100100000n), '5.10', []],
    ['start_pad 1 MiB, the map convention', block(0x100100000n, { meaning: 'map' }), 'map', []],
    [
      'start_pad 1 MiB, memmap in RAM, 4.x padding above dataoff',
      encodePfnBlock({ ...recipeFields({ size: 256n * MiB, uuid: UUID, map: 'mem' }), startPad: 64n * MiB }),
      '6.1',
      [['linux-6.1', 'crashes']],
    ],
    [
      'devdax align 64K',
      block(0x100000000n, { mode: 'devdax', align: 0x10000n }),
      'all',
      [['linux-5.10,linux-6.1,linux-6.12,linux-7.2', 'refused']],
    ],
  ])('%s', (_n, b, kernels, expected) => {
    const base = _n.includes('4.x')
      ? 0x104000000n
      : _n.includes('aligned') || _n.includes('devdax')
        ? 0x100000000n
        : 0x100100000n;
    const hz = daxHazards(b, { kernels, nsBase: base, nsSize: _n.includes('4.x') ? 256n * MiB : SIZE });
    expect(hz.map((h) => [h.profile, h.outcome])).toEqual(expected);
  });

  test('daxGuard throws the hazard with the allowHazard hint; the text groups kernels', () => {
    const b = block(0x100100000n);
    const e = thrownBy(() => daxGuard(b, { nsBase: 0x100100000n, nsSize: SIZE }));
    const text =
      'under DAX linux-6.1, linux-6.12, linux-7.2 would map every page 0x100000 bytes below where read(2) finds it ' +
      '(writes through mmap land on other blocks)';
    expect(e).toMatchObject({
      code: 'hazard',
      message: `refusing to write: ${text}; nothing written`,
      hint: { pass: { allowHazard: true } },
    });
    expect(daxHazardText(daxHazards(b, { nsBase: 0x100100000n, nsSize: SIZE }))).toBe(text);
  });
});

describe('the commands that write blocks', () => {
  const misplacing =
    'under DAX linux-6.1, linux-6.12, linux-7.2 would map every page 0x100000 bytes below where read(2) finds it ' +
    '(writes through mmap land on other blocks)';
  test.each([
    [
      'write -O off 2 MiB',
      ['-s', '64M', '-O', '0x100100000'],
      `infoblock: refusing to write: ${misplacing}; nothing written; start_pad 0 is safe everywhere: place the ` +
        `namespace at a 2 MiB-aligned address; to write it anyway: --allow-hazard\n`,
    ],
    [
      'write -m devdax -a 64K',
      ['-s', '64M', '-m', 'devdax', '-a', '64K'],
      'infoblock: refusing to write: every guard kernel (linux-5.10, linux-6.1, linux-6.12, linux-7.2) refuses it ' +
        '(linux-5.10: init failed, alignment mismatch: 2097152:65536); nothing written; to write it anyway: ' +
        '--allow-hazard\n',
    ],
  ])('%s: exit 1, one line, no file', async (_n, args, line) => {
    const out = tmp.path(`${_n}.img`);
    const r = await run(['write', '-o', out, ...args]);
    expect([r.status, r.stderr]).toEqual([1, line]);
    expect(fs.existsSync(out)).toBe(false);
    const forced = await run(['write', '-o', out, ...args, '--allow-hazard']);
    expect(forced.status).toBe(0);
    expect(forced.stderr.startsWith('infoblock: warning: ')).toBe(true);
  });

  test('write --meaning ndctl keeps ndctl bytes and prints the hazard', async () => {
    const r = await run(['write', '-c', '-s', '64M', '-O', '0x100100000', '-u', UUID, '--meaning', 'ndctl']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^infoblock: warning: every guard kernel \(linux-5\.10, linux-6\.1, linux-6\.12, linux-7\.2\) refuses it /,
    );
    const ndctl = headWithBlock(
      encodePfnBlock(recipeFields({ size: SIZE, uuid: UUID, offset: 0x100100000n, meaning: 'ndctl' })),
    );
    expect(r.stdout.equals(Buffer.from(ndctl))).toBe(true);
  });

  test('migrate --to map --guard-kernel all: all guard kernels refuse the result: refused unless allowed', async () => {
    const f = tmp.path('migrate.img');
    const bytes = Buffer.alloc(Number(SIZE));
    bytes.set(headWithBlock(block(0x100100000n)), 0);
    fs.writeFileSync(f, bytes);
    const args = ['migrate', f, '--ns-base', '0x100100000', '--to', 'map', '--guard-kernel', 'all'];
    const r = await run(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^infoblock: refusing to migrate: every guard kernel \(linux-5\.10, linux-6\.1, linux-6\.12, linux-7\.2\) refuses it .*; nothing written; .*--allow-hazard/,
    );
    expect(fs.readFileSync(f).equals(bytes)).toBe(true);
    expect((await run([...args, '--allow-hazard'])).status).toBe(0);
  });
});
