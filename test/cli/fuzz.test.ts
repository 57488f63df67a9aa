// Fuzz the read command in-process: any 8 KiB head, with or
// without a recognised signature and with arbitrary field bytes, is read
// with exit 0 in every output mode, never an internal error; any shorter
// input is a clean exit 2.
import fc from 'fast-check';
import { looksLikeStack, run } from '../support/run';

const SIGS = ['NVDIMM_PFN_INFO\0', 'NVDIMM_DAX_INFO\0', 'BTT_ARENA_INFO\0\0', 'NVDIMM_PFN_INFO!', '\0'.repeat(16)];

const arbHead = fc
  .tuple(
    fc.uint8Array({ minLength: 8192, maxLength: 8192 }),
    fc.constantFrom(...SIGS),
    fc.constantFrom(...SIGS),
    fc.boolean(),
  )
  .map(([noise, sig4096, sig0, sealed]) => {
    const head = Buffer.from(noise);
    head.write(sig4096, 4096, 'latin1');
    head.write(sig0, 0, 'latin1');
    if (sealed) {
      // a valid checksum half of the time, so -V keeps some blocks
      for (const base of [0, 4096]) {
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < 1024; i++) {
          lo = (lo + (i < 1022 ? head.readUInt32LE(base + 4 * i) : 0)) >>> 0;
          hi = (hi + lo) >>> 0;
        }
        head.writeUInt32LE(lo, base + 4088);
        head.writeUInt32LE(hi, base + 4092);
      }
    }
    return head;
  });

test('any 8 KiB head reads with exit 0 in readable, -j, -u and -V modes', async () => {
  await fc.assert(
    fc.asyncProperty(
      arbHead,
      fc.constantFrom<string[]>([], ['-j'], ['-u'], ['-j', '-V'], ['-V']),
      async (head, flags) => {
        const r = await run(['read', ...flags], head);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(looksLikeStack(r.stderr)).toBe(false);
        expect(r.code).toBe(0);
        if (flags.includes('-j') || flags.includes('-u')) expect(() => JSON.parse(r.out) as unknown).not.toThrow();
      },
    ),
    { numRuns: 200 },
  );
});

test('any shorter input is a clean exit 2', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 8191 }), async (bytes) => {
      const r = await run(['read', '-j'], Buffer.from(bytes));
      expect(r.code).toBe(2);
      expect(looksLikeStack(r.stderr)).toBe(false);
      expect(r.errLines).toEqual([
        `infoblock: standard input is too short: need 8192 bytes at offset 0, got ${bytes.length}`,
        'read 0 infoblocks',
      ]);
      expect(r.out).toBe('');
    }),
    { numRuns: 50 },
  );
});
