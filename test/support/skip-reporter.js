// A jest reporter that lists every skipped test at the end of the run, with its file and full name (the name
// carries the reason: test/support/skip.ts), so a skip is never silent.
'use strict';
const path = require('node:path');

/** The lines the reporter prints for jest's aggregated results (exported for its test). */
function skippedLines(results, rootDir, filtered = false) {
  const lines = [];
  for (const file of results.testResults) {
    for (const t of file.testResults) {
      if (t.status !== 'pending' && t.status !== 'skipped' && t.status !== 'todo') continue;
      const name = t.fullName || [...t.ancestorTitles, t.title].join(' ');
      const reasoned = /\(skipped: [^)]*\)/.test(name);
      if (filtered && !reasoned) continue; // left out by -t / --testNamePattern, not skipped
      const why = reasoned ? '' : ' (skipped: no reason given)';
      lines.push(`  ${path.relative(rootDir, file.testFilePath)}: ${name}${why}`);
    }
  }
  return lines.length === 0 ? [] : [`${lines.length} skipped test(s), each with its reason:`, ...lines];
}

class SkipReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.filtered = Boolean(globalConfig.testNamePattern);
  }
  onRunComplete(_contexts, results) {
    const lines = skippedLines(results, this.rootDir, this.filtered);
    if (lines.length > 0) process.stderr.write(`\n${lines.join('\n')}\n`);
  }
}

module.exports = SkipReporter;
module.exports.skippedLines = skippedLines;
