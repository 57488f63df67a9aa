/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  // `npm test` stays fast: the suites that boot QEMU (test/kernel/*.boot.test.ts and the four named ones)
  // run through `npm run test:kernel`, the slow campaigns (*.slow.test.ts: many spawned processes, kills,
  // packing) through `npm run test:slow`. CI runs all three.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/kernel/(harness|matrix|recover|labels)\\.test\\.ts$',
    '/test/kernel/.*\\.boot\\.test\\.ts$',
    '\\.slow\\.test\\.ts$',
  ],
  testTimeout: 120000,
  // Every skipped test is listed at the end of the run with its reason (test/support/skip.ts).
  reporters: ['default', '<rootDir>/test/support/skip-reporter.js'],
};
