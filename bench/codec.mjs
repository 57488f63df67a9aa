// Codec micro-benchmarks: ns per 4 KiB block for our decode,
// encode and checksum beside hand-written baselines (a DataView decoder and
// encoder, and plain checksum loops). Figures, not a test.
//
//   npm run build && node bench/codec.mjs [CASE-FILTER...] [--time MS]
//
// A filter keeps the cases whose name contains it (e.g. `checksum`,
// `baseline`, `decode`). Each task call processes BATCH blocks; the printed
// figures are per block.
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const lib = require('../dist/index.js');

const args = process.argv.slice(2);
const timeIdx = args.indexOf('--time');
const time = timeIdx >= 0 ? Number(args[timeIdx + 1]) : 500;
const filters = args.filter((a, i) => !a.startsWith('--') && !(timeIdx >= 0 && i === timeIdx + 1));

const BATCH = 64;

// --- inputs: BATCH distinct real blocks (different uuids and sizes) ---------
const fieldsList = [];
const blocks = [];
for (let i = 0; i < BATCH; i++) {
  const uuid = `${i.toString(16).padStart(8, '0')}-2222-3333-4444-555555555555`;
  const f = lib.recipeFields({ size: BigInt(1 + i) << 30n, uuid, meaning: 'legacy' });
  fieldsList.push(f);
  blocks.push(lib.encodePfnBlock(f));
}
// The same blocks at an odd byteOffset (DataView path of the checksum).
const oddHost = new Uint8Array(BATCH * 4096 + 3);
const oddBlocks = blocks.map((b, i) => {
  oddHost.set(b, 3 + i * 4096);
  return oddHost.subarray(3 + i * 4096, 3 + (i + 1) * 4096);
});

