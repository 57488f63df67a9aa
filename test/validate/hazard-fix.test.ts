// A hazard that migrating repairs carries a structured fix; the CLI prints it
// as a complete `infoblock migrate ...` command that works when pasted: run
// against a copy of the image, it succeeds and the hazard is gone. The repair keeps start_pad, which Linux
// 5.17+ maps start_pad bytes low under DAX: the printed repair carries --allow-hazard (migrate's DAX guard
// refuses the result without it) and the line after it says what remains.
import * as fs from 'node:fs';
import { encodePfnBlock, patchPfnBlock } from '../../src/format/pfn';
import { headWithBlock } from '../../src/format/head';
import { recipeFields } from '../../src/format/recipe';
import { checkHead } from '../../src/validate/check';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('hazard-fix');
const U = '11111111-2222-3333-4444-555555555555';
const G = 1n << 30n;
const M = 1n << 20n;

/** The words of a command printed with shellWord quoting (bare words, or '...' with '\'' for a quote). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\') {
      cur = (cur ?? '') + (line[i + 1] ?? '');
      i++;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** `head` at `offset` of a sparse file of `offset + size` bytes. */
function image(name: string, head: Uint8Array, size: bigint, offset = 0n): string {
  const file = tmp.path(name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, Number(offset + size));
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, head, 0, head.length, Number(offset));
  fs.closeSync(fd);
  return file;
}

const ndctlO = (align?: bigint): Uint8Array =>
  headWithBlock(
    encodePfnBlock(
      recipeFields({
        size: G,
        uuid: U,
        meaning: 'ndctl',
        offset: 0x100100000n,
        ...(align === undefined ? {} : { align }),
      }),
    ),
  );
const mapBlock = (): Uint8Array =>
  headWithBlock(encodePfnBlock(recipeFields({ size: G, uuid: U, meaning: 'map', offset: 0x100100000n })));
// start_pad 2 MiB keeps base + start_pad aligned: a legacy kernel claims it with the data 2 MiB later.
const map2x = (): Uint8Array =>
  headWithBlock(
    patchPfnBlock(encodePfnBlock(recipeFields({ size: G, uuid: U, meaning: 'legacy' })), {
      versionMajor: 2,
      startPad: 2n * 1048576n,
      dataoff: 0x1400000n,
    }),
  );

interface FixCase {
  name: string;
  kind: string;
  head: () => Uint8Array;
  /** check's placement options (the repair command must carry them). */
  opts: string[];
  /** Where the head sits in the file. */
  offset?: bigint;
  file?: string;
}

const cases: FixCase[] = [
  {
    name: 'ndctl -O block Linux refuses',
    kind: 'ndctl-offset-block',
    head: () => ndctlO(),
    opts: ['--ns-base', '0x100100000'],
  },
  {
    name: 'ndctl -O block with a 4K align: claimed, data misplaced',
    kind: 'misplacement',
    head: () => ndctlO(4096n),
    opts: ['--ns-base', '0x100100000'],
  },
  { name: '2.x block that 6.1 refuses', kind: 'refusal', head: mapBlock, opts: ['--ns-base', '0x100100000'] },
  { name: '2.x block that 4.19 leaves raw', kind: 'raw', head: mapBlock, opts: ['--ns-base', '0x100100000'] },
  {
    name: '2.x block 6.1 claims with the data elsewhere (no --ns-base: the assumed 0x0 is carried)',
    kind: 'misplacement',
    head: map2x,
    opts: [],
  },
  {
    name: 'ndctl -O block 1 MiB into a larger image, a path with a space and a quote, sizes in suffix form',
    kind: 'ndctl-offset-block',
    head: () => ndctlO(),
    opts: ['--offset', '1M', '--ns-base', '4296015872', '--ns-size', '1G'],
    offset: M,
    file: "it's here.img",
  },
];

