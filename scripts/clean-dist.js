#!/usr/bin/env node
// `npm pack` / `npm publish` (prepack): start from an empty dist/ so no file
// left by an older build or a stray `tsc -p tsconfig.json` ends up in the package.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