// --- hand-written baselines ---------------------------------------------------
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function uuidAt(b, o) {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[o + i]];
  }
  return s;
}
// Byte quantities are bigints in the library's fields (u32/u16 on disk): the baselines convert the same way.
function baselineDecode(b) {
  const dv = new DataView(b.buffer, b.byteOffset, 4096);
  return {
    signature: b.slice(0, 16),
    uuid: uuidAt(b, 16),
    parentUuid: uuidAt(b, 32),
    flags: dv.getUint32(48, true),
    versionMajor: dv.getUint16(52, true),
    versionMinor: dv.getUint16(54, true),
    dataoff: dv.getBigUint64(56, true),
    npfns: dv.getBigUint64(64, true),
    mode: dv.getUint32(72, true),
    startPad: BigInt(dv.getUint32(76, true)),
    endTrunc: BigInt(dv.getUint32(80, true)),
    align: BigInt(dv.getUint32(84, true)),
    pageSize: BigInt(dv.getUint32(88, true)),
    pageStructSize: BigInt(dv.getUint16(92, true)),
    checksum: dv.getBigUint64(4088, true),
  };
}
function putUuid(b, o, s) {
  const h = s.replace(/-/g, '');
  for (let i = 0; i < 16; i++) b[o + i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
}
function baselineEncode(f) {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  b.set(f.signature, 0);
  putUuid(b, 16, f.uuid);
  putUuid(b, 32, f.parentUuid);
  dv.setUint32(48, f.flags, true);
  dv.setUint16(52, f.versionMajor, true);
  dv.setUint16(54, f.versionMinor, true);
  dv.setBigUint64(56, f.dataoff, true);
  dv.setBigUint64(64, f.npfns, true);
  dv.setUint32(72, f.mode, true);
  dv.setUint32(76, Number(f.startPad), true);
  dv.setUint32(80, Number(f.endTrunc), true);
  dv.setUint32(84, Number(f.align), true);
  dv.setUint32(88, Number(f.pageSize), true);
  dv.setUint16(92, Number(f.pageStructSize), true);
  dv.setBigUint64(4088, baselineChecksumU32(b), true);
  return b;
}
/** Checksum baseline 1: DataView getUint32 over 1022 words, then 2 zero words. */
function baselineChecksumDV(b) {
  const dv = new DataView(b.buffer, b.byteOffset, 4096);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 4088; i += 4) {
    lo = (lo + dv.getUint32(i, true)) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  hi = (hi + lo) >>> 0;
  hi = (hi + lo) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
/** Checksum baseline 2: Uint32Array (aligned input, little-endian host). */
function baselineChecksumU32(b) {
  const w = new Uint32Array(b.buffer, b.byteOffset, 1024);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 1022; i++) {
    lo = (lo + w[i]) >>> 0;
    hi = (hi + lo) >>> 0;
  }
  hi = (hi + lo + lo) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

// sanity: baselines agree with the library
for (let i = 0; i < BATCH; i++) {
  const b = blocks[i];
  const c = lib.blockChecksum(b);
  if (baselineChecksumDV(b) !== c || baselineChecksumU32(b) !== c) throw new Error('checksum baseline disagrees');
  const d = baselineDecode(b);
  const ours = lib.pfnCodec.decode(b);
  for (const k of Object.keys(ours)) {
    if (k === 'signature') continue;
    if (ours[k] !== d[k]) throw new Error(`decode baseline disagrees on ${k}`);
  }
  if (Buffer.compare(Buffer.from(baselineEncode(fieldsList[i])), Buffer.from(b)) !== 0)
    throw new Error('encode baseline disagrees');
}

// --- cases ---------------------------------------------------------------------
let sink;
const each = (fn, list) => () => {
  for (let i = 0; i < BATCH; i++) sink = fn(list[i]);
};
const CASES = [
  ['decode: pfnCodec.decode (fields only)', each((b) => lib.pfnCodec.decode(b), blocks)],
  ['decode: baseline DataView (fields only)', each(baselineDecode, blocks)],
  ['decode: decodePfnBlock (fields + checksum + gating)', each((b) => lib.decodePfnBlock(b), blocks)],
  ['decode: baseline DataView + baseline checksum', each((b) => [baselineDecode(b), baselineChecksumU32(b)], blocks)],
  ['encode: encodePfnBlock (fields + fresh checksum)', each((f) => lib.encodePfnBlock(f), fieldsList)],
  ['encode: pfnCodec.encode (fields only)', each((f) => lib.pfnCodec.encode(f), fieldsList)],
  ['encode: baseline DataView (fields + checksum)', each(baselineEncode, fieldsList)],
  ['checksum: blockChecksum (aligned)', each((b) => lib.blockChecksum(b), blocks)],
  ['checksum: blockChecksum (byteOffset 3)', each((b) => lib.blockChecksum(b), oddBlocks)],
  ['checksum: baseline Uint32Array', each(baselineChecksumU32, blocks)],
  ['checksum: baseline DataView', each(baselineChecksumDV, blocks)],
  ['checksum: baseline DataView (byteOffset 3)', each(baselineChecksumDV, oddBlocks)],
  ['verify: verifyChecksum', each((b) => lib.verifyChecksum(b), blocks)],
];

const selected = CASES.filter(([name]) => filters.length === 0 || filters.some((f) => name.includes(f)));
if (selected.length === 0) {
  process.stderr.write(`no case matches ${filters.join(' ')}; cases:\n${CASES.map(([n]) => `  ${n}`).join('\n')}\n`);
  process.exit(2);
}

const bench = new Bench({ name: 'nd-infoblock codec', time, warmupTime: 100 });
for (const [name, fn] of selected) bench.add(name, fn);
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  if (r.state !== 'completed') return { case: t.name, error: r.state };
  return {
    case: t.name,
    'ns/block (mean)': Math.round((r.latency.mean * 1e6) / BATCH),
    'ns/block (median)': Math.round((r.latency.p50 * 1e6) / BATCH),
    '±%': Number(r.latency.rme.toFixed(1)),
    samples: r.latency.samples?.length ?? r.latency.samplesCount ?? '',
  };
});
console.log(`node ${process.version}, ${BATCH} blocks per call, ${time} ms per case`);
console.table(rows);
void sink;
