/**
 * The backup record of a realignment: one small self-describing file of two
 * lines,
 *
 * ```
 * {"format":"nd-infoblock-realign-backup","version":2,...}   JSON header (UTF-8)
 * crc32 0123abcd                                              over the bytes of the line above
 * ```
 *
 * The header names the target (as the info-block backup does: realpath
 * readable and byte-exact, size, dev, ino) and lists every write of the
 * realignment with the bytes that were there before and the bytes it puts
 * there (base64), in the order they are made. Positions and sizes are
 * `"0x…"` strings, as in the info-block backup (version 1 wrote them as
 * decimal strings and still reads).
 */
import { InfoblockError } from '../format/errors';
import { toWire } from '../format/json';
import {
  recordList,
  recordString,
  recordU64,
  sealRecord,
  targetFromJson,
  targetJson,
  unsealRecord,
  type Header,
  type TargetIdentity,
} from '../replace/record';
import { expectBytes, expectFields, expectString } from '../format/guard';

export const REALIGN_BACKUP_FORMAT = 'nd-infoblock-realign-backup';
export const REALIGN_BACKUP_VERSION = 2;
/** Versions {@link decodeRealignRecord} reads: 1 wrote u64s as decimal strings. */
const READABLE_VERSIONS: readonly number[] = [1, REALIGN_BACKUP_VERSION];
/** A label area is at most 2 GiB, but a realignment writes a few KiB: a record is never near this large. */
export const REALIGN_BACKUP_MAX_BYTES = 4 * 1024 * 1024;

/** One write of a realignment: where, the bytes before, the bytes after. */
export interface RecordedWrite {
  what: 'block' | 'label' | 'index';
  position: bigint;
  original: Uint8Array;
  intended: Uint8Array;
}

export interface RealignRecord {
  target: TargetIdentity;
  created: string;
  labelSize: bigint;
  /** The namespaces moved: uuid, DPA and size before and after (informational). */
  namespaces: { uuid: string; dpa: bigint; size: bigint; newDpa: bigint; newSize: bigint }[];
  writes: RecordedWrite[];
}

const bad = (msg: string): InfoblockError => new InfoblockError('backup', msg);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export function encodeRealignRecord(r: RealignRecord): Uint8Array {
  expectFields(r, 'r', {
    target: 'object',
    created: 'string',
    labelSize: 'bigint',
    namespaces: 'array',
    writes: 'array',
  });
  return sealRecord({
    format: REALIGN_BACKUP_FORMAT,
    version: REALIGN_BACKUP_VERSION,
    target: targetJson(r.target),
    created: r.created,
    label_size: toWire(r.labelSize),
    namespaces: r.namespaces.map((n) => ({
      uuid: n.uuid,
      dpa: toWire(n.dpa),
      size: toWire(n.size),
      new_dpa: toWire(n.newDpa),
      new_size: toWire(n.newSize),
    })),
    writes: r.writes.map((w) => ({
      what: w.what,
      position: toWire(w.position),
      original_base64: b64(w.original),
      intended_base64: b64(w.intended),
    })),
  });
}

/** Whether `bytes` look like a realignment record (its first line names the format), before any checking. */
export function isRealignRecord(bytes: Uint8Array): boolean {
  expectBytes(bytes, 'bytes');
  const start = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  return start.startsWith(`{"format":"${REALIGN_BACKUP_FORMAT}"`);
}

const REALIGN_KIND = {
  format: REALIGN_BACKUP_FORMAT,
  versions: READABLE_VERSIONS,
  base64Lines: 0,
  expected: 'a realignment backup record (expected a header and a crc32 line)',
};

function decodeWrite(w: Header, name: string): RecordedWrite {
  const what = recordString(w, 'what', name);
  if (what !== 'block' && what !== 'label' && what !== 'index') throw bad(`${name}: unknown write '${what}'`);
  const original = new Uint8Array(Buffer.from(recordString(w, 'original_base64', name), 'base64'));
  const intended = new Uint8Array(Buffer.from(recordString(w, 'intended_base64', name), 'base64'));
  if (original.byteLength !== intended.byteLength || original.byteLength === 0)
    throw bad(`${name}: a write's original and intended bytes differ in length`);
  return { what, position: recordU64(w, 'position', name), original, intended };
}

/** Parse and verify a realignment record; any damage is an InfoblockError 'backup'. */
export function decodeRealignRecord(data: Uint8Array, name = 'backup'): RealignRecord {
  expectBytes(data, 'data');
  if (name !== undefined) expectString(name, 'name');
  const { h } = unsealRecord(data, name, REALIGN_KIND);
  return {
    target: targetFromJson(h, name),
    created: recordString(h, 'created', name),
    labelSize: recordU64(h, 'label_size', name),
    namespaces: recordList(h, 'namespaces', name).map((n) => ({
      uuid: recordString(n, 'uuid', name),
      dpa: recordU64(n, 'dpa', name),
      size: recordU64(n, 'size', name),
      newDpa: recordU64(n, 'new_dpa', name),
      newSize: recordU64(n, 'new_size', name),
    })),
    writes: recordList(h, 'writes', name).map((w) => decodeWrite(w, name)),
  };
}

/** Whether the bytes now at a write's place are its original, its intended bytes, a torn mix, or foreign. */
export function writeState(w: RecordedWrite, now: Uint8Array): 'original' | 'intended' | 'torn' | 'foreign' {
  const same = (a: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(now));
  if (same(w.original)) return 'original';
  if (same(w.intended)) return 'intended';
  for (let i = 0; i < now.byteLength; i++) if (now[i] !== w.original[i] && now[i] !== w.intended[i]) return 'foreign';
  return 'torn';
}
