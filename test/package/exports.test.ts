// What a newcomer meets first (issue 22, items 6 and 8), cheap enough for npm test: the bin is executable
// after the build, every subpath is a TypeDoc entry point and a row of the README's subpath table, the
// README says how to put `infoblock` on PATH and names the checksum functions. (npm run test:slow packs
// the tarball and checks the installed bin too: test/package/consumer.slow.test.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, unknown>;
  scripts: Record<string, string>;
};
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const subpaths = Object.entries(pkg.exports)
  .filter(([, t]) => typeof t === 'object')
  .map(([s]) => s);

test('dist/cli.js is executable after npm run build, with a node shebang', () => {
  const bin = path.join(root, pkg.bin['infoblock'] ?? '');
  expect((fs.statSync(bin).mode & 0o111).toString(8)).toBe('111');
  expect(fs.readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
});

test('every exports subpath is a TypeDoc entry point (npm run docs writes one page each)', () => {
  // typedoc.config.js derives them from the exports map; this checks the derivation.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const typedoc = require(path.join(root, 'typedoc.config.js')) as { entryPoints: string[] };
  const want = subpaths.map((s) => (s === '.' ? 'src/index.ts' : `src/${s.slice(2)}/index.ts`)).sort();
  expect([...typedoc.entryPoints].sort()).toEqual(want);
  expect(pkg.scripts['docs']).toBe('typedoc');
});

test("every exports subpath has a row in the README's subpath table", () => {
  const table = readme.slice(readme.indexOf('| import | what |'));
  const rows = table.slice(0, table.indexOf('\n\n'));
  const named = [...rows.matchAll(/^\| `(nd-infoblock[^`]*)` \|/gm)].map((m) => m[1]);
  expect(named.sort()).toEqual(subpaths.map((s) => `nd-infoblock${s.slice(1)}`).sort());
});

test('the README says how to put infoblock on PATH and names the checksum functions', () => {
  for (const words of ['npm link', 'npm install -g .', 'blockChecksum', 'fletcher64(', 'npm run docs'])
    expect(readme).toContain(words);
});
