// Writes samples/btt.head: a hand-made BTT arena info-block at 4096 with its
// copy at 0, for a 1 GiB namespace holding one arena (the arena starts after
// the namespace's first 4 KiB). Field values are worked out here from the
// BTT layout (info | data | map | log | info2); they are plausible, not
// taken from a kernel. Usage: node samples/make-btt.mjs OUT
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { encodeBttBlock, BTT_SIGNATURE } = require('../dist/index.js');

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node samples/make-btt.mjs OUT\n');
  process.exit(2);
}

const NS_SIZE = 1n << 30n;
const ARENA = NS_SIZE - 4096n; // arena after the first 4 KiB
const LBA = 4096n; // external = internal lbasize
const NFREE = 256n;
const INFO = 4096n;
const roundUp = (x, a) => ((x + a - 1n) / a) * a;
const logSize = roundUp(NFREE * 64n, 4096n); // 4 log entries of 16 B per free block
let avail = ARENA - 2n * INFO - logSize;
const mapFor = (nlba) => roundUp(nlba * 4n, 4096n); // 32-bit map entries
let internalNlba = avail / (LBA + 4n);
while (mapFor(internalNlba) + internalNlba * LBA > avail) internalNlba--;
const dataoff = INFO;
const mapoff = dataoff + internalNlba * LBA;
const logoff = mapoff + mapFor(internalNlba);
const info2off = logoff + logSize;

const block = encodeBttBlock({
  signature: BTT_SIGNATURE.slice(),
  uuid: '33333333-4444-5555-6666-777777777777',
  parentUuid: '88888888-9999-aaaa-bbbb-cccccccccccc',
  flags: 0,
  versionMajor: 2,
  versionMinor: 0,
  externalLbasize: Number(LBA),
  externalNlba: Number(internalNlba - NFREE),
  internalLbasize: Number(LBA),
  internalNlba: Number(internalNlba),
  nfree: Number(NFREE),
  infosize: Number(INFO),
  nextoff: 0n,
  dataoff,
  mapoff,
  logoff,
  info2off,
  checksum: 0n,
});
const head = Buffer.alloc(8192);
head.set(block, 0);
head.set(block, 4096);
writeFileSync(out, head);
