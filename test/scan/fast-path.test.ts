// The scanner's page-at-a-time hot path finds exactly what the plain loop
// finds: every 512-byte position handed to every recogniser whose first
// bytes match, as the scanner did before it was made fast. Random data
// (whose bytes hit the first-byte tests about once a page) with structures
// planted at random sectors and pages, scanned in memory at any byte offset
// and from a file in reads small enough that structures straddle them.
import * as CRC32 from 'crc-32';
import fc from 'fast-check';
import { bttCodec, encodeBttBlock } from '../../src/format/btt';
import { encodePfnBlock } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { btrfsAt, extAt, gptAt, infoBlockAt, mbrAt, xfsAt, type Finding } from '../../src/scan/detect';
import { scanBytes, scanTarget } from '../../src/scan/scan';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('scan-fast');
const SECTOR = 512;
const PAGE = 4096;

/**
 * The reference: the scanner's loop as it was, one position at a time over
 * [from rounded down to a page, to), the recognisers in their fixed order.
 */
function referenceScan(buf: Uint8Array, from = 0n, to = BigInt(buf.byteLength)): Finding[] {
  const btts = new Map<bigint, bigint>();
  const xfs = new Map<string, { offset: bigint; agBytes: bigint }>();
  const out: Finding[] = [];
  const avail = buf.byteLength;
  const start = Number(from - (from % BigInt(PAGE)));
  for (let p = start; p < Number(to); p += SECTOR) {
    const pos = BigInt(p);
    if (pos < from) continue;
    const ext = buf[p + 56] === 0x53 && buf[p + 57] === 0xef && p + 1024 <= avail;
    const inPage = p % PAGE;
    const page = inPage === 0 && p + PAGE <= avail;
    const x = buf[p] === 0x58 && p + SECTOR <= avail;
    const gpt = inPage === SECTOR && buf[p] === 0x45 && buf[p + 1] === 0x46 && p + PAGE <= avail;
    const found: (Finding | null)[] = [];
    if (page) found.push(mbrAt(buf, p, pos));
    if (gpt) found.push(gptAt(buf, p, pos));
    if (ext) found.push(extAt(buf, p, pos));
    if (x) found.push(xfsAt(buf, p, pos, xfs));
    if (page) found.push(infoBlockAt(buf, p, pos, btts), btrfsAt(buf, p, pos));
    for (const f of found) if (f !== null) out.push(f);
  }
  return out;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const PFN = encodePfnBlock(recipeFields({ size: 64n << 20n, uuid: '11111111-2222-3333-4444-555555555555' }));
const btt = (info2off: bigint): Uint8Array =>
  encodeBttBlock({
    ...bttCodec.decode(new Uint8Array(4096)),
    signature: Uint8Array.from(ascii('BTT_ARENA_INFO').concat([0, 0])),
    externalLbasize: 4096n,
    externalNlba: 60,
    info2off,
  });

type Kind = 'pfn' | 'btt' | 'ext' | 'xfs' | 'btrfs' | 'mbr' | 'gpt' | 'ext-magic' | 'xfs-magic' | 'mbr-magic';
const KINDS: readonly Kind[] = [
  'pfn',
  'btt',
  'ext',
  'xfs',
  'btrfs',
  'mbr',
  'gpt',
  'ext-magic',
  'xfs-magic',
  'mbr-magic',
];

/**
 * Plant one structure of `kind` at `at` (clipped to the buffer: a structure
 * cut off by the end of the image is part of what is tested). Page-start
 * kinds are moved to the page start, GPT to sector 1 of its page; the
 * "-magic" kinds are only the bytes the first tests look at, so the
 * recogniser runs and rejects.
 */
function plant(buf: Uint8Array, kind: Kind, at: number, salt: number): void {
  const page = at - (at % PAGE);
  const put = (bytes: ArrayLike<number>, o: number): void => {
    for (let i = 0; i < bytes.length && o + i < buf.byteLength; i++) buf[o + i] = bytes[i] as number;
  };
  const dv = (n: number): DataView => new DataView(new ArrayBuffer(n));
  switch (kind) {
    case 'pfn':
      return put(PFN, page);
    case 'btt':
      // Every other BTT names the page 64 KiB back as its primary: a backup when one was planted there.
      return put(btt(salt % 2 === 0 ? 0x10000n : 0n), page);
    case 'ext': {
      const d = dv(1024);
      d.setUint32(0, 128, true);
      d.setUint32(4, 256 + salt, true);
      d.setUint32(24, 2, true);
      d.setUint32(32, 32768, true);
      d.setUint32(40, 128, true);
      d.setUint16(56, 0xef53, true);
      d.setUint32(76, 1, true);
      d.setUint16(0x5a, salt % 3, true); // group 0 or a backup's group number
      return put(new Uint8Array(d.buffer), at);
    }
    case 'xfs': {
      const d = dv(512);
      d.setUint32(0, 0x58465342); // "XFSB"
      d.setUint32(4, 4096);
      d.setBigUint64(8, 256n);
      d.setUint32(84, 8); // 32 KiB allocation groups: a later copy a whole number of AGs on is a secondary
      d.setUint32(88, 4);
      d.setUint8(32, salt % 2); // two uuids
      return put(new Uint8Array(d.buffer), at);
    }
    case 'btrfs': {
      const d = dv(0x100);
      ascii('_BHRfS_M').forEach((c, i) => d.setUint8(64 + i, c));
      d.setBigUint64(48, BigInt(page) >= 65536n && salt % 2 === 0 ? 65536n : 0n, true);
      d.setBigUint64(0x70, 1n << 20n, true);
      d.setUint32(0x90, 4096, true);
      return put(new Uint8Array(d.buffer), page);
    }
    case 'mbr': {
      const d = dv(512);
      d.setUint8(446 + 4, 0x83);
      d.setUint32(446 + 8, 2048, true);
      d.setUint32(446 + 12, 1000 + salt, true);
      d.setUint16(510, 0xaa55, true);
      return put(new Uint8Array(d.buffer), page);
    }
    case 'gpt': {
      const h = new Uint8Array(PAGE - SECTOR);
      const d = new DataView(h.buffer);
      h.set(ascii('EFI PART'));
      d.setUint32(8, 0x00010000, true);
      d.setUint32(12, 92, true);
      d.setBigUint64(24, 1n, true);
      d.setBigUint64(32, 2047n, true); // backup header: the last LBA
      d.setBigUint64(40, 34n, true);
      d.setBigUint64(48, 2014n, true);
      d.setBigUint64(72, 2n, true);
      d.setUint32(80, 128, true);
      d.setUint32(84, 128, true);
      h.fill(0xab, 512, 528); // entry 1: a type GUID
      d.setBigUint64(512 + 32, 40n, true);
      d.setBigUint64(512 + 40, 1000n + BigInt(salt), true);
      d.setUint32(16, CRC32.buf(h.subarray(0, 92)) >>> 0, true);
      return put(h, page + SECTOR);
    }
    case 'ext-magic':
      return put([0x53, 0xef], at + 56);
    case 'xfs-magic':
      return put(ascii('XFSB'), at);
    case 'mbr-magic':
      return put([0x55, 0xaa], page + 510);
  }
}

/** Pseudo-random bytes from `seed` (xorshift32): cheap for a few hundred KiB. */
function randomImage(pages: number, seed: number): Uint8Array {
  const b = new Uint8Array(pages * PAGE);
  let x = seed | 1;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x;
    b[i + 1] = x >>> 8;
    b[i + 2] = x >>> 16;
    b[i + 3] = x >>> 24;
  }
  return b;
}

