// Corpus generation rates. Figures, not a test.
//
//   npm run build && node bench/corpus.mjs [CASE-FILTER...] [--count N]
//
// Cases (a filter keeps those whose name contains it):
//   generate          blocks/s in-process: seed pick + mutation + patch + checksum
//                     (CorpusGenerator with steer off: no verdicts)
//   generate+verdict  the CLI's path: steered, one or more checkHead per input
//   baseline-patch    the floor: patchPfnBlock of one field + verifyChecksum only
//   cli-head          whole process `infoblock corpus --format head` to a temp dir, files/s
//   cli-image         the same with sparse --format image --ns-size 64M
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { CorpusGenerator } = require('../dist/corpus/generate.js');
const { patchPfnBlock } = require('../dist/format/pfn.js');
const { verifyChecksum } = require('../dist/format/fletcher64.js');

const args = process.argv.slice(2);
const countIdx = args.indexOf('--count');
const count = countIdx >= 0 ? Number(args[countIdx + 1]) : 200_000;
const filters = args.filter((a, i) => !a.startsWith('--') && !(countIdx >= 0 && i === countIdx + 1));
const want = (name) => filters.length === 0 || filters.some((f) => name.includes(f));

function rate(name, n, fn) {
  fn(Math.min(2000, n)); // warm up
  const t0 = process.hrtime.bigint();
  fn(n);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${name.padEnd(18)} ${String(n).padStart(8)} in ${s.toFixed(3)} s  ${Math.round(n / s)
      .toLocaleString('en')
      .padStart(10)} /s  ${((s / n) * 1e9).toFixed(0).padStart(6)} ns/op`,
  );
}

let sink = 0;
if (want('generate') && !filters.some((f) => f.includes('verdict'))) {
  const g = new CorpusGenerator({ seed: 1n, steer: false });
  let i = 0;
  rate('generate', count, (n) => {
    for (let k = 0; k < n; k++) sink ^= g.input(i++).block[4088];
  });
}
if (want('generate+verdict')) {
  const g = new CorpusGenerator({ seed: 1n, steer: true });
  let i = 0;
  rate('generate+verdict', Math.max(1, count >> 2), (n) => {
    for (let k = 0; k < n; k++) sink ^= g.input(i++).block[4088];
  });
}
if (want('baseline-patch')) {
  const g = new CorpusGenerator({ seed: 1n, steer: false });
  const seedBlock = g.pool[0].block;
  rate('baseline-patch', count, (n) => {
    for (let k = 0; k < n; k++) {
      const b = patchPfnBlock(seedBlock, { flags: k >>> 0 });
      sink ^= verifyChecksum(b) ? 1 : 0;
    }
  });
}
for (const [name, extra, n] of [
  ['cli-head', [], 20_000],
  ['cli-image', ['--format', 'image', '--ns-size', '64M'], 5_000],
]) {
  if (!want(name)) continue;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bench-corpus-'));
  const t0 = process.hrtime.bigint();
  execFileSync(
    process.execPath,
    [path.join(root, 'dist/cli.js'), 'corpus', '--out', path.join(dir, 'c'), '--count', String(n), ...extra],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${name.padEnd(18)} ${String(n).padStart(8)} in ${s.toFixed(3)} s  ${Math.round(n / s)
      .toLocaleString('en')
      .padStart(10)} files/s (whole process, manifest and verdicts included)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}
if (sink === 0.5) console.log(sink);
