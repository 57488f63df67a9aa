/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  // The suites that boot QEMU run through `npm run test:kernel`; the harness's unit tests run here too.
  testPathIgnorePatterns: ['/node_modules/', '/test/kernel/(harness|matrix|recover|labels)\\.test\\.ts$'],
  testTimeout: 120000,
};
