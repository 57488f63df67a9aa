// `corpus --only CLASS[,CLASS…]` (issue 22) and the corpus's DAX guard (issue 20): a filtered corpus holds
// only inputs of the asked classes (checked with a fresh verdict of each block, not the generator's own),
// a class a kernel or namespace size cannot give is refused before anything is written, and no input
// outside the rows aimed at a DAX hazard is one under the corpus kernel unless allowHazard is given.
import * as fs from 'node:fs';
import fc from 'fast-check';
import { CorpusGenerator, HAZARD_TARGETS, isOfClass, ONLY_CLASSES } from '../../src/corpus/generate';
import { writeCorpus } from '../../src/corpus/write-corpus';
import { InvalidArgumentError } from '../../src/format/errors';
import { headWithBlock } from '../../src/format/head';
import { checkHead, type Verdict } from '../../src/validate/check';
import { daxIsHazard } from '../../src/validate/dax-verdict';
import { looksLikeStack, run } from '../support/run';
import { thrownBy } from '../support/errors';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('corpus-only');

/** A fresh verdict of an input's block, under the corpus kernel. */
const fresh = (kernel: string, i: { block: Uint8Array; nsBase: bigint; nsSize: bigint }): Verdict =>
  checkHead(headWithBlock(i.block), { kernel, nsBase: i.nsBase, nsSize: i.nsSize, hazards: false });

