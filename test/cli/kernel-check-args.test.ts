/**
 * `infoblock kernel-check` argument errors: caught before any download or
 * boot, one `infoblock:` line with the specific error, exit 2, no stack
 * trace; under --json the same words as an error document with its code.
 */
import * as fs from 'node:fs';
import { json, looksLikeStack, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('kernel-check-args');
let img: string;
beforeAll(() => {
  img = tmp.file('a.img', '');
  fs.truncateSync(img, 64 << 20);
  tmp.file('old.jsonl', '{"file":"a.img","ns_base":4296015872}\n');
  tmp.file('empty.jsonl', '\n');
});

describe('kernel-check: bad arguments', () => {
  const MANIFEST = 'urn:nd-infoblock:schema:corpus-manifest';
  test.each<[string[], string, string]>([
    [
      ['--kernel', '6.6', 'a.img@4G'],
      "unknown kernel version '6.6': use one of 5.10, 6.1, 6.12, 7.2",
      'kernel-unknown',
    ],
    [
      ['--kernel', 'latest', 'a.img@4G'],
      "unknown kernel version 'latest': use one of 5.10, 6.1, 6.12, 7.2",
      'kernel-unknown',
    ],
    [
      ['--kernel', '7.2', '--kernel-image', 'bz', '--modules-dir', 'm', 'a.img@4G'],
      '--kernel and --kernel-image exclude each other',
      'invalid-argument',
    ],
    [['--kernel', '6.1', 'a.img'], "bad image spec 'a.img': expected IMG@ADDR, e.g. ns.img@0x100000000", 'bad-base'],
    [['a.img@4X'], "bad address '4X': use 0x hex, decimal, or a K/M/G/T suffix", 'bad-base'],
    [['a.img@4G', '--timeout', '0'], "bad --timeout '0': expected a positive number of seconds", 'bad-base'],
    [[], 'give at least one IMG@ADDR, or --compare MANIFEST', 'invalid-argument'],
    [
      ['a.img@4G', '--compare', 'm.jsonl'],
      'give IMG@ADDR arguments or --compare MANIFEST, not both',
      'invalid-argument',
    ],
    [
      ['--compare', 'm.jsonl', '--label-size', '128K'],
      '--compare boots label-less namespaces: leave out --label-size',
      'invalid-argument',
    ],
    [
      ['--compare', '@TMP/none.jsonl'],
      "cannot read the manifest '@TMP/none.jsonl': no such file or directory; check the path",
      'io',
    ],
    [
      ['--compare', '@TMP/old.jsonl'],
      `@TMP/old.jsonl line 1: not a corpus manifest row (schema is not ${MANIFEST})`,
      'bad-manifest',
    ],
    [['--compare', '@TMP/empty.jsonl'], '@TMP/empty.jsonl has no rows', 'bad-manifest'],
    [
      ['--kernel-image', 'bz', '@TMP/a.img@4G'],
      'a kernel image and its modules directory go together; pass --modules-dir <DIR>',
      'kernel-missing',
    ],
    [
      ['--modules', 'm', '@TMP/a.img@4G'],
      'a kernel image and its modules directory go together; pass --kernel-image <PATH>',
      'kernel-missing',
    ],
    [
      ['--modules-dir', 'm', '@TMP/a.img@4G'],
      'a kernel image and its modules directory go together; pass --kernel-image <PATH>',
      'kernel-missing',
    ],
    [
      ['--dax', 'a.img@4G'],
      "bad --dax mode 'a.img@4G': expected read, write, scratch (write --dax=MODE, or --dax after the images)",
      'invalid-argument',
    ],
    [
      ['@TMP/a.img@4G', '--dax', '--in-place'],
      '--dax works on sparse copies: leave out --in-place',
      'invalid-argument',
    ],
    [
      // --dax probes labelled DIMMs (every namespace the kernel creates), except in the scratch mode.
      ['@TMP/a.img@4G', '--dax=scratch', '--label-size', '128K'],
      "@TMP/a.img: the scratch mode makes its ext4 in a label-less namespace's data area; a labelled DIMM is " +
        'probed in the read or write mode (each namespace needs ext4 or xfs at its data start)',
      'bad-image',
    ],
    [
      ['@TMP/a.img@4G', '--dax'],
      '@TMP/a.img: the DAX probe maps fsdax and devdax namespaces only, and Linux 6.1 leaves it raw',
      'bad-image',
    ],
  ])('%j', async (argv, line, code) => {
    const fill = (s: string): string => s.split('@TMP').join(tmp.dir);
    const args = ['kernel-check', ...argv.map(fill)];
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`infoblock: ${fill(line)}`]);
    expect(r.out).toBe('');
    expect(looksLikeStack(r.stderr)).toBe(false);
    const j = await run([...args, '--json']);
    expect(j.code).toBe(2);
    expectSchema('error', json(j));
    expect(json(j)).toMatchObject({ error: { code, message: fill(line), exit_code: 2 } });
  });
  test('the hint is structured in the --json error document (API names, snake_case there, not flags)', async () => {
    const r = await run(['kernel-check', '--kernel-image', 'bz', `${img}@4G`, '--json']);
    expect(json(r)).toMatchObject({ error: { hint: { pass: { modules_dir: '<DIR>' } } } });
  });
});
