#!/usr/bin/env node
// `npm run gen:format-docs`: write what src/format's field tables say in
// other tools' languages (formats/nd_pfn_info.ksy, formats/btt_info.ksy,
// formats/nd-infoblock.magic), the layout tables of docs/format.md and the
// block-field descriptions of schemas/. test/format/spec.test.ts fails when a
// committed file no longer matches the tables.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const prettier = require('prettier');

const root = path.join(__dirname, '..');
const spec = require('../dist/format/spec.js');

function write(rel, text) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.writeFileSync(file, text);
  console.log(`gen-format-docs: ${rel}`);
}

async function main() {
  write('formats/nd_pfn_info.ksy', spec.kaitaiPfn());
  write('formats/btt_info.ksy', spec.kaitaiBtt());
  write('formats/nd-infoblock.magic', spec.magicFragment());

  let doc = fs.readFileSync(path.join(root, 'docs/format.md'), 'utf8');
  for (const [name, body] of Object.entries(spec.FORMAT_DOC_SECTIONS)) doc = spec.withSection(doc, name, body());
  write('docs/format.md', doc);

  const options = { ...(await prettier.resolveConfig(path.join(root, 'schemas/x.json'))), parser: 'json' };
  for (const name of fs.readdirSync(path.join(root, 'schemas')).filter((n) => n.endsWith('.schema.json'))) {
    const rel = `schemas/${name}`;
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    const described = JSON.stringify(spec.withFieldDescriptions(JSON.parse(text)), null, 2);
    if (described !== JSON.stringify(JSON.parse(text), null, 2)) write(rel, await prettier.format(described, options));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
