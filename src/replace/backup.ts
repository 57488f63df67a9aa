/**
 * The backup record written before a target's info-block is replaced: one
 * small self-describing file of three lines,
 *
 * ```
 * {"format":"nd-infoblock-backup","version":2,...}   JSON header (UTF-8)
 * <base64 of the original 8 KiB head>
 * crc32 0123abcd                                     over the bytes of the two lines above
 * ```
 *
 * The CRC-32 is over the file's bytes as written, so a record is checked
 * exactly as it was sealed whatever the target's name is made of. The
 * target path is kept twice: readable (`path`) and byte-exact
 * (`path_base64`, for names that are not UTF-8). Integers that can exceed
 * 2^53 (sizes, addresses, inode numbers) are `"0x…"` strings, as in every
 * JSON document (toWire / parseU64); version 1 records, which wrote them as
 * decimal strings, still read.
 */
import { InfoblockError } from '../format/errors';
import { toWire } from '../format/json';
import { BLOCK_SIZE, verifyChecksum } from '../format/fletcher64';
import { HEAD_SIZE } from '../format/head';
import { sameBytes } from '../format/pfn';
import { bufferOf } from '../io/path';
import {
  crc32,
  hex8,
  recordString,
  recordU64,
  sealRecord,
  targetFromJson,
  targetJson,
  unsealRecord,
  type TargetIdentity,
} from './record';
import { expectBytes, expectFields, expectOptions, expectString, expectStringOrBytes } from '../format/guard';

export { crc32, targetJson, type TargetIdentity };

export const BACKUP_FORMAT = 'nd-infoblock-backup';
export const BACKUP_VERSION = 2;
/** Versions {@link decodeBackup} reads: 1 wrote u64s as decimal strings. */
const READABLE_VERSIONS: readonly number[] = [1, BACKUP_VERSION];
/** No backup record is anywhere near this large: a bigger file is not one. */
export const BACKUP_MAX_BYTES = 64 * 1024;

export interface BackupRecord {
  target: TargetIdentity;
  /** Where the namespace starts inside the target. */
  offset: bigint;
  nsBase: bigint;
  nsSize: bigint;
  /** ISO 8601. */
  created: string;
  /** What the replacement was for (informational: a migrate's meanings, or the operation's name). */
  from: string;
  to: string;
  /** The original 8 KiB head (block at 4096). */
  head: Uint8Array;
  /** CRC-32 of the 4 KiB block that was to be written (lets a rerun recognise it). */
  intendedCrc32: number;
  /** The 4 KiB block that was to be written; absent in records of earlier versions. */
  intended?: Uint8Array;
}

const bad = (msg: string): InfoblockError => new InfoblockError('backup', msg);

export function encodeBackup(r: BackupRecord): Uint8Array {
  expectOptions(r, 'r');
  if (r.head.byteLength !== HEAD_SIZE) throw new Error(`internal: backup head must be ${HEAD_SIZE} bytes`);
  const header = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    target: targetJson(r.target),
    offset: toWire(r.offset),
    ns_base: toWire(r.nsBase),
    ns_size: toWire(r.nsSize),
    created: r.created,
    from: r.from,
    to: r.to,
    head_bytes: HEAD_SIZE,
    intended_crc32: hex8(r.intendedCrc32),
    ...(r.intended === undefined ? {} : { intended_base64: Buffer.from(r.intended).toString('base64') }),
  };
  return sealRecord(header, [r.head]);
}

const BACKUP_KIND = {
  format: BACKUP_FORMAT,
  versions: READABLE_VERSIONS,
  base64Lines: 1,
  expected: 'an nd-infoblock backup record (expected header, base64 head, crc32 lines)',
};

