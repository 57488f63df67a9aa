// Size strings (ndctl syntax, strtoull base 0 plus one binary suffix) and
// humanSize.
import { InvalidArgumentError, humanSize, parseSize } from '../../src/index';
import { thrownBy } from '../support/errors';

const K = 1024n;
const M = K * K;
const G = M * K;
const T = G * K;

describe('parseSize accepts', () => {
  test.each([
    ['0', 0n],
    ['1', 1n],
    ['4096', 4096n],
    ['1k', K],
    ['1K', K],
    ['4k', 4n * K],
    ['2m', 2n * M],
    ['2M', 2n * M],
    ['1g', G],
    ['1G', G],
    ['16G', 16n * G],
    ['3t', 3n * T],
    ['3T', 3n * T],
    ['0x200000', 0x200000n],
    ['0X200000', 0x200000n],
    ['0xABCdef', 0xabcdefn],
    ['0x100100000', 0x100100000n],
    ['0x10M', 16n * M],
    ['010', 8n],
    ['067', 55n],
    ['010M', 8n * M],
    ['00', 0n],
    [' 1G', G],
    ['\t 2M', 2n * M],
    ['18446744073709551614', (1n << 64n) - 2n],
    ['0xfffffffffffffffe', (1n << 64n) - 2n],
    ['16777215T', 16777215n * T],
  ])('%j = %s', (text, expected) => {
    expect(parseSize(text)).toBe(expected);
  });
});

describe('parseSize rejects with InvalidArgumentError', () => {
  test.each([
    ['64MiB'],
    ['1.5G'],
    ['-1'],
    ['-2'],
    ['+1'],
    ['16E'],
    ['1P'],
    ['16777216T'], // 2^64: overflow
    ['17179869184G'], // 2^64
    ['0x10000000000000000'], // 2^64
    ['18446744073709551615'], // 2^64-1 is ndctl's failure sentinel
    ['0xffffffffffffffff'],
    ['99999999999999999999999'],
    ['foo'],
    [' '],
    ['1G '],
    ['1 G'],
    ['MM'],
    ['2MM'],
    ['1e6'],
    ['0x'],
    ['08'],
    ['09'],
    ['1_000'],
    ['１'], // full-width digit
  ])('%j', (text) => {
    const caught = thrownBy(() => parseSize(text));
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toMatchObject({ code: 'invalid-argument' });
  });

  test('the error names what was parsed and the text', () => {
    expect(() => parseSize('foo', 'namespace size')).toThrow("failed to parse namespace size 'foo'");
  });
});

describe('humanSize', () => {
  test.each([
    [0n, '0 B'],
    [1n, '1 B'],
    [1023n, '1023 B'],
    [1024n, '1 KiB'],
    [4096n, '4 KiB'],
    [2n * M, '2 MiB'],
    [G, '1 GiB'],
    [16n * G, '16 GiB'],
    [T, '1 TiB'],
    [1024n * T, '1 PiB'],
    [1n << 60n, '1 EiB'],
    [1n << 63n, '8 EiB'],
    [(3n * G) / 2n, '1.50 GiB'],
    [M + 512n * K, '1.50 MiB'],
    [1536n, '1.50 KiB'],
    [0x100100000n, '4.00 GiB'],
  ])('%s → %s', (n, text) => {
    expect(humanSize(n)).toBe(text);
  });
});
