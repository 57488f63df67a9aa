/**
 * `infoblock kernel-check` argument errors: caught before any download or
 * boot, one `infoblock:` line, exit 2, no stack trace.
 */
import { looksLikeStack, run } from '../support/run';

describe('kernel-check: bad arguments', () => {
  test.each([
    [['kernel-check', '--kernel', '6.6', 'a.img@4G'], "unknown kernel version '6.6': use one of 5.10, 6.1, 6.12, 7.2"],
    [
      ['kernel-check', '--kernel', 'latest', 'a.img@4G'],
      "unknown kernel version 'latest': use one of 5.10, 6.1, 6.12, 7.2",
    ],
    [
      ['kernel-check', '--kernel', '7.2', '--kernel-image', 'bz', '--modules', 'm', 'a.img@4G'],
      '--kernel and --kernel-image exclude each other',
    ],
    [
      ['kernel-check', '--kernel', '6.1', 'a.img'],
      "bad image spec 'a.img': expected IMG@ADDR, e.g. ns.img@0x100000000",
    ],
    [['kernel-check', 'a.img@4X'], "bad address '4X': use 0x hex, decimal, or a K/M/G/T suffix"],
  ])('%j', async (argv, line) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`infoblock: ${line}`]);
    expect(r.out).toBe('');
    expect(looksLikeStack(r.stderr)).toBe(false);
  });
});