/** Parse and verify a backup record (the file's bytes); any damage is an InfoblockError 'backup'. */
export function decodeBackup(data: Uint8Array | string, name = 'backup'): BackupRecord {
  expectStringOrBytes(data, 'data');
  if (name !== undefined) expectString(name, 'name');
  const { h, base64 } = unsealRecord(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, name, BACKUP_KIND);
  const head = base64[0] ?? new Uint8Array(0);
  if (head.byteLength !== HEAD_SIZE) throw bad(`${name}: head is ${head.byteLength} bytes, expected ${HEAD_SIZE}`);
  const str = (key: string): string => recordString(h, key, name);
  const big = (key: string): bigint => recordU64(h, key, name);
  let intended: Uint8Array | undefined;
  if (h.intended_base64 !== undefined) {
    intended = new Uint8Array(Buffer.from(str('intended_base64'), 'base64'));
    if (intended.byteLength !== BLOCK_SIZE)
      throw bad(`${name}: intended block is ${intended.byteLength} bytes, ` + `expected ${BLOCK_SIZE}`);
  }
  const intendedCrc32 = parseInt(str('intended_crc32'), 16) >>> 0;
  if (intended !== undefined && crc32(intended) !== intendedCrc32)
    throw bad(`${name}: intended block does not match ` + `its CRC-32`);
  return {
    target: targetFromJson(h, name),
    offset: big('offset'),
    nsBase: big('ns_base'),
    nsSize: big('ns_size'),
    created: str('created'),
    from: str('from'),
    to: str('to'),
    head,
    intendedCrc32,
    ...(intended === undefined ? {} : { intended }),
  };
}

/** Same target (path or dev/ino, and size), same offset, same original bytes: a second backup would add nothing. */
export function sameBackup(a: BackupRecord, b: BackupRecord): boolean {
  expectOptions(a, 'a');
  expectOptions(b, 'b');
  return belongsTo(a, b.target) && a.offset === b.offset && sameBytes(a.head, b.head);
}

/** A backup belongs to a target when the realpath or dev/ino match, and the size is the same. */
export function belongsTo(r: BackupRecord, t: TargetIdentity): boolean {
  expectOptions(r, 'r');
  expectFields(t, 't', { path: 'bytes', size: 'bigint', dev: 'bigint', ino: 'bigint' });
  return sameTarget(r.target, t);
}

/** Two identities name the same target: the realpath or dev/ino match, and the size is the same. */
export function sameTarget(a: TargetIdentity, t: TargetIdentity): boolean {
  const sameFile = bufferOf(a.path).equals(t.path) || (a.dev === t.dev && a.ino === t.ino);
  return sameFile && a.size === t.size;
}

/**
 * Whether `block` (the 4 KiB now on the target) is one migrate or recover
 * could have left there: the original, the intended block, or, when the
 * record has the intended bytes, a torn mix of the two (every byte from one
 * or the other, as an interrupted write leaves it).
 */
export function blockStateFor(r: BackupRecord, block: Uint8Array): 'original' | 'intended' | 'torn' | 'foreign' {
  expectOptions(r, 'r');
  expectBytes(block, 'block');
  const original = r.head.subarray(HEAD_SIZE - BLOCK_SIZE);
  if (sameBytes(block, original)) return 'original';
  if (crc32(block) === r.intendedCrc32 && (r.intended === undefined || sameBytes(block, r.intended))) return 'intended';
  if (r.intended === undefined) return 'foreign';
  for (let i = 0; i < BLOCK_SIZE; i++) {
    if (block[i] !== original[i] && block[i] !== r.intended[i]) return 'foreign';
  }
  return 'torn';
}

/**
 * Whether `block` (on the target now) is a write of ours torn mid-way, as
 * the backup `r` of this target and offset proves: it fails its checksum and
 * is not the original the backup holds (a damaged original recover was to
 * replace is not torn: nothing was written). With the intended bytes, every
 * byte must come from the original or the intended block; a record of an
 * earlier version, without them, is taken at the checksum's word.
 * Migrate, recover, restore and check all ask this one question.
 */
export function isTornWrite(r: BackupRecord | null, block: Uint8Array): boolean {
  if (r === null || verifyChecksum(block)) return false;
  const state = blockStateFor(r, block);
  return state === 'torn' || (state === 'foreign' && r.intended === undefined);
}
