// Packing speed beside the copy it has to beat: `infoblock pack` (the
// library's packImage) against `cp --sparse=always` of the same filesystem
// image on the same filesystem. Figures, not a test.
//
//   npm run build && node bench/pack.mjs [--runs 5] [--sparse-gib 4] [--dense-mib 1024] [--case sparse|dense]
//
// sparse: a 4 GiB ext4 (mkfs.ext4 -b 4096 -d DIR over a sparse file) holding
//   a few MiB of files: mostly holes. Target: within 2x cp --sparse=always.
// dense: a 1 GiB ext4 filled with one pseudo-random file. Target: within
//   1.5x cp.
// Each case also times the zero-skipping fallback (no cp/fallocate on PATH)
// for the record. Inputs are read once first so every copy sees the page
// cache; outputs are removed between runs (and each run ends with an fsync).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { packImage } = require('../dist/pack/index.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt('--runs', '5'));
const sparseGiB = Number(opt('--sparse-gib', '4'));
const denseMiB = Number(opt('--dense-mib', '1024'));
const only = opt('--case', null);
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'pack-bench-'));

function sh(cmd, a) {
  return execFileSync(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function pseudoRandom(bytes, seed) {
  const b = Buffer.alloc(bytes);
  let x = seed >>> 0;
  for (let i = 0; i < b.length; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

function makeSparse() {
  const root = path.join(dir, 'sparse-root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'hostname'), 'bench\n');
  fs.writeFileSync(path.join(root, 'blob'), pseudoRandom(8 << 20, 1));
  const img = path.join(dir, 'sparse.ext4');
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, img, `${sparseGiB}G`]);
  return img;
}

function makeDense() {
  const root = path.join(dir, 'dense-root');
  fs.mkdirSync(root, { recursive: true });
  const fd = fs.openSync(path.join(root, 'data'), 'w');
  const chunk = pseudoRandom(1 << 20, 7);
  for (let m = 0; m < denseMiB - 64; m++) {
    chunk.writeUInt32LE(m, 0);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  const img = path.join(dir, 'dense.ext4');
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', '-m', '0', '-d', root, img, `${denseMiB}M`]);
  fs.rmSync(root, { recursive: true, force: true });
  return img;
}

function warm(file) {
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // into the page cache
}

function timeIt(f) {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fsyncFile(file) {
  const fd = fs.openSync(file, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

function bench(name, img, target) {
  warm(img);
  const out = path.join(dir, 'out.img');
  const cpTimes = [];
  const packTimes = [];
  const fallbackTimes = [];
  let method = '';
  for (let r = 0; r < runs; r++) {
    fs.rmSync(out, { force: true });
    cpTimes.push(
      timeIt(() => {
        sh('cp', ['--sparse=always', img, out]);
        fsyncFile(out);
      }),
    );
    fs.rmSync(out, { force: true });
    packTimes.push(timeIt(() => (method = packImage(img, out).copy)));
    fs.rmSync(out, { force: true });
    if (r < Math.min(runs, 3)) {
      const saved = process.env.PATH;
      process.env.PATH = path.join(dir, 'no-tools');
      try {
        fallbackTimes.push(timeIt(() => packImage(img, out)));
      } finally {
        process.env.PATH = saved;
      }
      fs.rmSync(out, { force: true });
    }
  }
  const cp = median(cpTimes);
  const pack = median(packTimes);
  const fb = median(fallbackTimes);
  const size = fs.statSync(img).size;
  const alloc = fs.statSync(img).blocks * 512;
  console.log(
    `${name}: ${(size / 2 ** 20).toFixed(0)} MiB image, ${(alloc / 2 ** 20).toFixed(1)} MiB allocated; ` +
      `medians of ${runs}\n` +
      `  cp --sparse=always  ${cp.toFixed(1)} ms\n` +
      `  pack (${method})     ${pack.toFixed(1)} ms  = ${(pack / cp).toFixed(2)}x cp (target <= ${target}x)\n` +
      `  pack (zero-skip fallback, ${fallbackTimes.length} runs) ${fb.toFixed(1)} ms = ${(fb / cp).toFixed(2)}x cp`,
  );
}

try {
  console.log(
    `machine: ${os.cpus().length} cores, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (only === null || only === 'sparse') bench(`sparse ${sparseGiB} GiB ext4`, makeSparse(), 2);
  if (only === null || only === 'dense') bench(`dense ${denseMiB} MiB ext4`, makeDense(), 1.5);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
