// Byte quantities and addresses are bigints: a number is a typed error naming the parameter.
import { InvalidArgumentError } from '../../src/format/errors';
import { expectU64, U64_MAX } from '../../src/format/int64';
import { thrownBy } from '../support/errors';

describe('expectU64', () => {
  test.each([
    [0n, 0n],
    [U64_MAX, U64_MAX],
    [4096n, 4096n],
  ])('%p is accepted', (v, want) => {
    expect(expectU64(v, 'nsSize')).toBe(want);
  });

  test.each([
    [4096, /^nsSize: must be a bigint \(got number\): pass 4096n$/],
    ['4096', /^nsSize: must be a bigint \(got string\): pass a bigint$/],
    [4.5, /^nsSize: must be a bigint \(got number\): pass a bigint$/],
    [undefined, /^nsSize is required \(a bigint\)$/],
    [-1n, /^nsSize: -1 is outside 0\.\.2\^64-1$/],
    [U64_MAX + 1n, /^nsSize: 18446744073709551616 is outside 0\.\.2\^64-1$/],
  ])('%p is refused: %p', (v, msg) => {
    const caught = thrownBy(() => expectU64(v, 'nsSize'));
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).code).toBe('invalid-argument');
    expect((caught as InvalidArgumentError).field).toBe('nsSize');
    expect((caught as Error).message).toMatch(msg);
  });
});
