// CLI cold start: `node dist/cli.js --version` and `read -j <sample>` against
// `node -e 0`, median of N runs each (interleaved, so background load hits
// all three alike), and the ratio (target <= 1.5x). Then where the time goes:
// each require and the first decode (binary-parser compiles its parser on
// first use), timed inside fresh processes. Figures, not a test.
//
//   npm run build && node bench/cold-start.mjs [--runs 20]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist/cli.js');
const sample = path.join(root, 'samples/fsdax.head');
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 20;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timeRun(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return dt;
}

const CMDS = [
  ['node -e 0', ['-e', '0']],
  ['infoblock --version', [bin, '--version']],
  ['infoblock read -j sample', [bin, 'read', '-j', sample]],
  // The floor for `read -j` with this library: only the format modules it
  // needs, no commander, no other commands (what lazy loading could reach).
  [
    'floor: format modules only',
    [
      '-e',
      `const h=require('./dist/format/head.js'),j=require('./dist/format/ndctl-json.js');const ` +
        `b=require('fs').readFileSync(${JSON.stringify(sample)});process.stdout.write(j.ndctlJson(h.findBlocks(` +
        `b).map((block)=>({file:'x',block}))))`,
    ],
  ],
  // What lazy loading of the other commands could reach: commander plus only
  // the read and write command modules, running the same `read -j`.
  [
    'floor: commander + read/write only',
    [
      '-e',
      `const {Command}=require('commander');const p=new Command('infoblock');const ` +
        `io={stdout:(s)=>process.stdout.write(s),stderr:(s)=>process.stderr.write(s)};require('./dist/cli/read.` +
        `js').registerRead(p,io);require('./dist/cli/write.js').registerWrite(p,io);p.parseAsync(['read','-j'` +
        `,${JSON.stringify(sample)}],{from:'user'})`,
    ],
  ],
];
const times = CMDS.map(() => []);
for (const [, args] of CMDS) timeRun(args); // warm the page cache
for (let r = 0; r < RUNS; r++) CMDS.forEach(([, args], k) => times[k].push(timeRun(args)));

const base = median(times[0]);
console.log(`node ${process.version}, median of ${RUNS} runs each (interleaved)`);
for (const [k, [name]] of CMDS.entries()) {
  const m = median(times[k]);
  const ratio = m / base;
  const verdict =
    k === 0 || name.startsWith('floor')
      ? `  ratio ${ratio.toFixed(2)}x`
      : `  ratio ${ratio.toFixed(2)}x (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'MISSED'})`;
  console.log(
    `  ${name.padEnd(36)} ${m.toFixed(1).padStart(6)} ms  (min ${Math.min(...times[k]).toFixed(1)})${verdict}`,
  );
}

// Which modules does the CLI load at all?
const mods = spawnSync(
  process.execPath,
  [
    '-e',
    `const before = new Set(Object.keys(require.cache)); require('./dist/cli/index.js'); ` +
      `console.log(Object.keys(require.cache).filter((k) => !before.has(k)).map((k) => ` +
      `k.replace(${JSON.stringify(root + '/')}, '')).join('\\n'))`,
  ],
  { cwd: root, encoding: 'utf8' },
)
  .stdout.trim()
  .split('\n');
const external = [
  ...new Set(
    mods
      .filter((m) => m.startsWith('node_modules/'))
      .map((m) =>
        m
          .split('/')
          .slice(1, m.includes('/@') ? 3 : 2)
          .join('/'),
      ),
  ),
];
const cliLoads =
  `the CLI loads ${mods.length} modules: ${mods.filter((m) => m.startsWith('dist/')).length} from ` +
  `dist/, ${mods.length - mods.filter((m) => m.startsWith('dist/')).length} from node_modules ` +
  `(${external.join(', ')})`;
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// direct dependencies the CLI actually loads, in package.json order
const cliDeps = Object.keys(pkg.dependencies ?? {}).filter((d) => external.includes(d));

// --- breakdown: time each require and the first decode inside a fresh process ---
const probe = `
const t = () => Number(process.hrtime.bigint()) / 1e6;
const out = {};
let a = t();
const step = (name, fn) => { const s = t(); fn(); out[name] = t() - s; };
for (const dep of ${JSON.stringify(cliDeps)}) step('require ' + dep, () => require(dep));
step('require dist/format/pfn (builds the parser chain)', () => require('./dist/format/pfn.js'));
step('require dist/cli/index.js (the rest of what the CLI loads)', () => require('./dist/cli/index.js'));
step('require dist/index.js (library modules the CLI does not load)', () => require('./dist/index.js'));
const lib = require('./dist/index.js');
const head = require('fs').readFileSync(${JSON.stringify(sample)});
step('first decode (binary-parser compiles)', () => lib.findBlocks(head));
step('second decode', () => lib.findBlocks(head));
step('first ndctlJson', () => lib.ndctlJson(lib.findBlocks(head).map((block) => ({ file: 'x', block }))));
out['total in-process'] = t() - a;
console.log(JSON.stringify(out));
`;
const rows = [];
for (let r = 0; r < Math.max(5, Math.floor(RUNS / 2)); r++) {
  const res = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  rows.push(JSON.parse(res.stdout));
}
console.log(
  `\nwhere the time goes (ms, median of ${rows.length} fresh processes; each require counts only what ` +
    `earlier lines had not loaded):`,
);
for (const key of Object.keys(rows[0]))
  console.log(
    `  ${key.padEnd(52)} ${median(rows.map((o) => o[key]))
      .toFixed(2)
      .padStart(7)}`,
  );

// Self time of each module the CLI loads (inclusive load time minus its children's).
const selfProbe = `
const Module = require('module');
const orig = Module._load;
const stack = [];
const self = new Map();
Module._load = function (request, parent, isMain) {
  const t0 = process.hrtime.bigint();
  stack.push(0n);
  try { return orig.apply(this, arguments); }
  finally {
    const t1 = process.hrtime.bigint();
    const incl = t1 - t0;
    const children = stack.pop();
    let key = request;
    try { key = Module._resolveFilename(request, parent).replace(${JSON.stringify(root + '/')}, ''); } catch {}
    key = key.replace(/^node_modules\\/((?:@[^/]+\\/)?[^/]+).*$/, 'node_modules/$1 (all files)');
    // our own bookkeeping (the resolve above) is charged to nobody
    if (stack.length) stack[stack.length - 1] += incl + (process.hrtime.bigint() - t1);
    self.set(key, (self.get(key) || 0n) + incl - children);
  }
};
require('./dist/cli/index.js');
console.log(JSON.stringify(Object.fromEntries([...self].map(([k, v]) => [k, Number(v) / 1e6]))));
`;
const selfRows = [];
for (let r = 0; r < 5; r++) {
  const res = spawnSync(process.execPath, ['-e', selfProbe], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  selfRows.push(JSON.parse(res.stdout));
}
const keys = Object.keys(selfRows[0]);
const selfMed = keys.map((k) => [k, median(selfRows.map((o) => o[k] ?? 0))]).sort((a, b) => b[1] - a[1]);
console.log('\nslowest modules the CLI loads (self time in ms, median of 5; node_modules packages summed):');
for (const [k, v] of selfMed.slice(0, 12)) console.log(`  ${k.padEnd(52)} ${v.toFixed(2).padStart(7)}`);
console.log(`\n${cliLoads}`);
