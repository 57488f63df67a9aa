/** Real-kernel acceptance suite: boots Linux under QEMU (npm run test:kernel). */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/kernel/**/*.test.ts'],
  testTimeout: 3600000,
};
