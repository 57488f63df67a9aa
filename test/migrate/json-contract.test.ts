// The JSON contract of `migrate --json` and `restore --json` (issue #12): the
// real output of every sample head (samples/*.head, samples/repair/*.head),
// both directions, given and read meanings, dry runs and real runs, guard
// kernel lists, follows schemas/migrate.schema.json; every real migration is
// undone with the `undo` command it prints, whose output follows
// schemas/restore.schema.json; u64 values above 2^53 are exact strings; a
// tampered document fails the schema.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodePfnBlock } from '../../src/format/pfn';
import { json, run } from '../support/run';
import { expectSchema, schemaErrors } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import { shellWords } from './shell-words';

const tmp = useTmpDir('migrate-json');
const SAMPLES = path.join(__dirname, '..', '..', 'samples');
const HEADS = [
  ...fs
    .readdirSync(SAMPLES)
    .filter((n) => n.endsWith('.head'))
    .map((n) => path.join(SAMPLES, n)),
  ...fs
    .readdirSync(path.join(SAMPLES, 'repair'))
    .filter((n) => n.endsWith('.head'))
    .map((n) => path.join(SAMPLES, 'repair', n)),
];

type Doc = Record<string, unknown> & {
  status: string;
  reason: string | null;
  dry_run: boolean;
  written: boolean;
  backup: string | null;
  undo: string | null;
  before: { checksum: string };
  after: { checksum: string };
};

let n = 0;
/** A fresh copy of `head` in the temp dir, under a name of its own. */
function copyOf(head: string): string {
  return tmp.file(`${n++}-${path.basename(head)}`, fs.readFileSync(head));
}

const BASES = ['0x100100000', '0x100000000'];
const cases: [string, string, 'map' | 'legacy', string[]][] = [];
for (const head of HEADS)
  for (const base of BASES)
    for (const to of ['map', 'legacy'] as const)
      for (const from of [[], ['--from', 'legacy'], ['--from', 'map']])
        cases.push([path.relative(SAMPLES, head), base, to, from]);

interface ErrorDoc {
  error: { code: string; message: string; exit_code: number };
}

const seen = new Set<string>();

