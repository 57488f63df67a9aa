/**
 * The hazards of a block: what other kernels would do with it, where that is
 * dangerous or surprising (a legacy kernel misplacing or refusing a
 * map-meaning block, an ndctl -O block read start_pad late, metadata left
 * exposed on a raw namespace). Reads the verdicts of src/validate/head-verdict.ts.
 */
import type { DecodedPfnBlock } from '../format/pfn';
import { hex } from '../format/units';
import { ndctlOffsetEvidence } from './geometry';
import { archParams } from './arch';
import { LEGACY_PROFILE_IDS } from './profiles';
import {
  checkBlock,
  expectNamespace,
  type CheckOptions,
  type Hazard,
  type HazardFix,
  type Verdict,
} from './head-verdict';
import { expectDecodedBlock, expectFields, expectOptions } from '../format/guard';

/** What `v`'s kernel does with a block it does not claim, in words. */
const linuxDoes = (v: Verdict): string =>
  v.outcome === 'crashed' ? 'crashes on it' : v.outcome === 'raw' ? 'leaves it raw' : 'refuses it';

/** Migrating the block from the map meaning to the legacy meaning, which every kernel reads. */
const TO_LEGACY: HazardFix = { operation: 'migrate', params: { from: 'map', to: 'legacy' } };

/** A 2.x block: what each legacy kernel does with it, next to the map convention's claim. */
function mapBlockHazards(block: DecodedPfnBlock, o: CheckOptions): Hazard[] {
  const hazards: Hazard[] = [];
  const startPad = block.effective.startPad;
  const mapV = checkBlock(block, { ...o, kernel: 'map', hazards: false });
  // The repair keeps the data where the map convention puts it: only when the convention claims it.
  const fix = mapV.outcome === 'claimed' ? { fix: TO_LEGACY } : {};
  for (const id of LEGACY_PROFILE_IDS) {
    const lv = checkBlock(block, { ...o, kernel: id, hazards: false });
    if (lv.outcome === 'refused' || lv.outcome === 'crashed') {
      hazards.push({
        kind: 'refusal',
        profile: id,
        message:
          `${id} ignores the major version and ${lv.outcome === 'crashed' ? 'crashes on' : 'refuses'} this ` +
          `map-meaning block: ${lv.message ?? `errno ${lv.errno ?? '?'}`}`,
        ...fix,
      });
    } else if (lv.outcome === 'claimed' && mapV.outcome === 'claimed' && lv.dataStart !== mapV.dataStart) {
      hazards.push({
        kind: 'misplacement',
        profile: id,
        message:
          `${id} ignores the major version and would put the data ` +
          `at ${hex(lv.dataStart ?? 0n)}, ${startPad} bytes (start_pad) away ` +
          `from ${hex(mapV.dataStart ?? 0n)} where the map meaning puts it`,
        ...fix,
      });
    } else if (lv.outcome === 'raw') {
      hazards.push({
        kind: 'raw',
        profile: id,
        message: `${id} leaves the namespace raw${lv.message === null ? '' : `: ${lv.message}`}`,
        ...fix,
      });
    }
  }
  return hazards;
}

/**
 * A 1.x block that looks written by `ndctl write-infoblock -O` (dataoff from the raw base). Migrating it
 * from the map meaning repairs it when the map convention would claim it read that way (as a 2.x block):
 * the repair keeps the data where ndctl put it.
 */
function ndctlOffsetHazard(block: DecodedPfnBlock, v: Verdict, o: CheckOptions): Hazard {
  const f = block.fields;
  const startPad = block.effective.startPad;
  const asMap = { ...block, fields: { ...f, versionMajor: 2 } };
  const repairs = checkBlock(asMap, { ...o, kernel: 'map', hazards: false }).outcome === 'claimed';
  const repair = repairs
    ? 'migrating the block from the map meaning to the legacy meaning repairs it'
    : 'read in the map meaning it has no valid data area either, so migrating it does not repair it';
  const fix = repairs ? { fix: TO_LEGACY } : {};
  return v.outcome === 'claimed'
    ? {
        kind: 'misplacement',
        profile: v.profile,
        message:
          `this looks like an ndctl -O block (dataoff measured from the raw base, data ` +
          `at ${hex(f.dataoff)}); ${v.profile} claims it but reads the data ` +
          `at ${hex(startPad + f.dataoff)}, start_pad bytes later; ${repair}`,
        ...fix,
      }
    : {
        kind: 'ndctl-offset-block',
        profile: null,
        message:
          'this looks like an ndctl -O block (dataoff measured from the raw base); ' +
          `Linux ${linuxDoes(v)}; ${repair}`,
        ...fix,
      };
}

/**
 * What other kernels would do with the block, where that is dangerous or surprising. A hazard that
 * migrating the block repairs carries the operation as {@link Hazard.fix}.
 */
export function hazardsFor(block: DecodedPfnBlock, v: Verdict, o: CheckOptions): Hazard[] {
  expectDecodedBlock(block, 'block');
  expectOptions(v, 'v');
  expectFields(o, 'o', { nsSize: 'bigint' });
  expectNamespace(o);
  const hazards: Hazard[] = [];
  const f = block.fields;
  if (f.versionMajor >= 2) hazards.push(...mapBlockHazards(block, o));
  else if (block.effective.startPad !== 0n) {
    // ndctl -O measures dataoff from the raw base: its data start is aligned
    // there, not at base + start_pad where a legacy kernel looks.
    if (ndctlOffsetEvidence(f, block.effective, o.nsBase ?? 0n, archParams(o.arch).compatAlign)) {
      hazards.push(ndctlOffsetHazard(block, v, o));
    }
  }
  if (v.failedRule !== null && v.outcome === 'raw' && v.errno !== null) {
    hazards.push({
      kind: 'metadata-exposed',
      profile: v.profile,
      message:
        `Linux ${v.kernel} leaves the namespace raw after this validation failure (before 5.7 only ` +
        `-EOPNOTSUPP refused, before 5.4 nothing did): the info-block and memmap area are exposed to whatever ` +
        `uses the raw device`,
    });
  }
  return hazards;
}
