/** The slow campaigns (npm run test:slow): adversarial spawns, kill campaigns, consumer packing. */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/', '/test/kernel/'],
  testMatch: ['**/*.slow.test.ts'],
  testTimeout: 600000,
};