describe('migrate --json follows schemas/migrate.schema.json', () => {
  test.each(cases)('%s at %s --to %s %j', async (name, base, to, from) => {
    const orig = fs.readFileSync(path.join(SAMPLES, name));
    for (const dry of [true, false]) {
      const file = copyOf(path.join(SAMPLES, name));
      const argv = ['migrate', file, '--ns-base', base, '--ns-size', '1G', '--to', to, ...from, '--json'];
      const r = await run(dry ? [...argv, '--dry-run'] : argv);
      const parsed = json(r) as Record<string, unknown>;
      if ('error' in parsed) {
        const doc = parsed as unknown as ErrorDoc;
        // A refusal before any report (btt.head has no pfn block; ambiguity): exit 1, one line, and the same
        // words as an error document.
        expectSchema('error', doc);
        expect(r.code).toBe(1);
        expect(r.errLines).toHaveLength(1);
        expect(r.errLines[0]).toMatch(/^infoblock: .*(signature|say which meaning|minor version)/);
        expect(doc.error).toMatchObject({ exit_code: 1, message: r.errLines[0]?.slice('infoblock: '.length) });
        expect(['precondition', 'ambiguous']).toContain(doc.error.code);
        continue;
      }
      const doc = parsed as Doc;
      expectSchema('migrate', doc);
      seen.add(`${doc.status}/${String(doc.reason)}`);
      expect(doc.file).toBe(file);
      expect(doc.ns_base).toBe(base);
      expect(doc.dry_run).toBe(dry);
      // The stored checksum, exact (a JSON number would round it).
      expect(doc.before.checksum).toBe(`0x${decodePfnBlock(orig.subarray(4096)).fields.checksum.toString(16)}`);
      expect(r.code).toBe(doc.status === 'refused' ? 1 : 0);
      if (dry) expect(['planned', 'unchanged', 'refused']).toContain(doc.status);
      else expect(['migrated', 'unchanged', 'refused']).toContain(doc.status);
      expect(doc.written).toBe(doc.status === 'migrated');
      if (doc.status !== 'migrated') {
        expect(fs.readFileSync(file).equals(orig)).toBe(true);
        expect(doc.undo).toBeNull();
        continue;
      }
      // Migrated: the block on disk is the one reported, and the undo command puts the original back.
      expect(`0x${decodePfnBlock(fs.readFileSync(file).subarray(4096)).fields.checksum.toString(16)}`).toBe(
        doc.after.checksum,
      );
      expect(doc.undo).toMatch(/^infoblock restore /);
      const words = shellWords(doc.undo as string);
      const u = await run([...words.slice(1), '--json']);
      expect(u.stderr).toBe('');
      expect(u.code).toBe(0);
      const back = json(u) as Record<string, unknown>;
      expectSchema('restore', back);
      expect(back).toMatchObject({ file, backup: doc.backup, status: 'restored', bytes: '0x1000', ns_base: base });
      expect(fs.readFileSync(file).equals(orig)).toBe(true);
      // Restoring again: the head already holds the backed-up bytes.
      const again = json(await run([...words.slice(1), '--json'])) as Record<string, unknown>;
      expectSchema('restore', again);
      expect(again).toMatchObject({ status: 'unchanged', bytes: '0x0' });
    }
  });

  test('the sample matrix reaches every status and reason', () => {
    expect([...seen].sort()).toEqual([
      'migrated/null',
      'planned/null',
      'refused/hazard',
      'unchanged/already',
      'unchanged/nothing-to-migrate',
    ]);
  });
});

