// The validator's API convention: byte quantities and addresses are bigints
// (a number is a typed invalid-argument error naming the parameter, at every
// public entry point), exported types are camelCase, and library errors say
// what to pass as a structured hint, never as a CLI flag.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodePfnBlock } from '../../src/format/pfn';
import { InvalidArgumentError } from '../../src/format/errors';
import { toWire } from '../../src/format/json';
import {
  checkBlock,
  checkHead,
  checkKernels,
  checkLabelledDimm,
  explainLayout,
  hazardsFor,
  resolveKernel,
  resolveKernels,
  type Verdict,
} from '../../src/validate/index';
import { run } from '../support/run';
import { thrownBy } from '../support/errors';

const head = new Uint8Array(fs.readFileSync(path.join(__dirname, '..', '..', 'samples', 'ndctl-O.head')));
const block = decodePfnBlock(head.subarray(4096, 8192));
const G = 1n << 30n;
const ok = { nsSize: G, nsBase: 0x100100000n };
const verdict: Verdict = checkHead(head, ok);

type Call = (o: Record<string, unknown>) => unknown;
const entryPoints: [string, Call][] = [
  ['checkHead', (o) => checkHead(head, o as never)],
  ['checkBlock', (o) => checkBlock(block, o as never)],
  ['hazardsFor', (o) => hazardsFor(block, verdict, o as never)],
  ['checkKernels', (o) => checkKernels(head, o as never, 'all')],
  ['explainLayout', (o) => explainLayout(head, verdict, o as never)],
];

describe.each(entryPoints)('%s', (_name, call) => {
  test('accepts bigints', () => {
    expect(() => call(ok)).not.toThrow();
  });
  test.each([
    ['nsSize', { nsSize: 1073741824, nsBase: 0x100100000n }, 'nsSize: must be a bigint (got number): pass 1073741824n'],
    ['nsBase', { nsSize: G, nsBase: 4296015872 }, 'nsBase: must be a bigint (got number): pass 4296015872n'],
    ['nsSize (a string)', { nsSize: '1G' }, 'nsSize: must be a bigint (got string): pass a bigint'],
    ['nsBase (negative)', { nsSize: G, nsBase: -1n }, 'nsBase: -1 is outside 0..2^64-1'],
    ['nsSize (above u64)', { nsSize: 1n << 64n }, 'nsSize: 18446744073709551616 is outside 0..2^64-1'],
  ])('%s: a typed invalid-argument error naming the parameter', (param, o, message) => {
    const err = thrownBy(() => call(o));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const e = err as InvalidArgumentError;
    expect([e.code, e.field, e.message]).toEqual(['invalid-argument', param.split(' ')[0], message]);
  });
});

describe('checkLabelledDimm', () => {
  const area = new Uint8Array(128 * 1024);
  const read = (_o: bigint, n: number): Uint8Array => new Uint8Array(n);
  test('accepts bigints', () => {
    expect(checkLabelledDimm(area, 64n << 20n, read, { dimmBase: 0x100000000n }).fallback).toBe(true);
  });
  test.each([
    [
      'capacity',
      () => checkLabelledDimm(area, 67108864 as never, read),
      'capacity: must be a bigint (got number): pass 67108864n',
    ],
    [
      'dimmBase',
      () => checkLabelledDimm(area, 64n << 20n, read, { dimmBase: 4294967296 as never }),
      'dimmBase: must be a bigint (got number): pass 4294967296n',
    ],
  ])('%s as a number: a typed invalid-argument error', (param, call, message) => {
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (e) {
      expect((e as InvalidArgumentError).field).toBe(param);
    }
  });
});

/** Every key of a value, recursively (record keys such as `linux-6.1` excluded by the caller). */
function keysOf(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      keysOf(x, out);
    }
  }
  return out;
}

describe('camelCase types, snake_case JSON through toWire', () => {
  test('a verdict, a kernels report and the regions have no snake_case key; toWire maps them', () => {
    const report = checkKernels(head, ok, '6.1,map');
    const regions = explainLayout(head, verdict, ok);
    const keys = [...keysOf({ verdict, regions, hazards: report.hazards, agree: report.agree })];
    expect(keys.filter((k) => k.includes('_'))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['dataStart', 'nsBase', 'failedRule', 'fix']));
    const wire = toWire(verdict) as Record<string, unknown>;
    expect([wire['ns_base'], wire['failed_rule'], wire['data_start']]).toEqual(['0x100100000', 'R12', null]);
    expect(Object.keys(report.verdicts)).toEqual(['linux-6.1', 'map']);
  });

  test('hazard messages name no flag; the fix is structured', () => {
    expect(verdict.hazards).toEqual([
      {
        kind: 'ndctl-offset-block',
        profile: null,
        message:
          'this looks like an ndctl -O block (dataoff measured from the raw base); Linux refuses it; migrating the ' +
          'block from the map meaning to the legacy meaning repairs it',
        fix: { operation: 'migrate', params: { from: 'map', to: 'legacy' } },
      },
    ]);
  });
});

describe('kernel errors carry a structured hint, rendered by the CLI as flags', () => {
  const hintOf = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e instanceof InvalidArgumentError ? (e.hint ?? null) : 'not an InvalidArgumentError';
    }
    return 'no error';
  };
  test.each([
    ['a version newer than every known', () => resolveKernel('7.3'), { pass: { kernel: '7.2' } }],
    ['a version older than every known', () => resolveKernel('linux-4.14'), { pass: { kernel: '4.19' } }],
    ['no such release', () => resolveKernel('5.25'), null],
    ['not a version', () => resolveKernel('nope'), null],
    [
      'a list, named by its parameter',
      () => resolveKernels('5.10, 8.0 ,map', 'kernels'),
      { pass: { kernels: '5.10,7.2,map' } },
    ],
    ['a list without a parameter name (migrate guard kernels): no hint', () => resolveKernels('6.1,7.3'), null],
    [
      'checkHead with an unknown kernel',
      () => checkHead(head, { ...ok, kernel: '3.10' }),
      { pass: { kernel: '4.19' } },
    ],
  ])('%s', (_n, f, hint) => {
    expect(hintOf(f)).toEqual(hint);
  });

  test('no message of the validator names a flag', () => {
    const messages: string[] = [];
    for (const f of [
      () => resolveKernel('7.3'),
      () => resolveKernels('6.1,7.3', 'kernels'),
      () => resolveKernels(''),
    ]) {
      try {
        f();
      } catch (e) {
        messages.push((e as Error).message);
      }
    }
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m).not.toMatch(/--[a-z]/);
  });

  test.each([
    [['check', 'samples/fsdax.head', '--ns-size', '1G', '--kernel', '7.9'], '; pass --kernel 7.2'],
    [['check', 'samples/fsdax.head', '--ns-size', '1G', '--kernels', '4.9,6.1'], '; pass --kernels 4.19,6.1'],
    [['explain', 'samples/fsdax.head', '--ns-size', '1G', '--kernel', '3.2'], '; pass --kernel 4.19'],
  ])('%j: the CLI line ends with the hint as flags', async (argv, tail) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(
      /^infoblock: unknown kernel '[^']+' \((newer|older) than [^)]*\): use a kernel version /,
    );
    expect(r.errLines[0]?.endsWith(tail)).toBe(true);
  });
});
