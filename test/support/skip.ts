// Conditional tests that say why they are skipped: when the condition fails, the test (or every test of the
// describe block) is registered skipped with ` (skipped: REASON)` in its name, and the skip reporter
// (test/support/skip-reporter.js, in jest.config.js) prints each skipped test's full name at the end of the
// run. Every skip in test/ goes through here (test/skip-reasons.test.ts holds it).

/** Where a condition is not met: the reason, as the skipped test's name carries it. */
export const skippedName = (name: string, reason: string): string => `${name} (skipped: ${reason})`;

/** `test` when `ok`, else a skipped test whose name says why. */
export function testIf(ok: boolean, reason: string): jest.It {
  if (ok) return test;
  const skip = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) =>
    test.skip(skippedName(name, reason), fn, timeout)) as jest.It;
  skip.each = ((table: readonly unknown[]) => (name: string, fn: (...args: unknown[]) => unknown, timeout?: number) =>
    test.skip.each(table as unknown[][])(skippedName(name, reason), fn, timeout)) as unknown as jest.Each;
  return skip;
}

/** `describe` when `ok`, else a skipped block whose name says why (each test inside is reported with it). */
export function describeIf(ok: boolean, reason: string): jest.Describe {
  if (ok) return describe;
  const skip = ((name: string, fn: jest.EmptyFunction) =>
    describe.skip(skippedName(name, reason), fn)) as unknown as jest.Describe;
  skip.each = ((table: readonly unknown[]) => (name: string, fn: (...args: unknown[]) => unknown, timeout?: number) =>
    describe.skip.each(table as unknown[][])(skippedName(name, reason), fn, timeout)) as unknown as jest.Each;
  return skip;
}
