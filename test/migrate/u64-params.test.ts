// Every byte quantity and address the migrate, scan and recover entry points
// take is a bigint: a number (even a safe integer) is a typed invalid-argument
// error naming the parameter, before any I/O, never "Cannot mix BigInt".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { migrateTarget, restoreTarget } from '../../src/migrate/apply';
import { migrate } from '../../src/migrate/migrate';
import { replaceInfoBlock } from '../../src/replace/replace';
import { planRecovery, scanLimit } from '../../src/recover/plan-recovery';
import { writeRecoveredBlock } from '../../src/recover/write-recovered';
import { assessPfn } from '../../src/scan/report';
import { scanBytes, scanTarget } from '../../src/scan/scan';
import type { PfnFinding } from '../../src/scan/detect';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('u64-params');
const HEAD = fs.readFileSync(path.join(__dirname, '..', '..', 'samples', 'legacy-startpad.head'));
const BLOCK = Uint8Array.from(HEAD.subarray(4096));
const file = (): string => tmp.file('t.head', HEAD);
const G = 1n << 30n;
const good = { nsBase: 0x100100000n, nsSize: G };
const finding = (): PfnFinding => scanBytes(HEAD).findings[0] as PfnFinding;

type Call = (bad: unknown) => unknown;
const CALLS: [entry: string, param: string, call: Call][] = [
  ['migrate', 'nsBase', (v) => migrate(BLOCK, { ...good, to: 'map', nsBase: v as bigint })],
  ['migrate', 'nsSize', (v) => migrate(BLOCK, { ...good, to: 'map', nsSize: v as bigint })],
  ...(['offset', 'nsBase', 'nsSize'] as const).map((p): [string, string, Call] => [
    'migrateTarget',
    p,
    (v) => migrateTarget({ target: file(), offset: 0n, ...good, to: 'map', dryRun: true, [p]: v as bigint }),
  ]),
  ...(['offset', 'nsBase', 'nsSize'] as const).map((p): [string, string, Call] => [
    'restoreTarget',
    p,
    (v) => restoreTarget({ target: file(), [p]: v as bigint }),
  ]),
  ...(['offset', 'nsBase', 'nsSize'] as const).map((p): [string, string, Call] => [
    'replaceInfoBlock',
    p,
    (v) => replaceInfoBlock({ target: file(), plan: () => null, dryRun: true, [p]: v as bigint }),
  ]),
  ...(['from', 'to', 'chunkSize'] as const).map((p): [string, string, Call] => [
    'scanTarget',
    p,
    (v) => scanTarget({ target: file(), [p]: v as bigint }),
  ]),
  ...(['from', 'to'] as const).map((p): [string, string, Call] => [
    'scanBytes',
    p,
    (v) => scanBytes(HEAD, { [p]: v as bigint }),
  ]),
  ['assessPfn', 'nsBase', (v) => assessPfn(finding(), { nsBase: v as bigint, targetSize: G, kernel: '6.1' })],
  ['assessPfn', 'targetSize', (v) => assessPfn(finding(), { nsBase: 0n, targetSize: v as bigint, kernel: '6.1' })],
  ...(['nsBase', 'nsSize'] as const).map((p): [string, string, Call] => [
    'planRecovery',
    p,
    (v) => planRecovery(new Uint8Array(8192), [], { ...good, kernel: '6.1', [p]: v as bigint }),
  ]),
  ['scanLimit', 'nsSize', (v) => scanLimit(v as bigint)],
  ...(['offset', 'nsBase', 'nsSize'] as const).map((p): [string, string, Call] => [
    'writeRecoveredBlock',
    p,
    (v) => writeRecoveredBlock({ target: file(), offset: 0n, ...good, plan: () => BLOCK, [p]: v as bigint }),
  ]),
];

describe.each(CALLS)('%s: %s', (_entry, param, call) => {
  test.each([
    [4096, /must be a bigint \(got number\): pass 4096n$/],
    [0, /must be a bigint \(got number\): pass 0n$/],
    [2 ** 60, /must be a bigint \(got number\): pass a bigint$/],
    ['4096', /must be a bigint \(got string\): pass a bigint$/],
    [-1n, /-1 is outside 0\.\.2\^64-1$/],
    [1n << 64n, /18446744073709551616 is outside 0\.\.2\^64-1$/],
  ])('%p is a typed invalid-argument error naming it', (bad, message) => {
    const before = fs.readFileSync(file());
    expect(() => call(bad)).toThrow(
      expect.objectContaining({ code: 'invalid-argument', field: param, message: expect.stringMatching(message) }),
    );
    expect(fs.readFileSync(file()).equals(before)).toBe(true);
    expect(fs.existsSync(`${file()}.infoblock-backup`)).toBe(false);
  });
});
