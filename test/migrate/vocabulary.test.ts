// One vocabulary (issue 22, item 4): the library's results use their JSON document's status words, so what
// restoreTarget / restoreRealign / migrate / migrateTarget return is what schemas/*.schema.json allows, and the
// CLI's --json status is the library's word for the same operation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { migrateTarget, restoreTarget, type MigrateTargetOptions } from '../../src/migrate/apply';
import { migrate } from '../../src/migrate/migrate';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { InvalidArgumentError } from '../../src/format/errors';
import { thrownBy } from '../support/errors';
import { replaceInfoBlock } from '../../src/replace/replace';
import { BASE, NS_SIZE, legacyBlock, mapBlockOf, smallImage } from '../support/adversarial';
import { json, run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('vocabulary');
interface StatusSchema {
  properties: { status: { enum: string[] }; reason?: { enum: (string | null)[] } };
}
const schemaOf = (name: string): StatusSchema =>
  JSON.parse(fs.readFileSync(path.join(__dirname, `../../schemas/${name}.schema.json`), 'utf8')) as StatusSchema;
const schema = schemaOf('restore');

test("restoreTarget says 'restored', then 'unchanged': both words of the restore schema", () => {
  const target = path.join(tmp.dir, 'ns.img');
  const original = smallImage(target);
  replaceInfoBlock({ target, plan: () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 5) & 0xff) });
  const first = restoreTarget({ target });
  expect(fs.readFileSync(target).subarray(0, 8192).equals(original.subarray(0, 8192))).toBe(true);
  const again = restoreTarget({ target });
  expect([first.status, again.status]).toEqual(['restored', 'unchanged']);
  expect(schema.properties.status.enum).toEqual(expect.arrayContaining([first.status, again.status]));
});

test('a missing offset says "offset is required", not "must be a bigint (got undefined)"', () => {
  const target = path.join(tmp.dir, 'no-offset.img');
  smallImage(target);
  const opts = { target, to: 'map' } as unknown as Parameters<typeof migrateTarget>[0];
  const err = thrownBy(() => migrateTarget(opts));
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect({ message: (err as Error).message, field: (err as InvalidArgumentError).field }).toEqual({
    message: 'offset is required (a bigint)',
    field: 'offset',
  });
});

describe('migrate: the pure migrator plans, the writing path migrates, the CLI passes the words through', () => {
  const migrateSchema = schemaOf('migrate');
  // A guard kernel given: every guard refusing the result (linux-6.1 on this block) is a refusal.
  const opts = { to: 'map', nsBase: BASE, nsSize: NS_SIZE, guardKernel: 'linux-6.1' } as const;
  const noPad = encodePfnBlock(
    recipeFields({
      meaning: 'legacy',
      size: NS_SIZE,
      offset: 0x100000000n,
      uuid: '11111111-2222-4333-8444-555555555555',
    }),
  );

  test.each([
    ['a legacy block with start_pad', legacyBlock(), opts, ['planned', null]],
    ['a block already in the map meaning', mapBlockOf(legacyBlock()), opts, ['unchanged', 'already']],
    ['start_pad 0', noPad, { ...opts, nsBase: 0x100000000n }, ['unchanged', 'nothing-to-migrate']],
  ] as const)('migrate() on %s: words of the migrate schema', (_name, block, o, words) => {
    const r = migrate(block, o);
    expect([r.status, r.reason]).toEqual(words);
    expect(migrateSchema.properties.status.enum).toContain(r.status);
    expect(migrateSchema.properties.reason?.enum).toContain(r.reason);
  });

  test('migrateTarget: planned (dry run), refused, migrated, then unchanged; --json says the same', async () => {
    const lib = path.join(tmp.dir, 'lib.img');
    const cli = path.join(tmp.dir, 'cli.img');
    const args = (f: string, ...more: string[]): string[] =>
      [
        'migrate',
        f,
        '--ns-base',
        `0x${BASE.toString(16)}`,
        '--ns-size',
        String(NS_SIZE),
        '--to',
        'map',
        '--guard-kernel',
        'linux-6.1',
        '--json',
      ].concat(more);
    const steps: [Partial<MigrateTargetOptions>, string[], [string, string | null]][] = [
      [{ dryRun: true, allowHazard: true }, ['--dry-run', '--allow-hazard'], ['planned', null]],
      [{}, [], ['refused', 'hazard']],
      [{ allowHazard: true }, ['--allow-hazard'], ['migrated', null]],
      [{ allowHazard: true }, ['--allow-hazard'], ['unchanged', 'already']],
    ];
    smallImage(lib);
    smallImage(cli);
    const seen: [string, string | null][] = [];
    for (const [more, flags, words] of steps) {
      const r = migrateTarget({ target: lib, offset: 0n, ...opts, ...more });
      const doc = json(await run(args(cli, ...flags))) as { status: string; reason: string | null };
      expect([r.status, r.reason]).toEqual(words);
      expect([doc.status, doc.reason]).toEqual([r.status, r.reason]);
      seen.push([r.status, r.reason]);
    }
    expect(new Set(seen.map(([s]) => s))).toEqual(new Set(migrateSchema.properties.status.enum));
    expect(fs.readFileSync(lib).equals(fs.readFileSync(cli))).toBe(true);
  });
});