const arbImage = fc
  .record({
    pages: fc.integer({ min: 1, max: 48 }),
    seed: fc.integer(),
    planted: fc.array(fc.record({ kind: fc.constantFrom(...KINDS), sector: fc.nat(), salt: fc.nat({ max: 5 }) }), {
      maxLength: 12,
    }),
  })
  .map(({ pages, seed, planted }) => {
    const img = randomImage(pages, seed);
    for (const x of planted) plant(img, x.kind, (x.sector % (pages * 8)) * SECTOR, x.salt);
    return img;
  });

/** A range [from, to) inside an image of `size` bytes, from any byte. */
const rangeIn = (size: number): fc.Arbitrary<{ from: bigint; to: bigint }> =>
  fc
    .tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }))
    .map(([a, b]) => ({ from: BigInt(Math.min(a, b)), to: BigInt(Math.max(a, b)) }));

describe('the fast scan path against the per-position reference', () => {
  test('planted structures are found: the reference is not vacuous', () => {
    const img = new Uint8Array(16 * PAGE);
    const kinds: Kind[] = ['pfn', 'btt', 'ext', 'xfs', 'btrfs', 'mbr', 'gpt'];
    kinds.forEach((k, i) => plant(img, k, (2 * i + 1) * PAGE + (k === 'ext' || k === 'xfs' ? 3 * SECTOR : 0), 0));
    const found = referenceScan(img).map((f) => [f.kind, f.offset]);
    expect(found).toEqual([
      ['pfn', 0x1000n],
      ['btt', 0x3000n],
      ['ext4', 0x5600n - 1024n],
      ['xfs', 0x7600n],
      ['btrfs', 0x9000n],
      ['mbr', 0xb000n],
      ['gpt', 0xd000n],
    ]);
    expect(scanBytes(img).findings).toEqual(referenceScan(img));
  });

  test('in memory, at any byte offset of the caller buffer, over any range', () => {
    let withFindings = 0;
    fc.assert(
      fc.property(
        arbImage.chain((img) => fc.tuple(fc.constant(img), rangeIn(img.byteLength), fc.integer({ min: 0, max: 63 }))),
        ([img, { from, to }, shift]) => {
          const host = new Uint8Array(img.byteLength + shift);
          host.set(img, shift);
          const view = host.subarray(shift);
          const want = referenceScan(img, from, to);
          expect(scanBytes(view, { from, to }).findings).toEqual(want);
          const whole = referenceScan(img);
          expect(scanBytes(img).findings).toEqual(whole);
          if (whole.length > 0) withFindings++;
        },
      ),
      { numRuns: 150 },
    );
    // Most runs plant something the recognisers accept: the equality is about findings, not two empty lists.
    expect(withFindings).toBeGreaterThan(75);
  });

  test('from a file in reads of 2-9 pages: structures straddle the reads', () => {
    let n = 0;
    fc.assert(
      fc.property(
        arbImage.chain((img) =>
          fc.tuple(fc.constant(img), rangeIn(img.byteLength), fc.integer({ min: 2, max: 9 }), fc.boolean()),
        ),
        ([img, { from, to }, pages, ranged]) => {
          const file = tmp.file(`img-${n++}`, img);
          const want = ranged ? referenceScan(img, from, to) : referenceScan(img);
          const got = scanTarget({
            target: file,
            chunkSize: BigInt(pages * PAGE),
            allocationMap: false,
            ...(ranged ? { from, to } : {}),
          });
          expect(got.findings).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });
});
