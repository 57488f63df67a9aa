#!/usr/bin/env node
// Corpus sweep: generate a fuzz corpus as sparse namespace images judged by
// the validator under PROFILE, boot them all under a real kernel and compare
// every kernel verdict with its manifest row's prediction: the same code as
// `infoblock kernel-check --compare MANIFEST` (src/kernel/manifest.ts, with
// the acceptance matrix's comparison, src/kernel/compare.ts). Prints each
// disagreement and exits 1 if there is any. Images the validator predicts to
// crash the guest boot alone up front instead of being found by bisection.
// This is how the validator learned that devdax with a negative data area
// fails with -ENOMEM and that a BTT on a label-less namespace stays raw.
//
//   npm run build && node scripts/kernel/corpus-sweep.js [--kernel 6.1] [--seed S] [--count N]
//       [--ns-size SIZE] [--profile KERNEL (default: the booted kernel's version)] [--parallel N]
//       [--per-boot N] [--obs FILE] [--keep DIR]
//
// --obs FILE writes one JSON line per image: {"kernel", "version", "seed", "index", "file", "mutation",
// "observed": {outcome, errno, message, messages, data_start, data_size}} (bigints as decimal strings).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('../../dist/index.js');
const kernelLib = require('../../dist/kernel/index.js');
const kernels = require('../../dist/kernel/kernels.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

function observed(v) {
  return {
    outcome: v.outcome,
    errno: v.errno,
    message: v.message,
    messages: v.messages,
    data_start: v.dataStart === null ? null : v.dataStart.toString(),
    data_size: v.dataSize === null ? null : v.dataSize.toString(),
  };
}

async function main() {
  const kernel = kernels.parseKernelVersion(arg('--kernel', kernels.DEFAULT_KERNEL));
  const profile = arg('--profile', kernel);
  const seed = lib.parseSeed(arg('--seed', '1'));
  const count = Number(arg('--count', '250'));
  const nsSize = lib.parseSize(arg('--ns-size', '64M'), 'namespace size');
  const keep = arg('--keep', null);
  const obsFile = arg('--obs', null);
  const parallel = arg('--parallel', null);
  const perBoot = Number(arg('--per-boot', '256'));
  if (!Number.isInteger(count) || count < 1) throw new Error(`bad --count '${arg('--count')}'`);
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ib-sweep-'));
  try {
    const tg = Date.now();
    lib.writeCorpus({ dir, count, seed, nsSize, kernel: profile, format: 'image', force: keep !== null });
    const rows = await kernelLib.readManifest(path.join(dir, 'manifest.jsonl'));
    const genSecs = (Date.now() - tg) / 1000;
    const t0 = Date.now();
    const opts = { kernel, maxPerBoot: perBoot, onProgress: (l) => process.stderr.write(`sweep: ${l}\n`) };
    if (parallel !== null) opts.parallel = Number(parallel);
    const compared = await kernelLib.bootManifest(rows, dir, opts);
    const secs = (Date.now() - t0) / 1000;
    let agree = 0;
    const lines = [];
    compared.forEach(({ row, verdict, observation, differences }, i) => {
      if (differences.length === 0) agree++;
      else console.log(`${row.file} (${row.mutation}): ${differences.join('; ')}`);
      lines.push(
        JSON.stringify({
          kernel: observation.kernelRelease ?? kernel,
          version: kernel,
          seed: String(seed),
          index: i,
          file: row.file,
          mutation: row.mutation,
          observed: observed(verdict),
        }),
      );
    });
    const observations = compared.map((c) => c.observation);
    if (obsFile !== null) fs.writeFileSync(obsFile, `${lines.join('\n')}\n`);
    const boots = observations[0]?.boots ?? 0;
    const isolated = rows.filter((r) => r.outcome === 'crashed').length;
    const crashed = observations.filter((o) => o.crash !== null).length;
    console.log(
      `corpus sweep, Linux ${kernel} vs ${profile}, seed ${seed}: ${agree}/${rows.length} agree; ${boots} boot(s) ` +
        `(${isolated} predicted crash(es) booted alone, ${crashed} crashed), ${secs.toFixed(1)} s booting ` +
        `(+${genSecs.toFixed(1)} s corpus): ${((rows.length / secs) * 60).toFixed(0)} images/min`,
    );
    process.exitCode = agree === rows.length ? 0 : 1;
  } finally {
    if (keep === null) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`sweep: ${e.message}`);
  process.exitCode = 2;
});
