// Reading many heads: one `node dist/cli.js read -j <all files>` process
// against a shell loop running `ndctl read-infoblock -j -i FILE` once per
// file. The ndctl loop is timed on a sample of the files and extrapolated
// (printed as such). Figures, not a test.
//
//   npm run build && node bench/read-many.mjs [--files 10000] [--sample 500] [--runs 3]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = require(path.join(root, 'dist/index.js'));
const bin = path.join(root, 'dist/cli.js');

const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const NFILES = opt('--files', 10000);
const SAMPLE = Math.min(opt('--sample', 500), NFILES);
const RUNS = opt('--runs', 3);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-read-many-'));
try {
  // NFILES distinct valid heads (uuid varies, sizes cycle through 1..64 GiB).
  const files = [];
  for (let i = 0; i < NFILES; i++) {
    const uuid = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const f = lib.recipeFields({ size: BigInt(1 + (i % 64)) << 30n, uuid, mode: i % 2 ? 'devdax' : 'fsdax' });
    const file = path.join(dir, `h${i}.head`);
    fs.writeFileSync(file, lib.headWithBlock(lib.encodePfnBlock(f)));
    files.push(file);
  }
  const devnull = fs.openSync('/dev/null', 'w');

  // sanity: one run of ours yields NFILES objects
  const check = spawnSync(process.execPath, [bin, 'read', '-j', ...files], { maxBuffer: 1 << 30 });
  if (check.status !== 0) throw new Error(`infoblock read failed: ${check.stderr}`);
  const n = JSON.parse(check.stdout.toString()).length;
  if (n !== NFILES) throw new Error(`expected ${NFILES} blocks, got ${n}`);

  const ours = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, [bin, 'read', '-j', ...files], { stdio: ['ignore', devnull, devnull] });
    ours.push(ms(t0));
    if (res.status !== 0) throw new Error('infoblock read failed');
  }
  const oursMs = median(ours);
  console.log(
    `infoblock read -j, ${NFILES} files in one process: ${oursMs.toFixed(0)} ms (median ` +
      `of ${RUNS}: ${ours.map((x) => x.toFixed(0)).join(', ')}), ${((oursMs * 1e3) / NFILES).toFixed(1)} ` +
      `µs/file`,
  );

  const haveNdctl = spawnSync('ndctl', ['--version']).status === 0;
  if (!haveNdctl) {
    console.log('ndctl not found: no comparison');
  } else {
    const list = path.join(dir, 'sample.list');
    fs.writeFileSync(list, files.slice(0, SAMPLE).join('\n') + '\n');
    const loop = `while IFS= read -r f; do ndctl read-infoblock -j -i "$f"; done < "${list}"`;
    const nd = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = process.hrtime.bigint();
      const res = spawnSync('sh', ['-c', loop], { stdio: ['ignore', devnull, devnull] });
      nd.push(ms(t0));
      if (res.status !== 0) throw new Error('ndctl loop failed');
    }
    const ndSample = median(nd);
    const ndAll = (ndSample * NFILES) / SAMPLE;
    console.log(
      `ndctl read-infoblock -j -i FILE, shell loop: ${ndSample.toFixed(0)} ms for ${SAMPLE} files (median ` +
        `of ${RUNS}: ${nd.map((x) => x.toFixed(0)).join(', ')}), ` +
        (`${((ndSample * 1e3) / SAMPLE).toFixed(0)} µs/file; extrapolated to ${NFILES} ` +
          `files: ${(ndAll / 1000).toFixed(1)} s`),
    );
    const speedup = ndAll / oursMs;
    console.log(`speedup: ${speedup.toFixed(0)}x (target >= 50x: ${speedup >= 50 ? 'met' : 'MISSED'})`);
  }
  fs.closeSync(devnull);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
