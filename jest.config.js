/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only (tsconfig.jest.json sets isolatedModules): ts-jest then skips its per-file type check,
  // which `npm test` runs once for src, tests, bench and scripts beforehand (`npm run typecheck`).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: [151002] } }] },
  // One worker per core (jest's default leaves one core idle: on a 2-core machine that halves npm test).
  maxWorkers: '100%',
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
