#!/usr/bin/env node
// Corpus sweep: generate a fuzz corpus as sparse namespace images, boot them
// all under the real kernel (infoblock kernel-check's harness), and compare
// every kernel verdict with the offline validator's (the same comparison as
// the acceptance matrix, src/kernel/compare.ts). Prints each disagreement and
// exits 1 if there is any. This is how the validator learned that devdax with
// a negative data area fails with -ENOMEM and that a BTT on a label-less
// namespace stays raw.
//
//   npm run build && node scripts/kernel/corpus-sweep.js [--seed S] [--count N] [--ns-size SIZE] [--keep DIR]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('../../dist/index.js');
const { compareVerdicts, kernelCheckDetailed } = require('../../dist/kernel/index.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

async function main() {
  const seed = lib.parseSeed(arg('--seed', '1'));
  const count = Number(arg('--count', '250'));
  const nsSize = lib.parseSize(arg('--ns-size', '64M'), 'namespace size');
  const keep = arg('--keep', null);
  if (!Number.isInteger(count) || count < 1) throw new Error(`bad --count '${arg('--count')}'`);
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ib-sweep-'));
  try {
    lib.writeCorpus({ dir, count, seed, nsSize, format: 'image', force: keep !== null });
    const rows = fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const specs = rows.map((r) => ({ path: path.join(dir, r.file), base: BigInt(r.ns_base) }));
    const t0 = Date.now();
    const { verdicts, observations } = await kernelCheckDetailed(specs, { onProgress: (l) => process.stderr.write(`sweep: ${l}\n`) });
    const secs = (Date.now() - t0) / 1000;
    let agree = 0;
    rows.forEach((r, i) => {
      const obs = observations[i];
      const head = fs.readFileSync(specs[i].path).subarray(0, 8192);
      // Judge at the namespace's real guest address and name, as the kernel saw it.
      const v = lib.checkHead(head, { kernel: 'linux-6.1', nsBase: obs.guestBase, nsSize: BigInt(r.ns_size), ...(obs.namespace ? { nsName: obs.namespace } : {}) });
      const diffs = compareVerdicts(verdicts[i], v);
      if (diffs.length === 0) agree++;
      else console.log(`${r.file} (${r.mutation}): ${diffs.join('; ')}`);
    });
    const boots = new Set(observations.map((o) => o.boot)).size;
    console.log(`corpus sweep, seed ${seed}: ${agree}/${rows.length} agree (${boots} boot(s), ${secs.toFixed(1)} s)`);
    process.exitCode = agree === rows.length ? 0 : 1;
  } finally {
    if (keep === null) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`sweep: ${e.message}`);
  process.exitCode = 2;
});