describe('statuses, guard kernels and exact u64 values', () => {
  const legacy = path.join(SAMPLES, 'legacy-startpad.head');
  const args = (file: string): string[] => ['migrate', file, '--ns-base', '0x100100000', '--ns-size', '1G', '--json'];

  test('already in the wanted meaning: unchanged, reason already', async () => {
    const r = await run([...args(copyOf(legacy)), '--to', 'legacy']);
    expect(r.code).toBe(0);
    const doc = json(r) as Doc;
    expectSchema('migrate', doc);
    expect(doc).toMatchObject({ status: 'unchanged', reason: 'already', written: false, backup: null });
  });

  test('start_pad 0: unchanged, reason nothing-to-migrate; a base above 2^53 is exact', async () => {
    const file = copyOf(path.join(SAMPLES, 'fsdax.head'));
    const r = await run([
      'migrate',
      file,
      '--ns-base',
      '0xffffffffb0000000',
      '--ns-size',
      '1G',
      '--to',
      'map',
      '--json',
    ]);
    const doc = json(r) as Doc;
    expectSchema('migrate', doc);
    expect(doc).toMatchObject({ status: 'unchanged', reason: 'nothing-to-migrate', ns_base: '0xffffffffb0000000' });
    expect(doc.before.checksum).toBe('0x93941773d389033e');
  });

  test('--ns-base 0xfffffffff0000000 (2^64 - 256 MiB): every u64 of the document exact', async () => {
    const file = copyOf(path.join(SAMPLES, 'fsdax.head'));
    const r = await run([
      'migrate',
      file,
      '--ns-base',
      '0xfffffffff0000000',
      '--ns-size',
      '128M',
      '--to',
      'map',
      '--json',
    ]);
    const doc = json(r) as Doc & { target_verdict: { data_start: string; data_size: string } };
    expectSchema('migrate', doc);
    expect(doc).toMatchObject({ ns_base: '0xfffffffff0000000', ns_size: '0x8000000', status: 'unchanged' });
    expect(doc.target_verdict).toMatchObject({ data_start: '0x1200000', data_size: '0x6e00000' });
    expect(r.out).toContain('"ns_base": "0xfffffffff0000000"'); // the text itself, not a rounded number
  });

  test('a guard kernel that misplaces the result: refused (dry run too), nothing written, exit 1', async () => {
    for (const dry of [[], ['--dry-run']]) {
      const file = copyOf(path.join(SAMPLES, 'map-startpad.head'));
      const r = await run([...args(file), '--from', 'legacy', '--to', 'map', ...dry]);
      expect(r.code).toBe(1);
      const doc = json(r) as Doc & { hazard: string; guard_verdicts: unknown[] };
      expectSchema('migrate', doc);
      expect(doc).toMatchObject({ status: 'refused', reason: 'hazard', written: false });
      expect(doc.hazard).toMatch(/^linux-6.1 ignores the major version/);
      expect(r.errLines).toEqual([
        expect.stringMatching(/^infoblock: refusing to migrate: linux-6.1 .*; nothing written; pass --force$/),
      ]);
    }
  });

  // A map-meaning result every guard kernel given refuses (all: the booted Linux kernels; linux-6.1) is refused
  // unless --allow-hazard; a list with map (or a kernel that leaves it raw) is planned.
  test.each([
    ['all', 'linux-5.10, linux-6.1, linux-6.12, linux-7.2'],
    ['6.1,map', null],
    ['linux-6.1', 'linux-6.1'],
    ['map,4.19,6.12', null],
  ])('--guard-kernel %s: one verdict each', async (g, refusing) => {
    for (const allow of [[], ['--allow-hazard']]) {
      const r = await run([
        ...args(copyOf(legacy)),
        '--to',
        'map',
        '--dry-run',
        '--force',
        '--guard-kernel',
        g,
        ...allow,
      ]);
      const doc = json(r) as Doc & { guard_verdicts: { kernel: string }[]; hazard: string | null };
      expectSchema('migrate', doc);
      if (refusing !== null && allow.length === 0) {
        expect(r.code).toBe(1);
        expect(doc).toMatchObject({ status: 'refused', reason: 'hazard', written: false });
        expect(doc.hazard).toMatch(new RegExp(`^every guard kernel \\(${refusing}\\) refuses it \\(linux-`));
        expect(r.errLines).toEqual([
          expect.stringMatching(
            /^infoblock: refusing to migrate: every guard kernel .*; nothing written; pass --allow-hazard$/,
          ),
        ]);
      } else {
        expect(r.code).toBe(0);
        expect(doc.status).toBe('planned');
        expect(doc.hazard).toEqual(refusing === null ? null : expect.stringMatching(/^every guard kernel/));
      }
      const expected = g === 'all' ? doc.guard_verdicts.length : g.split(',').length;
      expect(doc.guard_verdicts).toHaveLength(expected);
      expect(doc.guard_verdicts.length).toBeGreaterThan(g === 'all' ? 2 : 0);
    }
  });

  test('a tampered document fails the schemas', async () => {
    const doc = json(await run([...args(copyOf(legacy)), '--to', 'map', '--dry-run'])) as Doc;
    expectSchema('migrate', doc);
    expect(schemaErrors('migrate', { ...doc, status: 'migrated-ish' })).not.toEqual([]);
    expect(schemaErrors('migrate', { ...doc, ns_base: 4296015872 })).not.toEqual([]);
    expect(schemaErrors('migrate', { ...doc, before: { ...doc.before, checksum: 1.6e19 } })).not.toEqual([]);
    expect(schemaErrors('migrate', { ...doc, data_start_before: '0x0' })).not.toEqual([]);
    const { undo: _undo, ...missing } = doc;
    expect(schemaErrors('migrate', missing)).not.toEqual([]);
    expect(schemaErrors('restore', { ...doc, schema: 'urn:nd-infoblock:schema:restore' })).not.toEqual([]);
  });
});