function rowsOf(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('a filtered corpus holds only the asked classes', () => {
  const CASES: [string, string][] = [
    ['claimed', 'linux-6.1'],
    ['raw', '5.4'],
    ['refused', 'linux-6.1'],
    ['crashed', 'linux-6.1'],
    ['malformed', 'linux-latest'],
    ['malformed', 'map'],
    ['consistent', 'linux-6.1'],
    ['consistent', '5.10'],
    ['dax-refused', '5.10'],
    ['dax-refused', '4.19'],
    ['misplaced', 'linux-6.1'],
    ['misplaced', '4.19'],
    ['crashes', '6.12'],
    ['crashes', 'linux-latest'],
    ['R13', 'linux-6.1'],
    ['S2', 'linux-6.1'],
    ['dax-pad-below-pmem', '6.12'],
  ];
  test.each(CASES)('%s under %s: 40 inputs, each of that class', (cls, kernel) => {
    const g = new CorpusGenerator({ seed: 21n, kernel, only: [cls] });
    const got = [...g.inputs(40)].map((i) => isOfClass(fresh(g.kernel, i), cls));
    expect(got).toEqual(Array<boolean>(40).fill(true));
  });
  test('several classes: every input is of one of them, and each class comes out', () => {
    const g = new CorpusGenerator({ seed: 4n, kernel: '6.1', only: ['raw', 'misplaced'] });
    const classes = [...g.inputs(60)].map((i) => {
      const v = fresh(g.kernel, i);
      return isOfClass(v, 'raw') ? 'raw' : isOfClass(v, 'misplaced') ? 'misplaced' : `other ${v.outcome}`;
    });
    expect(new Set(classes)).toEqual(new Set(['raw', 'misplaced']));
  });
  test('every class of ONLY_CLASSES comes out of some booted kernel', () => {
    const reached = new Set<string>();
    for (const kernel of ['5.10', '6.1']) {
      for (const cls of ONLY_CLASSES) {
        try {
          const g = new CorpusGenerator({ seed: 2n, kernel, only: [cls] });
          if (isOfClass(fresh(g.kernel, g.input(0)), cls)) reached.add(cls);
        } catch (e) {
          if (!(e instanceof InvalidArgumentError)) throw e;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ONLY_CLASSES].sort());
  });
  test('input i of a filtered corpus is a pure function of (seed, options, i)', () => {
    const a = new CorpusGenerator({ seed: 9n, only: ['malformed'] });
    const b = new CorpusGenerator({ seed: 9n, only: ['malformed'] });
    expect(Buffer.from(b.input(17).block)).toEqual(Buffer.from(a.input(17).block));
  });
});

describe('a class that cannot be made is refused, naming why', () => {
  test.each([
    [
      'misplaced',
      '5.10',
      'no input can be of class misplaced: linux-5.10 refuses DAX on every block with a start_pad (DAX rule D2): ' +
        'nothing is misplaced under DAX',
    ],
    [
      'dax-refused',
      'linux-6.1',
      'no input can be of class dax-refused: linux-6.1 enables DAX on every claimed fsdax block (DAX rule D2): ' +
        'none is refused DAX',
    ],
    [
      'crashes',
      '4.19',
      'no input can be of class crashes: linux-4.19 enables DAX only when start_pad <= dataoff (DAX rule D2), so ' +
        'no DAX page frame falls below the mapped base: nothing crashes under DAX',
    ],
    [
      'crashes',
      'map',
      'no input can be of class crashes: map maps DAX pages from the mapped base: every claimed block is ' +
        'DAX-consistent',
    ],
    [
      'bogus',
      'linux-6.1',
      "unknown class 'bogus' for linux-6.1 (expected claimed, raw, refused, crashed, malformed, consistent, " +
        'dax-refused, misplaced, crashes, a rule id, S2 or a DAX target)',
    ],
    [
      'R15',
      'linux-6.1',
      "unknown class 'R15' for linux-6.1 (expected claimed, raw, refused, crashed, malformed, consistent, " +
        'dax-refused, misplaced, crashes, a rule id, S2 or a DAX target)',
    ],
  ])('%s under %s', (cls, kernel, message) => {
    const err = thrownBy(() => new CorpusGenerator({ seed: 1n, kernel, only: [cls] }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(message);
  });
  test('a class no draw reaches (crashed on 7.2, only when rule 15 wraps): refused after the bounded draws', () => {
    const err = thrownBy(() => new CorpusGenerator({ seed: 1n, kernel: '7.2', only: ['crashed'] }).input(0));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(
      'no input of class crashed came out of 96 draws for linux-7.2 with the seed sizes: it may need another ' +
        'namespace size or kernel',
    );
  });
  test('a pad-above class in a 16 MiB namespace: no room for 64 MiB of padding', () => {
    const err = thrownBy(() =>
      new CorpusGenerator({ seed: 1n, kernel: '6.1', nsSize: 16n << 20n, only: ['dax-pad-above-ram'] }).input(0),
    );
    expect((err as Error).message).toBe(
      'no input of class dax-pad-above-ram came out of 96 draws for linux-6.1 with a namespace of 16777216 bytes: ' +
        'it may need another namespace size or kernel',
    );
  });
  test('the library refuses before it creates the directory', () => {
    const out = tmp.path('lib-refused');
    expect(() => writeCorpus({ dir: out, count: 5, seed: 1n, kernel: '5.10', only: ['crashes'] })).toThrow(
      InvalidArgumentError,
    );
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('infoblock corpus --only', () => {
  test('200 malformed blocks are 200 malformed blocks; the manifest records the filter', async () => {
    const out = tmp.path('malformed');
    const r = await run(['corpus', '--out', out, '--count', '200', '--only', 'malformed', '--seed', '5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^corpus: 200 inputs, \d+ files\n {2}outcome: raw \d+, refused \d+/);
    const rows = rowsOf(`${out}/manifest.jsonl`);
    expect(rows.length).toBe(200);
    expect(rows.filter((x) => x['outcome'] === 'claimed')).toEqual([]);
    expect(new Set(rows.map((x) => JSON.stringify([x['only'], x['allow_hazard']])))).toEqual(
      new Set([JSON.stringify([['malformed'], false])]),
    );
  });
  test('misplaced,crashes under 6.12: every row is a DAX hazard, aimed, and labelled so', async () => {
    const out = tmp.path('hazards');
    const r = await run(['corpus', '--out', out, '--count', '40', '--only', 'misplaced,crashes', '--kernel', '6.12']);
    expect(r.code).toBe(0);
    const rows = rowsOf(`${out}/manifest.jsonl`);
    const seen = rows.map((x) => [
      (x['dax'] as Record<string, { outcome: string } | null>)['linux-6.12']?.outcome,
      x['hazard'],
      HAZARD_TARGETS.includes(x['target'] as string),
    ]);
    expect(new Set(seen.map((s) => JSON.stringify(s)))).toEqual(
      new Set([JSON.stringify(['misplaced', 'aimed', true]), JSON.stringify(['crashes', 'aimed', true])]),
    );
  });
  test.each([
    [
      ['--only', 'misplaced', '--kernel', '5.10'],
      'no input can be of class misplaced: linux-5.10 refuses DAX on every block with a start_pad (DAX rule D2): ' +
        'nothing is misplaced under DAX',
    ],
    [['--only', 'raw,'], "invalid class list 'raw,' (expected CLASS[,CLASS...])"],
    [
      ['--only', 'valid'],
      "unknown class 'valid' for linux-6.1 (expected claimed, raw, refused, crashed, malformed, consistent, " +
        'dax-refused, misplaced, crashes, a rule id, S2 or a DAX target)',
    ],
  ])('%j: exit 2, one line, nothing written', async (args, line) => {
    const out = tmp.path(`bad-${args.join('').replace(/\W+/g, '-')}`);
    const r = await run(['corpus', '--out', out, '--count', '5', ...args]);
    expect(r.code).toBe(2);
    expect(looksLikeStack(r.stderr)).toBe(false);
    expect(r.errLines).toEqual([`infoblock: ${line}`]);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the DAX guard (issue 20): no unaimed DAX hazard without allowHazard', () => {
  const KERNELS = ['linux-6.1', '6.12', 'linux-latest', '5.10', '4.19', '5.17'];
  test('property over seeds and kernels: a hazard under the corpus kernel is always an aimed row', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(...KERNELS),
        fc.nat(1000),
        (seed, kernel, start) => {
          const g = new CorpusGenerator({ seed, kernel });
          for (const i of g.inputs(40, start)) {
            const v = fresh(g.kernel, i);
            if (daxIsHazard(v.dax))
              expect({ target: i.target, aimed: HAZARD_TARGETS.includes(i.target) }).toEqual({
                target: i.target,
                aimed: true,
              });
            // A row aimed at 'claimed' or an aligned DAX class that is claimed fsdax is DAX-consistent.
            if ((i.target === 'claimed' || i.target.startsWith('dax-aligned')) && v.kind === 'pfn')
              expect(v.dax?.outcome).toBe('consistent');
          }
        },
      ),
      { numRuns: 12, seed: 2022 },
    );
  });
  test('unsteered corpora are guarded too', () => {
    const g = new CorpusGenerator({ seed: 8n, kernel: '6.1', steer: false });
    const unaimed = [...g.inputs(150)].filter(
      (i) => daxIsHazard(fresh(g.kernel, i).dax) && !HAZARD_TARGETS.includes(i.target),
    );
    expect(unaimed).toEqual([]);
  });
  test('allowHazard lets them through (the guard is what keeps them out), and the manifest says allowed', () => {
    const out = tmp.path('allowed');
    writeCorpus({ dir: out, count: 300, seed: 1n, kernel: '6.1', allowHazard: true });
    const rows = rowsOf(`${out}/manifest.jsonl`);
    const allowed = rows.filter((x) => x['hazard'] === 'allowed');
    expect(allowed.length).toBeGreaterThan(0);
    for (const x of allowed) expect(HAZARD_TARGETS.includes(x['target'] as string)).toBe(false);
    expect(new Set(rows.map((x) => x['allow_hazard']))).toEqual(new Set([true]));
  });
  test('a default corpus: hazard rows are exactly the aimed DAX hazard rows, none allowed', () => {
    const out = tmp.path('guarded');
    writeCorpus({ dir: out, count: 300, seed: 1n, kernel: '6.1' });
    const rows = rowsOf(`${out}/manifest.jsonl`);
    expect(rows.filter((x) => x['hazard'] === 'allowed')).toEqual([]);
    const aimed = rows.filter((x) => x['hazard'] === 'aimed');
    expect(aimed.length).toBeGreaterThan(0);
    for (const x of aimed) expect(HAZARD_TARGETS.includes(x['target'] as string)).toBe(true);
  });
});
