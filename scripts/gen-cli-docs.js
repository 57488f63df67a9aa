#!/usr/bin/env node
// `npm run gen:cli-docs`: write the man page, the bash and zsh completions
// and the README's exit-status table from the built CLI's command
// definitions (dist/cli). test/cli/docs.test.ts fails when these committed
// files no longer match the commands.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { buildProgram, packageVersion } = require('../dist/cli/index.js');
const docs = require('../dist/cli/docs.js');

const START = '<!-- exit-status:start (npm run gen:cli-docs) -->';
const END = '<!-- exit-status:end -->';

function write(rel, text) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`gen-cli-docs: ${rel}`);
}

const quiet = { stdout: () => {}, stderr: () => {} };
const program = buildProgram(quiet);
write('docs/infoblock.1', docs.manPage(program, packageVersion()));
write('completions/infoblock.bash', docs.bashCompletion(program));
write('completions/_infoblock', docs.zshCompletion(program));

const readmePath = path.join(root, 'README.md');
const readme = fs.readFileSync(readmePath, 'utf8');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a === -1 || b < a) throw new Error(`README.md has no ${START} ... ${END} block`);
write('README.md', `${readme.slice(0, a + START.length)}\n${docs.exitStatusTable(program)}\n${readme.slice(b)}`);
