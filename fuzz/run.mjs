#!/usr/bin/env node
// Time-boxed coverage-guided fuzzing with jsfuzz, seeded with our own corpus.
//
//   node fuzz/run.mjs [--seconds N] [--seed S] [--count N] [--work DIR]
//   (npm run fuzz -- --seconds 20; FUZZ_SECONDS works too; default 60)
//
// jsfuzz has no time limit of its own, so we run it in its own process
// group and stop the group when the time is up. Exit status: 0 no finding,
// 1 a finding (the input is saved as WORK/crash and printed in hex), 2 setup.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  return fallback;
}
const seconds = Number(arg('seconds', process.env.FUZZ_SECONDS ?? '60'));
const seed = BigInt(arg('seed', process.env.FUZZ_SEED ?? '1'));
const count = Number(arg('count', '600'));
const work = path.resolve(arg('work', path.join(here, '.work')));
if (!(seconds > 0) || !(count > 0)) {
  console.error('fuzz: --seconds and --count must be positive');
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'dist/corpus/generate.js'))) {
  console.error('fuzz: dist/ is missing: run `npm run build` first');
  process.exit(2);
}

// Seed corpus: bare 4 KiB blocks (jsfuzz keeps inputs at most 4096 bytes), one per kernel profile's aims.
const { CorpusGenerator } = require(path.join(root, 'dist/corpus/generate.js'));
const { withFreshChecksum } = require(path.join(root, 'dist/format/fletcher64.js'));
const corpusDir = path.join(work, 'corpus');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(corpusDir, { recursive: true });
const profiles = ['linux-6.1', 'linux-latest', 'linux-4.x', 'map'];
const perProfile = Math.ceil(count / profiles.length);
profiles.forEach((kernel, p) => {
  const gen = new CorpusGenerator({ seed, kernel, steer: false });
  for (const input of gen.inputs(perProfile)) {
    const block = Buffer.from(input.block);
    // Padding bytes 4000..4002 select base, size and profile in the target: point them at this input's.
    block[4000] = [0n, 4n << 30n, (4n << 30n) + (1n << 20n), (4n << 30n) + (2n << 20n)].indexOf(input.nsBase) & 0xff;
    block[4001] = [16n << 20n, 33n << 20n, 64n << 20n, (2n << 30n) + (4n << 20n)].indexOf(input.nsSize) & 0xff;
    block[4002] = p;
    // Keep the seed's aim: only checksum-aimed seeds stay broken.
    if (input.checksumValid) block.set(withFreshChecksum(block));
    fs.writeFileSync(path.join(corpusDir, `seed-${p}-${input.index}`), block);
  }
});

const jsfuzz = path.join(root, 'node_modules/jsfuzz/build/src/index.js');
const crashPath = path.join(work, 'crash');
const child = spawn(
  process.execPath,
  [
    jsfuzz,
    path.relative(root, path.join(here, 'target.js')),
    corpusDir,
    '--exact-artifact-path',
    crashPath,
    '--versifier',
    'false',
  ],
  {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
// istanbul instruments everything the worker requires, its own babel helpers included, and says so; keep the rest.
const NOISE = [
  /^Transformation error for .*node_modules/,
  /^Cannot access '.' before initialization/,
  /^\(0 , _helper/,
  /Accessing non-existent property 'default'/,
  /--trace-warnings/,
];
let err = '';
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk) => {
  err += chunk;
  let nl;
  while ((nl = err.indexOf('\n')) !== -1) {
    const line = err.slice(0, nl);
    err = err.slice(nl + 1);
    if (!NOISE.some((re) => re.test(line))) process.stderr.write(`fuzz: ${line}\n`);
  }
});

let last = { execs: 0, cov: 0, corp: 0 };
let finding = false;
let out = '';
const started = Date.now();
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  out += chunk;
  let nl;
  while ((nl = out.indexOf('\n')) !== -1) {
    const line = out.slice(0, nl);
    out = out.slice(nl + 1);
    const m = /^#(\d+) (\w+)\s+cov: (\d+) corp: (\d+) exec\/s: (\d+)/.exec(line);
    if (m) {
      last = { execs: Number(m[1]), cov: Number(m[3]), corp: Number(m[4]) };
      if (m[2] === 'PULSE') console.log(`fuzz: ${line}`);
    } else if (/crash was written|Error|Finding|=====/.test(line) || finding) {
      finding = true;
      console.log(`fuzz: ${line}`);
    }
  }
});

const stop = () => {
  try {
    process.kill(-child.pid, 'SIGKILL'); // the group we started: jsfuzz and its worker
  } catch {
    /* already gone */
  }
};
const timer = setTimeout(stop, seconds * 1000);
child.on('exit', (code) => {
  clearTimeout(timer);
  stop();
  const elapsed = (Date.now() - started) / 1000;
  if (fs.existsSync(crashPath)) finding = true;
  if (code !== null && code !== 0) finding = true;
  const rate = Math.round(last.execs / elapsed);
  console.log(
    `fuzz: ${last.execs} executions in ${elapsed.toFixed(1)} s (${rate} exec/s), coverage ${last.cov}, ` +
      `corpus ${last.corp}, findings ${finding ? 1 : 0}`,
  );
  if (finding) console.log(`fuzz: finding saved as ${crashPath}`);
  process.exit(finding ? 1 : 0);
});
