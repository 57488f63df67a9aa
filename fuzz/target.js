/*
 * jsfuzz target (plain CommonJS: jsfuzz instruments what it requires, and
 * needs JS). It imports the compiled library from dist/ (run `npm run build`
 * first) and drives the pure code paths with one input:
 *
 *   bytes 0..4095    the info-block, placed at 4096 of an 8 KiB head
 *   bytes 4096..8191 (if present) the head's first 4 KiB (BTT copy area)
 *   padding bytes 4000..4002 of the block pick the namespace base, size and
 *   kernel profile, so the fuzzer can mutate them like any other byte.
 *
 * Contract: every call either returns or throws our
 * InfoblockError; anything else escaping is a finding. After an
 * InfoblockError the decoder must still decode a known-good block exactly.
 */
'use strict';
const { decodePfnBlock, patchPfnBlock, encodePfnBlock } = require('../dist/format/pfn');
const { findBlocks, HEAD_SIZE } = require('../dist/format/head');
const { InfoblockError } = require('../dist/format/errors');
const { checkHead } = require('../dist/validate/check');
const { recipeFields } = require('../dist/format/recipe');
let migrate = null;
try {
  ({ migrate } = require('../dist/migrate/migrate'));
} catch (e) {
  if (!(e && e.code === 'MODULE_NOT_FOUND')) throw e;
}

const M = 1n << 20n;
const BASES = [0n, 4n << 30n, (4n << 30n) + M, (4n << 30n) + 2n * M, (1n << 64n) - 2n * M];
const SIZES = [16n * M, 33n * M, 64n * M, 2n * 1024n * M + 4n * M, 8192n, 4096n * 1024n * M];
const PROFILES = ['linux-6.1', 'linux-latest', 'linux-4.x', 'map'];

const GOOD = encodePfnBlock(
  recipeFields({ size: 64n * M, offset: 4n << 30n, uuid: '11111111-2222-3333-4444-555555555555' }),
);
const GOOD_DATAOFF = decodePfnBlock(GOOD).fields.dataoff;

class Finding extends Error {}
const PLANT = process.env.FUZZ_PLANT_BUG === '1';

function decoderStillWorks() {
  const d = decodePfnBlock(GOOD);
  if (!d.checksumValid || d.fields.dataoff !== GOOD_DATAOFF || d.kind !== 'pfn')
    throw new Finding('decoder broken after an error');
}

function ours(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InfoblockError) {
      decoderStillWorks();
      return undefined;
    }
    throw e;
  }
}

function refusesBeyond2to64(fn, what) {
  try {
    fn();
  } catch (e) {
    if (e instanceof InfoblockError && e.code === 'invalid-argument') return;
    throw e;
  }
  throw new Finding(`${what} accepted a namespace that ends past 2^64`);
}

function fuzz(buf) {
  const head = new Uint8Array(HEAD_SIZE);
  head.set(buf.subarray(0, 4096), 4096);
  if (buf.length > 4096) head.set(buf.subarray(4096, 8192), 0);
  const block = head.subarray(4096);
  const nsBase = BASES[head[4096 + 4000] % BASES.length];
  const nsSize = SIZES[head[4096 + 4001] % SIZES.length];
  const kernel = PROFILES[head[4096 + 4002] % PROFILES.length];

  // Decoding never fails on 4 KiB; re-encoding the decoded fields gives the same bytes (padding kept).
  const d = decodePfnBlock(block);
  // Self-test of the harness: FUZZ_PLANT_BUG=1 plants a non-InfoblockError the corpus reaches at once.
  if (PLANT && d.fields.mode === 0) throw new TypeError('planted bug: mode 0');
  const again = patchPfnBlock(block, d.fields);
  for (let i = 0; i < 4096; i++)
    if (again[i] !== block[i]) throw new Finding(`decode/patch round trip changed byte ${i}`);
  ours(() => decodePfnBlock(buf)); // any length: decodes or throws TruncatedError
  ours(() => findBlocks(buf));
  findBlocks(head);

  // A namespace past 2^64 is a caller error: checkHead and migrate must refuse it with our
  // invalid-argument error (and nothing else); every namespace that fits must get a verdict.
  if (nsBase + nsSize > 1n << 64n) {
    refusesBeyond2to64(() => checkHead(head, { kernel, nsBase, nsSize }), 'checkHead');
    if (migrate !== null)
      refusesBeyond2to64(() => migrate(block, { to: 'map', nsBase, nsSize, guardKernel: kernel }), 'migrate');
    stats.beyond2to64Refused++;
    decoderStillWorks();
    return;
  }
  const v = checkHead(head, { kernel, nsBase, nsSize });
  if (!['claimed', 'raw', 'refused', 'crashed'].includes(v.outcome)) throw new Finding(`bad outcome ${v.outcome}`);
  if (v.outcome === 'claimed' && v.kind !== 'btt' && (v.dataStart === null || v.dataSize === null))
    throw new Finding('claimed without a data area');

  if (migrate !== null) {
    for (const to of ['legacy', 'map']) {
      const r = ours(() => migrate(block, { to, nsBase, nsSize, guardKernel: kernel }));
      if (r === undefined) continue;
      if (r.block.length !== 4096) throw new Finding('migrate returned a block that is not 4 KiB');
      if (r.status === 'planned') {
        stats.migrationsChecked++;
        // The migration invariant: same data start, only version, dataoff and checksum bytes change.
        if (typeof r.dataStartBefore !== 'bigint' || r.dataStartBefore !== r.dataStartAfter)
          throw new Finding(`migrate moved the data start (${r.dataStartBefore} -> ${r.dataStartAfter})`);
        for (let i = 0; i < 4096; i++) {
          const touched = (i >= 52 && i < 64) || i >= 4088;
          if (!touched && r.block[i] !== block[i])
            throw new Finding(`migrate changed byte ${i} outside version/dataoff/checksum`);
        }
      }
    }
  }
  decoderStillWorks();
}

/** How often the migration invariant and the 2^64 refusal were checked (the replay test asserts both run). */
const stats = { migrationsChecked: 0, beyond2to64Refused: 0 };

module.exports = { fuzz, Finding, stats };
