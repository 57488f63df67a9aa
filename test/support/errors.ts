// What a call throws, for tests that assert on the error: one place for the
// try/catch that captures it. A call that returns fails the test here.

/** The value `fn` throws; throws itself (failing the test) when `fn` returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw, but it returned');
}
