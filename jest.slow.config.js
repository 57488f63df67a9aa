/** The slow campaigns (npm run test:slow): adversarial spawns, kill campaigns, consumer packing. */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/', '/test/kernel/'],
  testMatch: ['**/*.slow.test.ts'],
  // kill campaigns and concurrency tests measure races between their own processes: one file at a time.
  maxWorkers: 1,
  testTimeout: 600000,
};
