#!/usr/bin/env node
// `npm start`: the main job on the bundled samples. For each sample head:
// decode it (read), then ask the validator what Linux 6.1 does with it at the
// namespace base it was made for (check), and draw the namespace (explain).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { runCli } = require('../dist/cli/index.js');

// Namespace each sample was made for (samples/README.md): base and size.
const NAMESPACES = {
  'fsdax.head': { base: '0', size: '1G' },
  'devdax.head': { base: '0', size: '1G' },
  'fsdax-map-mem.head': { base: '0', size: '1G' },
  'legacy-startpad.head': { base: '0x100100000', size: '1G' },
  'ndctl-O.head': { base: '0x100100000', size: '1G' },
  'map-startpad.head': { base: '0x100100000', size: '1G', kernels: ['linux-6.1', 'map'] },
  'btt.head': { base: '0', size: '1G' },
};

async function main() {
  const dir = path.join(__dirname, '..', 'samples');
  const heads = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.head'))
    .sort();
  if (heads.length === 0) throw new Error(`no sample heads in ${dir}`);
  let failures = 0;
  for (const name of heads) {
    const file = path.join('samples', name);
    const ns = NAMESPACES[name] ?? { base: '0', size: '1G' };
    console.log(`\n=== ${file}  (namespace ${ns.size} at ${ns.base})`);
    if ((await runCli(['read', file])) !== 0) failures++;
    for (const kernel of ns.kernels ?? ['linux-6.1']) {
      const code = await runCli(['check', file, '--ns-base', ns.base, '--ns-size', ns.size, '--kernel', kernel]);
      if (code === 2) failures++;
    }
    if ((await runCli(['explain', file, '--ns-base', ns.base, '--ns-size', ns.size])) !== 0) failures++;
  }
  console.log(`\n${heads.length} samples processed${failures === 0 ? '' : `, ${failures} command(s) failed`}`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(`demo: ${e.message}`);
  process.exitCode = 2;
});
