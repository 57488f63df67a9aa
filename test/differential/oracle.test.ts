// Checks the oracle itself: the installed ndctl is the version docs/ndctl-76.md
// describes, our hand-made test blocks agree with what it writes, and the
// documented facts the other differential suites rely on still hold.
import * as fs from 'node:fs';
import { describeWithNdctl, ndctlReadJson, ndctlVersion, ndctlWriteHead, runNdctl } from '../support/ndctl';
import { useTmpDir } from '../support/tmp';
import { head, pfnBlock, uuidBytes } from '../support/craft';

const U1 = '11111111-2222-3333-4444-555555555555';

describeWithNdctl('oracle: ndctl 76 as documented in docs/ndctl-76.md', () => {
  const tmp = useTmpDir('oracle');

  test('version is 76.x', () => {
    expect(ndctlVersion()).toMatch(/^76(\.|$)/);
  });

  test('the test-side block builder reproduces ndctl write-infoblock -c -s 64M byte for byte', () => {
    const theirs = ndctlWriteHead({ size: '64M', uuid: U1 });
    expect(head(pfnBlock({ uuid: uuidBytes(U1) })).equals(theirs)).toBe(true);
  });

  test('-c writes exactly 8 KiB whose first 4 KiB are zero', () => {
    const h = ndctlWriteHead({ size: '1T', uuid: U1 });
    expect(h.length).toBe(8192);
    expect(h.subarray(0, 4096).every((b) => b === 0)).toBe(true);
  });

  test('empty head: "[\\n]\\n" on stdout, warning then "read 1 infoblock" on stderr, exit 0', () => {
    const f = tmp.path('empty.img');
    fs.writeFileSync(f, Buffer.alloc(8192));
    const r = ndctlReadJson(f, { json: true });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('[\n]\n');
    expect(r.stderr).toBe('  Warning: no matching devices found\n\nread 1 infoblock\n');
  });

  test('without -j the raw 8 KiB head is echoed', () => {
    const h = ndctlWriteHead({ size: '64M', uuid: U1 });
    const r = runNdctl(['read-infoblock'], h);
    expect(r.stdout.equals(h)).toBe(true);
  });

  test('short input fails with EIO (exit 251) and "read 0 infoblocks"', () => {
    const r = runNdctl(['read-infoblock', '-j'], Buffer.alloc(4096));
    expect(r.status).toBe(251);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe('error reading infoblock data: Input/output error\nread 0 infoblocks\n');
  });

  test('-u clamps u64 values at or above 2^63 to 0x7fffffffffffffff; -j prints them unsigned', () => {
    const f = tmp.path('big.img');
    fs.writeFileSync(f, head(pfnBlock({ npfns: (1n << 64n) - 1n })));
    expect(ndctlReadJson(f, { human: true }).stdout.toString()).toContain('"npfns":"0x7fffffffffffffff"');
    expect(ndctlReadJson(f, { json: true }).stdout.toString()).toContain('"npfns":18446744073709551615');
  });

  test('mode is printed as a signed 32-bit number in both modes', () => {
    const f = tmp.path('mode.img');
    fs.writeFileSync(f, head(pfnBlock({ mode: 0xffffffff })));
    expect(ndctlReadJson(f, { json: true }).stdout.toString()).toContain('"mode":-1,');
    expect(ndctlReadJson(f, { human: true }).stdout.toString()).toContain('"mode":-1,');
  });

  test('a minor version of 10 or more drops the block', () => {
    const f = tmp.path('v110.img');
    fs.writeFileSync(f, head(pfnBlock({ versionMinor: 10 })));
    expect(ndctlReadJson(f, { json: true }).stdout.toString()).toBe('[\n]\n');
  });

  test('write errors: usage problems exit 129, alignment failure exits 250', () => {
    expect(runNdctl(['write-infoblock', '-c', '-s', '64M', '-a', '3M']).status).toBe(129);
    expect(runNdctl(['write-infoblock', '-c', '-s', '2M']).status).toBe(250);
  });
});