describe.each(cases)('$name', (c) => {
  let file: string;
  let hazards: { kind: string; message: string; fix?: { operation: string; params: Record<string, string> } }[];
  let repair: string;
  /** The line after the repair: what the repaired block still does under DAX. */
  let note: string;
  beforeAll(async () => {
    file = image(c.file ?? `${c.name.replace(/[^a-z0-9]+/gi, '-')}.img`, c.head(), G, c.offset ?? 0n);
    const j = json(await run(['check', file, ...c.opts, '--json'])) as { hazards: typeof hazards };
    hazards = j.hazards;
    const t = await run(['check', file, ...c.opts]);
    const out = t.out.split('\n');
    const lines = out.filter((l) => l.startsWith('  repair: '));
    expect(lines).toHaveLength(1);
    repair = (lines[0] as string).slice('  repair: '.length);
    note = out[out.indexOf(lines[0] as string) + 1] ?? '';
  });

  test(`JSON: a ${c.kind} hazard with fix migrate { from: map, to: legacy }, no flag in any message`, () => {
    expect(hazards.filter((h) => h.kind === c.kind).map((h) => h.fix)).toContainEqual({
      operation: 'migrate',
      params: { from: 'map', to: 'legacy' },
    });
    for (const h of hazards) expect(h.message).not.toMatch(/--|`infoblock/);
  });

  test('text: the repair names the file and carries the placement options as given', () => {
    const argv = shellSplit(repair);
    expect(argv.slice(0, 3)).toEqual(['infoblock', 'migrate', file]);
    const given = new Map<string, string>();
    for (let i = 0; i < c.opts.length; i += 2) given.set(c.opts[i] as string, c.opts[i + 1] as string);
    if (!given.has('--ns-base')) given.set('--ns-base', '0x0');
    const flags = argv.slice(3);
    for (const [k, v] of given) expect(flags[flags.indexOf(k) + 1]).toBe(v);
    // The repair keeps start_pad, which Linux 6.1 maps start_pad bytes low under DAX: migrate's DAX guard refuses
    // the result unless --allow-hazard, so the printed repair carries it and the next line says why.
    expect(flags.slice(-5)).toEqual(['--allow-hazard', '--from', 'map', '--to', 'legacy']);
    expect(note).toMatch(
      /^ {2}after the repair the block keeps start_pad 0x[12]00000: under DAX linux-6\.1 would map every page 0x[12]00000 bytes below where read\(2\) finds it .*; --allow-hazard writes it anyway: mount it without DAX, or give it start_pad 0 /,
    );
  });

  test('pasted, it succeeds (exit 0) on the image, and check no longer reports the hazard', async () => {
    const r = await run(shellSplit(repair).slice(1));
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    const checked = await run(['check', file, ...c.opts, '--json']);
    const after = json(checked) as {
      outcome: string;
      hazards: { kind: string }[];
      dax: { outcome: string; shift: string };
    };
    expect(after.hazards.map((h) => h.kind)).not.toContain(c.kind);
    expect(after.hazards.filter((h) => h.kind !== 'metadata-exposed')).toEqual([]);
    expect(after.outcome).toBe('claimed');
    // What the note said remains: the DAX misplacement of start_pad (check fails unless --no-dax).
    expect(after.dax.outcome).toBe('misplaced');
    expect(note).toContain(`every page ${after.dax.shift} bytes below`);
    expect(checked.code).toBe(1);
    expect((await run(['check', file, ...c.opts, '--no-dax'])).code).toBe(0);
  });
});

test('a hazard without a repair (metadata exposed by a raw fallback): no fix, no repair line', async () => {
  // 4.19 leaves the namespace raw after a validation failure (align > size: -EINVAL).
  const h = headWithBlock(
    patchPfnBlock(encodePfnBlock(recipeFields({ size: G, uuid: U, meaning: 'legacy' })), { align: 2n * 1073741824n }),
  );
  const v = checkHead(h, { nsSize: G, kernel: '4.19' });
  const exposed = v.hazards.filter((z) => z.kind === 'metadata-exposed');
  expect(exposed).toHaveLength(1);
  expect(exposed[0]?.fix).toBeUndefined();
  const file = image('exposed.img', h, G);
  const t = await run(['check', file, '--kernel', '4.19']);
  expect(t.out).toMatch(/HAZARD \(metadata-exposed, linux-4\.19\)/);
  expect(t.out).not.toMatch(/repair:/);
});

test('an ndctl -O block whose map reading has no data area either: the hazard, no fix, no repair line', async () => {
  // 32 MiB: ndctl's data start lands on start_pad, leaving no room for the reserve in the map meaning.
  const f = recipeFields({ size: 32n * M, uuid: U, meaning: 'ndctl', offset: 0x100100000n });
  const file = image('small-ndctl-O.img', headWithBlock(encodePfnBlock(f)), 32n * M);
  const j = json(await run(['check', file, '--ns-base', '0x100100000', '--json'])) as {
    hazards: { kind: string; message: string; fix?: unknown }[];
  };
  expect(j.hazards.map((h) => [h.kind, h.fix])).toEqual([['ndctl-offset-block', undefined]]);
  expect(j.hazards[0]?.message).toMatch(/migrating it does not repair it$/);
  const t = await run(['check', file, '--ns-base', '0x100100000']);
  expect(t.out).toMatch(/HAZARD \(ndctl-offset-block\)/);
  expect(t.out).not.toMatch(/repair:/);
  // And indeed migrate refuses it.
  const m = await run(['migrate', file, '--ns-base', '0x100100000', '--from', 'map', '--to', 'legacy']);
  expect(m.code).toBe(1);
  expect(m.errLines).toEqual([
    'infoblock: dataoff: data start 0x100000 leaves less than the 8 KiB reserve after start_pad',
  ]);
});

test('labelled namespaces: the repair carries the namespace dpa, base and size', async () => {
  const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
  const img = tmp.path('dimm.img');
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 200 * 1048576);
  const w = await run(['labels', 'write', img, '--label-size', '128K', '--namespace', `uuid=${U1},size=128M,dpa=32M`]);
  expect(w.code).toBe(0);
  const f = recipeFields({ size: 128n * M, uuid: U, parentUuid: U1, meaning: 'ndctl', offset: 0x102100000n });
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, headWithBlock(encodePfnBlock(f)), 0, 8192, 32 * 1048576);
  fs.closeSync(fd);
  const t = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100100000']);
  expect(t.code).toBe(1);
  const line = t.out.split('\n').find((l) => l.includes('repair: '));
  expect(line?.trim()).toBe(
    `repair: infoblock migrate ${img} --offset 0x2000000 --ns-base 0x102100000 --ns-size 0x8000000 ` +
      '--allow-hazard --from map --to legacy',
  );
  const r = await run(shellSplit(line?.trim().slice('repair: '.length) ?? '').slice(1));
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
  const after = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100100000', '--no-dax']);
  expect(after.out).not.toMatch(/HAZARD/);
  expect(after.code).toBe(0);
  // The repaired block keeps its start_pad (1 MiB): Linux 6.1 claims it but misplaces DAX mmaps.
  const dax = await run(['check', img, '--label-size', '128K', '--ns-base', '0x100100000']);
  expect(dax.code).toBe(1);
  expect(dax.out).toMatch(/^ {4}DAX: MISPLACED on linux-6\.1: mmap sees data 0x100000 bytes below read\(2\)/m);
});
