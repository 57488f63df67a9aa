// A skipped test always says why (issue 22, item 8): every skip in test/ goes through test/support/skip.ts,
// which puts the reason in the test's name, and the skip reporter prints each skipped test at the end of
// `npm test` and `npm run test:slow`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skippedName } from './support/skip';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { skippedLines } = require('./support/skip-reporter.js') as {
  skippedLines: (results: object, rootDir: string) => string[];
};

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => /\.(ts|js)$/.test(f));
}

test('no test file skips without a reason: every skip goes through testIf/describeIf', () => {
  const own = path.join(__dirname, 'support/skip.ts');
  const bare = files(__dirname)
    .filter((f) => f !== own && f !== __filename)
    .filter((f) => /\b(test|it|describe)\.skip\b|\bxit\(|\bxdescribe\(/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(__dirname, f));
  expect(bare).toEqual([]);
});

test('the reporter lists each skipped test with its file and reason; a bare skip is flagged', () => {
  const root = '/r';
  const results = {
    testResults: [
      {
        testFilePath: '/r/test/a.test.ts',
        testResults: [
          { status: 'passed', fullName: 'runs', ancestorTitles: [], title: 'runs' },
          { status: 'pending', fullName: skippedName('zsh parses', 'zsh is not installed'), ancestorTitles: [] },
          { status: 'pending', fullName: 'old style', ancestorTitles: [], title: 'old style' },
        ],
      },
    ],
  };
  expect(skippedLines(results, root)).toEqual([
    '2 skipped test(s), each with its reason:',
    '  test/a.test.ts: zsh parses (skipped: zsh is not installed)',
    '  test/a.test.ts: old style (skipped: no reason given)',
  ]);
  expect(skippedLines({ testResults: [] }, root)).toEqual([]);
});

test('jest.config.js and jest.slow.config.js use the reporter', () => {
  for (const config of ['../jest.config.js', '../jest.slow.config.js']) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const c = require(config) as { reporters?: unknown[] };
    expect(c.reporters).toContain('<rootDir>/test/support/skip-reporter.js');
  }
});
