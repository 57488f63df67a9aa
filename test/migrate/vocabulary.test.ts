// One vocabulary (issue 22, item 4): the library's results use their JSON document's status words, so what
// restoreTarget / restoreRealign / migrate / migrateTarget return is what schemas/*.schema.json allows, and the
// CLI's --json status is the library's word for the same operation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  migrateTarget,
  restoreTarget,
  type MigrateTargetOptions,
  type MigrateTargetReason,
  type MigrateTargetStatus,
  type RestoreResult,
} from '../../src/migrate/apply';
import { migrate, type MigrationReason, type MigrationStatus } from '../../src/migrate/migrate';
import { rebaseTarget, type RebasePlan, type RebaseStatus } from '../../src/migrate/rebase';
import {
  realignTarget,
  restoreRealign,
  type RealignStatus,
  type RestoreRealignResult,
} from '../../src/migrate/realign';
import type { RealignPlan } from '../../src/migrate/realign-plan';
import { planRecovery, type RecoveryPlan } from '../../src/recover/plan-recovery';
import { HEAD_SIZE, headWithBlock } from '../../src/format/head';
import { hex } from '../../src/format/int64';
import { writeDimm, type PaddedNamespace } from '../support/dimm';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { InvalidArgumentError } from '../../src/format/errors';
import { thrownBy } from '../support/errors';
import { replaceInfoBlock } from '../../src/replace/replace';
import { BASE, NS_SIZE, legacyBlock, mapBlockOf, migrateArgs, smallImage } from '../support/adversarial';
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

test('a missing required field says "nsBase is required", not "must be a bigint (got undefined)"', () => {
  const target = path.join(tmp.dir, 'no-base.img');
  smallImage(target);
  const opts = { target, to: 'map', nsSize: NS_SIZE } as unknown as Parameters<typeof migrateTarget>[0];
  const err = thrownBy(() => migrateTarget(opts));
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect({ message: (err as Error).message, field: (err as InvalidArgumentError).field }).toEqual({
    message: 'nsBase is required (a bigint)',
    field: 'nsBase',
  });
});

