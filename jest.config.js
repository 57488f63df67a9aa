/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }] },
  // The real-kernel suite boots QEMU and runs through `npm run test:kernel`.
  testPathIgnorePatterns: ['/node_modules/', '/test/kernel/'],
  testTimeout: 120000,
};
