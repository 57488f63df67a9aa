// Scan throughput beside `cat IMAGE > /dev/null` on the same page-cached
// image, and the block checksum beside C -O2 (bench/checksum.c). Figures,
// not a test.
//
//   npm run build && node bench/scan.mjs [--size-mib 4096] [--runs 5] [--dense] [--keep FILE]
//
// The image is sparse with data: every 8th MiB (every MiB with --dense) is
// filled with pseudo-random bytes, and an info-block is planted at 4 KiB. It is
// read once before timing so both readers see the page cache. Two figures:
// in-process (scanTarget in this process against a spawned cat) and
// whole-process (`node dist/cli.js scan IMAGE --json` against
// `cat IMAGE > /dev/null`, both spawned, so node's start-up, module loading
// and the allocation-map helper count, as they do for a user).
// --keep FILE reuses FILE when it already has the asked size.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const lib = require('../dist/index.js');
const { scanTarget } = require('../dist/scan/scan.js');
const { fletcher64 } = require('../dist/format/fletcher64.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizeMiB = Number(opt('--size-mib', '4096'));
const runs = Number(opt('--runs', '5'));
const stride = args.includes('--dense') ? 1 : 8;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-bench-'));
const file = opt('--keep', path.join(dir, 'image.img'));

function makeImage() {
  fs.rmSync(file, { force: true });
  execFileSync('truncate', ['-s', `${sizeMiB}M`, file]);
  const fd = fs.openSync(file, 'r+');
  const mib = Buffer.alloc(1 << 20);
  let x = 12345;
  for (let m = 0; m < sizeMiB; m += stride) {
    for (let i = 0; i < mib.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      mib[i] = x >>> 16;
    }
    fs.writeSync(fd, mib, 0, mib.length, m * 2 ** 20);
  }
  const f = lib.recipeFields({ size: BigInt(sizeMiB) << 20n, uuid: '11111111-2222-3333-4444-555555555555' });
  fs.writeSync(fd, lib.encodePfnBlock(f), 0, 4096, 4096);
  fs.closeSync(fd);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cli.js');
if (!(opt('--keep', null) !== null && fs.existsSync(file) && fs.statSync(file).size === sizeMiB * 2 ** 20)) makeImage();
const bytes = sizeMiB * 2 ** 20;
spawnSync('sh', ['-c', `cat "${file}" > /dev/null`]); // warm the page cache
const catT = [];
const scanT = [];
const cliT = [];
let found = 0;
let cliFound = 0;
const catRun = () => {
  const r = spawnSync('sh', ['-c', 'cat "$1" > /dev/null', 'sh', file]);
  if (r.status !== 0) throw new Error(`cat failed: ${r.stderr}`);
};
const cliRun = () => {
  const r = spawnSync(process.execPath, [cli, 'scan', file, '--json'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`infoblock scan exited ${r.status}: ${r.stderr}`);
  cliFound = JSON.parse(r.stdout.toString()).findings.length;
};
cliRun(); // warm node's own files too
for (let r = 0; r < runs; r++) {
  catT.push(time(catRun));
  scanT.push(time(() => (found = scanTarget({ target: file }).findings.length)));
  cliT.push(time(cliRun));
}
const gbs = (t) => (bytes / t / 1e9).toFixed(2);
console.log(
  `machine: ${os.cpus().length} cores, node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `image: ${sizeMiB} MiB (${stride === 1 ? 'all random data' : '1/8 random data, rest sparse'}), page-cached; ` +
    `${found} structure(s) found`,
);
const secs = (t) => `${t.toFixed(3)} s`;
console.log(`cat > /dev/null          : ${gbs(median(catT))} GB/s, ${secs(median(catT))} (median of ${runs})`);
console.log(`in-process scanTarget    : ${gbs(median(scanT))} GB/s, ${secs(median(scanT))} (median of ${runs})`);
console.log(
  `whole-process scan --json: ${gbs(median(cliT))} GB/s, ${secs(median(cliT))} (median of ${runs}); ${cliFound} found`,
);
console.log(`in-process scan / cat    : ${(median(catT) / median(scanT)).toFixed(2)}x`);
console.log(`whole-process scan / cat : ${(median(catT) / median(cliT)).toFixed(2)}x`);
// Where the whole-process time beyond the read goes: node's start, the CLI's modules, and a scan
// of a 1 MiB file (start, modules, allocation-map helper, JSON out; its read costs nothing).
const small = path.join(dir, 'head-1mib.img');
{
  const head = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  fs.writeFileSync(small, head);
}
const spawnTime = (argv) => median(Array.from({ length: 7 }, () => time(() => spawnSync(process.execPath, argv))));
const tNode = spawnTime(['-e', '0']);
const tVersion = spawnTime([cli, '--version']);
const tSmall = spawnTime([cli, 'scan', small, '--json']);
console.log(
  `fixed costs (median of 7): node -e 0 ${secs(tNode)}, infoblock --version ${secs(tVersion)}, ` +
    `scan --json of a 1 MiB file ${secs(tSmall)}`,
);
const ifNodeOnly = median(catT) / (median(cliT) - tSmall + tNode);
console.log(
  `whole-process minus in-process: ${secs(median(cliT) - median(scanT))}; ` +
    `whole-process if the fixed cost were node -e 0's alone: ${ifNodeOnly.toFixed(2)}x cat`,
);
console.log(
  `load after: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

// --- checksum beside C -O2 ---------------------------------------------------
const N = 64;
const blocks = [];
for (let k = 0; k < N; k++) {
  const b = new Uint8Array(4096);
  for (let i = 0; i < 4096; i++) b[i] = (i * 2654435761 + k * 97) >>> 13;
  blocks.push(b);
}
function perBlock(fn, iters) {
  let sink = 0n;
  for (let r = 0; r < 200; r++) for (const b of blocks) sink ^= fn(b);
  const rounds = [];
  for (let round = 0; round < 9; round++) {
    const t = process.hrtime.bigint();
    for (let r = 0; r < iters / N; r++) for (const b of blocks) sink ^= fn(b);
    rounds.push(Number(process.hrtime.bigint() - t) / iters);
  }
  if (sink === -1n) console.error('unreachable'); // reads the sink so the checksums cannot be optimised away
  return median(rounds);
}
const iters = 20000 - (20000 % N);
const wasmNs = perBlock(lib.blockChecksum, iters);
const jsNs = perBlock((b) => fletcher64(b, 4088), iters);
let cNs = null;
try {
  execFileSync('gcc', [
    '-O2',
    '-o',
    path.join(dir, 'checksum'),
    path.join(path.dirname(new URL(import.meta.url).pathname), 'checksum.c'),
  ]);
  const out = execFileSync(path.join(dir, 'checksum'), [String(iters)]).toString();
  cNs = Number(/(\d+(?:\.\d+)?) ns\/block median/.exec(out)?.[1]);
} catch {
  /* no compiler: C figure skipped */
}
console.log(`checksum blockChecksum (wasm SIMD): ${wasmNs.toFixed(0)} ns/block`);
console.log(`checksum JS loop (fletcher64)     : ${jsNs.toFixed(0)} ns/block`);
if (cNs !== null) {
  console.log(`checksum C -O2                    : ${cNs.toFixed(0)} ns/block`);
  console.log(`wasm vs C: ${(cNs / wasmNs).toFixed(2)}x C speed; JS vs C: ${(cNs / jsNs).toFixed(2)}x`);
}
fs.rmSync(small, { force: true });
if (opt('--keep', null) === null) fs.rmSync(dir, { recursive: true, force: true });
