/** Real-kernel acceptance suite: boots Linux under QEMU (npm run test:kernel). */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/kernel/**/*.test.ts'],
  // one QEMU guest at a time: boots share the asset cache and their timeouts assume a core of their own.
  maxWorkers: 1,
  testTimeout: 3600000,
};
