/**
 * The backup record written before a target's info-block is replaced: one
 * small self-describing file of three lines,
 *
 *   {"format":"nd-infoblock-backup","version":2,...}   JSON header (UTF-8)
 *   <base64 of the original 8 KiB head>
 *   crc32 0123abcd                                     over the bytes of the two lines above
 *
 * The CRC-32 is over the file's bytes as written, so a record is checked
 * exactly as it was sealed whatever the target's name is made of. The
 * target path is kept twice: readable (`path`) and byte-exact
 * (`path_base64`, for names that are not UTF-8). Integers that can exceed
 * 2^53 (sizes, addresses, inode numbers) are `"0x…"` strings, as in every
 * JSON document (toWire / parseU64); version 1 records, which wrote them as
 * decimal strings, still read.
 */
import * as CRC32 from 'crc-32';
import { InfoblockError } from '../format/errors';
import { U64_MAX } from '../format/int64';
import { parseU64, toWire } from '../format/json';
import { BLOCK_SIZE, verifyChecksum } from '../format/fletcher64';
import { HEAD_SIZE } from '../format/head';
import { sameBytes } from '../format/pfn';
import { bufferOf, pathText } from '../io/path';
import { expectBytes, expectFields, expectOptions, expectString, expectStringOrBytes } from '../format/guard';

export const BACKUP_FORMAT = 'nd-infoblock-backup';
export const BACKUP_VERSION = 2;
/** Versions {@link decodeBackup} reads: 1 wrote u64s as decimal strings. */
const READABLE_VERSIONS: readonly unknown[] = [1, BACKUP_VERSION];
/** No backup record is anywhere near this large: a bigger file is not one. */
export const BACKUP_MAX_BYTES = 64 * 1024;

export interface TargetIdentity {
  /** realpath of the target when the backup was taken, byte-exact. */
  path: Uint8Array;
  size: bigint;
  dev: bigint;
  ino: bigint;
}

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

export const crc32 = (bytes: Uint8Array | string): number => {
  expectStringOrBytes(bytes, 'bytes');
  return (typeof bytes === 'string' ? CRC32.str(bytes) : CRC32.buf(bytes)) >>> 0;
};
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

const bad = (msg: string): InfoblockError => new InfoblockError('backup', msg);

/** A backup record's target identity as its JSON header writes it (shared by the realign record). */
export function targetJson(t: TargetIdentity): Record<string, unknown> {
  return {
    path: pathText(t.path),
    path_base64: bufferOf(t.path).toString('base64'),
    size: toWire(t.size),
    dev: toWire(t.dev),
    ino: toWire(t.ino),
  };
}

export function encodeBackup(r: BackupRecord): Uint8Array {
  expectOptions(r, 'r');
  if (r.head.byteLength !== HEAD_SIZE) throw new Error(`internal: backup head must be ${HEAD_SIZE} bytes`);
  const header = JSON.stringify({
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
  });
  const body = Buffer.from(`${header}\n${Buffer.from(r.head).toString('base64')}\n`, 'utf8');
  return Buffer.concat([body, Buffer.from(`crc32 ${hex8(crc32(body))}\n`, 'latin1')]);
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`backup header: '${key}' missing or not a string`);
  return v;
}

/**
 * A u64 of a record's header (this record's or the realignment record's):
 * `"0x…"` as {@link toWire} writes it, or a decimal string as records of
 * version 1 wrote it. Anything else is an InfoblockError 'backup'.
 */
export function recordU64(o: Record<string, unknown>, key: string, name = 'backup header'): bigint {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`${name}: '${key}' missing or not a string`);
  const n = /^\d{1,20}$/.test(v) ? BigInt(v) : parseU64(v);
  if (n === undefined || n > U64_MAX) throw bad(`${name}: '${key}' is not a u64 ("0x…" hex)`);
  return n;
}
const big = (o: Record<string, unknown>, key: string): bigint => recordU64(o, key);

/** Split and check the three lines; returns the header object and the head. */
function unseal(bytes: Buffer, name: string): { h: Record<string, unknown>; head: Uint8Array } {
  // latin1 maps each byte to one character, so offsets in the text are byte offsets.
  const m = /^([^\n]*)\n([A-Za-z0-9+/=]*)\ncrc32 ([0-9a-f]{8})\n$/.exec(bytes.toString('latin1'));
  if (m === null) throw bad(`${name} is not an nd-infoblock backup record (expected header, base64 head, crc32 lines)`);
  const [, headerLine = '', b64 = '', crcText = ''] = m;
  const computed = crc32(bytes.subarray(0, headerLine.length + b64.length + 2));
  if (computed !== parseInt(crcText, 16))
    throw bad(`${name} is corrupt: CRC-32 ${hex8(computed)} does not match the ` + `recorded ${crcText}`);
  let h: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bytes.subarray(0, headerLine.length).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    h = parsed as Record<string, unknown>;
  } catch (e) {
    throw new InfoblockError('backup', `${name}: header is not JSON`, { cause: e });
  }
  if (h.format !== BACKUP_FORMAT || !READABLE_VERSIONS.includes(h.version))
    throw bad(`${name}: unknown format ` + `${String(h.format)} version ${String(h.version)}`);
  const head = new Uint8Array(Buffer.from(b64, 'base64'));
  if (head.byteLength !== HEAD_SIZE) throw bad(`${name}: head is ${head.byteLength} bytes, expected ${HEAD_SIZE}`);
  return { h, head };
}

/** Parse and verify a backup record (the file's bytes); any damage is an InfoblockError 'backup'. */
export function decodeBackup(data: Uint8Array | string, name = 'backup'): BackupRecord {
  expectStringOrBytes(data, 'data');
  if (name !== undefined) expectString(name, 'name');
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const { h, head } = unseal(bytes, name);
  const t = h.target as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) throw bad(`${name}: header has no target`);
  // path_base64 is byte-exact; records of earlier versions only have the UTF-8 path.
  const exact = typeof t.path_base64 === 'string' ? Buffer.from(t.path_base64, 'base64') : Buffer.from(str(t, 'path'));
  let intended: Uint8Array | undefined;
  if (h.intended_base64 !== undefined) {
    intended = new Uint8Array(Buffer.from(str(h, 'intended_base64'), 'base64'));
    if (intended.byteLength !== BLOCK_SIZE)
      throw bad(`${name}: intended block is ${intended.byteLength} bytes, ` + `expected ${BLOCK_SIZE}`);
  }
  const intendedCrc32 = parseInt(str(h, 'intended_crc32'), 16) >>> 0;
  if (intended !== undefined && crc32(intended) !== intendedCrc32)
    throw bad(`${name}: intended block does not match ` + `its CRC-32`);
  return {
    target: { path: exact, size: big(t, 'size'), dev: big(t, 'dev'), ino: big(t, 'ino') },
    offset: big(h, 'offset'),
    nsBase: big(h, 'ns_base'),
    nsSize: big(h, 'ns_size'),
    created: str(h, 'created'),
    from: str(h, 'from'),
    to: str(h, 'to'),
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
