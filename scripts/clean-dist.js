#!/usr/bin/env node
// dist/ hygiene.
//   node scripts/clean-dist.js            empty dist/ (prepack: a publish starts from nothing)
//   node scripts/clean-dist.js --orphans  after tsc: delete build output whose source file is gone
//                                         (a renamed or deleted src/*.ts), so a stale module can
//                                         neither be loaded nor shipped; files in use are untouched.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** src/X.ts for dist/X.js, .js.map, .d.ts, .mjs or .d.mts; null for anything else. */
function sourceOf(rel) {
  const m = /^(.*?)(\.d\.mts|\.d\.ts|\.js\.map|\.js|\.mjs)$/.exec(rel);
  return m === null ? null : path.join(root, 'src', `${m[1]}.ts`);
}

function prune(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      prune(full);
      if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
      continue;
    }
    const src = sourceOf(path.relative(dist, full));
    if (src === null || !fs.existsSync(src)) {
      fs.rmSync(full);
      console.error(`clean-dist: removed stale ${path.relative(root, full)}`);
    }
  }
}

if (process.argv.includes('--orphans')) {
  if (fs.existsSync(dist)) prune(dist);
} else {
  fs.rmSync(dist, { recursive: true, force: true });
}
