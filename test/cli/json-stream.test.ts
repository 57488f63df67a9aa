// writeJsonStreamed writes jsonText's exact bytes, one array element at a
// time (recover's evidence: 126k superblocks without one 300 MiB tree).
import { writeJsonStreamed } from '../../src/cli/json';
import { jsonText } from '../../src/format/json';

const streamed = (body: Record<string, unknown>, items: { at: bigint; name: string }[]): string[] => {
  const pieces: string[] = [];
  writeJsonStreamed(
    (t) => pieces.push(t),
    'recover',
    body,
    'evidence',
    items,
    (x) => ({ offset: x.at, kindName: x.name }),
  );
  return pieces;
};

const view = (items: { at: bigint; name: string }[]): object[] =>
  items.map((x) => ({ offset: x.at, kindName: x.name }));

test.each([
  ['no items', 0],
  ['one item', 1],
  ['three items', 3],
  ['5,000 items (several writes)', 5000],
])('%s: the same bytes as jsonText', (_name, n) => {
  // A file name that spells the key cannot fool it: inside a string its quotes are escaped.
  const body = { file: 'x\n  "evidence": []', dryRun: true, evidence: [] as object[], candidatesOmitted: 2 };
  const items = Array.from({ length: n }, (_, i) => ({ at: BigInt(i) << 32n, name: `n"${i}\u0001` }));
  const pieces = streamed(body, items);
  expect(pieces.join('')).toBe(`${jsonText('recover', { ...body, evidence: view(items) })}\n`);
  // Small documents in one write; a long array in pieces of at least 64 KiB (the last one the rest).
  if (n < 5000) expect(pieces.length).toBe(1);
  else {
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(65536);
  }
});
