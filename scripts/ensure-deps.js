#!/usr/bin/env node
// npm start / npm test set-up: install exactly what package-lock.json pins,
// with `npm ci`, when node_modules is missing or was installed from another
// lock file. `npm ci` refuses a lock file that drifted from package.json, so
// a drifting lock fails here (and in CI) instead of being rewritten quietly.
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.nd-infoblock-lock.sha256');
const want = createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
let have = '';
try {
  have = fs.readFileSync(stamp, 'utf8').trim();
} catch {
  /* never installed by us */
}
if (have !== want) {
  console.error('ensure-deps: npm ci (node_modules does not match package-lock.json)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(stamp, `${want}\n`);
}