test('one target shape: offset is optional in migrateTarget as in rebaseTarget and restoreTarget (default 0)', () => {
  const withOffset = path.join(tmp.dir, 'offset-given.img');
  const without = path.join(tmp.dir, 'offset-omitted.img');
  smallImage(withOffset);
  smallImage(without);
  const common = { to: 'map', nsBase: BASE, nsSize: NS_SIZE, dryRun: true } as const;
  const a = migrateTarget({ target: withOffset, offset: 0n, ...common });
  const b = migrateTarget({ target: without, ...common });
  expect({ status: b.status, reason: b.reason, block: Buffer.from(b.report.block).toString('hex') }).toEqual({
    status: a.status,
    reason: a.reason,
    block: Buffer.from(a.report.block).toString('hex'),
  });
  const bad = { target: without, offset: 4096, ...common } as unknown as Parameters<typeof migrateTarget>[0];
  expect(() => migrateTarget(bad)).toThrow('offset: must be a bigint (got number)');
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
    const args = (f: string, ...more: string[]): string[] => [
      'migrate',
      f,
      ...migrateArgs(),
      '--guard-kernel',
      'linux-6.1',
      '--json',
      ...more,
    ];
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

// Every word each library status type can hold: a Record over the union, so tsc fails here when a type gains or
// loses a word, and the test below fails when a word is not in its document's enum.
const LIBRARY_WORDS: [string, string, 'status' | 'reason', Record<string, true>][] = [
  ['migrate', 'MigrationStatus', 'status', { planned: true, unchanged: true } satisfies Record<MigrationStatus, true>],
  [
    'migrate',
    'MigrationReason',
    'reason',
    { 'nothing-to-migrate': true, already: true } satisfies Record<MigrationReason, true>,
  ],
  [
    'migrate',
    'MigrateTargetStatus',
    'status',
    { planned: true, migrated: true, unchanged: true, refused: true } satisfies Record<MigrateTargetStatus, true>,
  ],
  [
    'migrate',
    'MigrateTargetReason',
    'reason',
    { 'nothing-to-migrate': true, already: true, hazard: true } satisfies Record<MigrateTargetReason, true>,
  ],
  [
    'rebase',
    'RebasePlan.status',
    'status',
    { planned: true, already: true } satisfies Record<RebasePlan['status'], true>,
  ],
  [
    'rebase',
    'RebaseStatus',
    'status',
    { rebased: true, planned: true, already: true } satisfies Record<RebaseStatus, true>,
  ],
  [
    'realign',
    'RealignPlan.status',
    'status',
    { planned: true, 'nothing-to-do': true } satisfies Record<RealignPlan['status'], true>,
  ],
  [
    'realign',
    'RealignStatus',
    'status',
    { realigned: true, planned: true, 'nothing-to-do': true } satisfies Record<RealignStatus, true>,
  ],
  [
    'restore',
    'RestoreResult.status',
    'status',
    { restored: true, unchanged: true } satisfies Record<RestoreResult['status'], true>,
  ],
  [
    'restore',
    'RestoreRealignResult.status',
    'status',
    { restored: true, unchanged: true } satisfies Record<RestoreRealignResult['status'], true>,
  ],
  [
    'recover',
    'RecoveryPlan.status',
    'status',
    { intact: true, proposed: true, ambiguous: true, nothing: true } satisfies Record<RecoveryPlan['status'], true>,
  ],
];

test.each(LIBRARY_WORDS)('every %s word of %s is in the schema (%s)', (name, _type, key, words) => {
  const allowed = schemaOf(name).properties[key]?.enum ?? [];
  expect(allowed.length).toBeGreaterThan(0);
  expect(Object.keys(words).filter((w) => !allowed.includes(w))).toEqual([]);
});

describe('the CLI says the library word for the same operation', () => {
  const UUID = '11111111-2222-4333-8444-555555555555';
  const OLD = 0x100100000n;
  const SIZE = 64n << 20n;

  function rebaseImage(name: string): string {
    const f = path.join(tmp.dir, name);
    const bytes = Buffer.alloc(Number(SIZE));
    bytes.set(headWithBlock(encodePfnBlock(recipeFields({ size: SIZE, uuid: UUID, offset: OLD, map: 'dev' }))), 0);
    fs.writeFileSync(f, bytes);
    return f;
  }

  test('rebase: planned (dry run), rebased, already', async () => {
    const lib = rebaseImage('rebase-lib.img');
    const cli = rebaseImage('rebase-cli.img');
    const to = 0x100200000n;
    const seen: string[] = [];
    for (const [dryRun, words] of [
      [true, 'planned'],
      [false, 'rebased'],
      [false, 'already'],
    ] as const) {
      const r = rebaseTarget({ target: lib, nsBase: OLD, toBase: to, nsSize: SIZE, dryRun });
      const argv = ['rebase', cli, '--ns-base', hex(OLD), '--to-base', hex(to), '--json'];
      const doc = json(await run(dryRun ? [...argv, '--dry-run'] : argv)) as { status: string };
      expect([r.status, doc.status]).toEqual([words, words]);
      seen.push(r.status);
    }
    expect(new Set(seen)).toEqual(new Set(schemaOf('rebase').properties.status.enum));
  });

  test('realign: planned (dry run), realigned, nothing-to-do; restore: restored, unchanged', async () => {
    const ns: PaddedNamespace = {
      uuid: UUID,
      dpa: 1n << 20n,
      size: SIZE,
      startPad: 1n << 20n,
      endTrunc: 1n << 20n,
      dataoff: 2n << 20n,
    };
    const lsa = 128n * 1024n;
    const [lib, cli] = ['realign-lib.img', 'realign-cli.img'].map((n) => path.join(tmp.dir, n)) as [string, string];
    for (const f of [lib, cli]) writeDimm(f, ns.dpa + ns.size + (1n << 20n) + lsa, lsa, [ns]);
    const seen: string[] = [];
    for (const [dryRun, words] of [
      [true, 'planned'],
      [false, 'realigned'],
      [false, 'nothing-to-do'],
    ] as const) {
      const r = realignTarget({ target: lib, labelSize: lsa, dryRun });
      const argv = ['realign', cli, '--label-size', '128K', '--json'];
      const doc = json(await run(dryRun ? [...argv, '--dry-run'] : argv)) as { status: string };
      expect([r.status, doc.status]).toEqual([words, words]);
      seen.push(r.status);
    }
    expect(new Set(seen)).toEqual(new Set(schemaOf('realign').properties.status.enum));
    for (const words of ['restored', 'unchanged']) {
      const r = restoreRealign({ target: lib });
      const doc = json(await run(['restore', cli, '--json'])) as { status: string };
      expect([r.status, doc.status]).toEqual([words, words]);
    }
    expect(fs.readFileSync(lib).equals(fs.readFileSync(cli))).toBe(true);
  });

  test("restore of a migrate: restoreTarget and infoblock restore say 'restored', then 'unchanged'", async () => {
    const [lib, cli] = ['restore-lib.img', 'restore-cli.img'].map((n) => path.join(tmp.dir, n)) as [string, string];
    for (const f of [lib, cli]) {
      smallImage(f);
      migrateTarget({ target: f, offset: 0n, to: 'map', nsBase: BASE, nsSize: NS_SIZE });
    }
    for (const words of ['restored', 'unchanged']) {
      const r = restoreTarget({ target: lib });
      const doc = json(await run(['restore', cli, '--json'])) as { status: string };
      expect([r.status, doc.status]).toEqual([words, words]);
    }
  });

  test("recover: no block and no evidence is 'nothing' for planRecovery and infoblock recover", async () => {
    const f = path.join(tmp.dir, 'recover.img');
    fs.writeFileSync(f, Buffer.alloc(Number(SIZE)));
    const plan = planRecovery(new Uint8Array(HEAD_SIZE), [], { nsBase: OLD, nsSize: SIZE, kernel: 'linux-6.1' });
    const r = await run(['recover', f, '--ns-base', hex(OLD), '--kernel', 'linux-6.1', '--json']);
    const doc = json(r) as { status: string };
    expect([plan.status, doc.status, r.code]).toEqual(['nothing', 'nothing', 1]);
  });
});
