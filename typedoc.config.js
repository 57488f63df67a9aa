// TypeDoc (`npm run docs`): one page per package entry point, the entry
// points read from package.json `exports` (each `./dist/<name>/index.js`
// subpath is `src/<name>/index.ts`, `.` is `src/index.ts`), so a new subpath
// (scan and recover were missing from the hand-written list) is documented
// without editing this file. test/package/api-docs.test.ts
// checks the pages.
'use strict';
const pkg = require('./package.json');

/** The source file behind a `require` target of the exports map, or null for non-code subpaths. */
function sourceOf(target) {
  const file = typeof target === 'object' && target !== null ? target.require?.default : null;
  const m = typeof file === 'string' ? /^\.\/dist\/(?:(.+)\/)?index\.js$/.exec(file) : null;
  return m === null ? null : m[1] === undefined ? 'src/index.ts' : `src/${m[1]}/index.ts`;
}

module.exports = {
  $schema: 'https://typedoc.org/schema.json',
  name: 'nd-infoblock',
  // The root entry last: a symbol is documented on the page of the first entry point that exports it, and
  // the root re-exports the layers.
  entryPoints: Object.values(pkg.exports)
    .map(sourceOf)
    .filter((f) => f !== null)
    .sort((a, b) => Number(a === 'src/index.ts') - Number(b === 'src/index.ts')),
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  readme: 'none',
  excludeInternal: true,
  excludePrivate: true,
  treatWarningsAsErrors: true,
  validation: { invalidLink: true, notExported: false },
  disableSources: true,
};
