/**
 * The backup record of a realignment: one small self-describing file of two
 * lines,
 *
 *   {"format":"nd-infoblock-realign-backup","version":2,...}   JSON header (UTF-8)
 *   crc32 0123abcd                                              over the bytes of the line above
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
import { crc32, recordU64, targetJson, type TargetIdentity } from '../replace/backup';
import { expectBytes, expectFields, expectString } from '../format/guard';

export const REALIGN_BACKUP_FORMAT = 'nd-infoblock-realign-backup';
export const REALIGN_BACKUP_VERSION = 2;
/** Versions {@link decodeRealignRecord} reads: 1 wrote u64s as decimal strings. */
const READABLE_VERSIONS: readonly unknown[] = [1, REALIGN_BACKUP_VERSION];
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
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export function encodeRealignRecord(r: RealignRecord): Uint8Array {
  expectFields(r, 'r', {
    target: 'object',
    created: 'string',
    labelSize: 'bigint',
    namespaces: 'array',
    writes: 'array',
  });
  const header = JSON.stringify({
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
  const body = Buffer.from(`${header}\n`, 'utf8');
  return Buffer.concat([body, Buffer.from(`crc32 ${hex8(crc32(body))}\n`, 'latin1')]);
}

/** Whether `bytes` look like a realignment record (its first line names the format), before any checking. */
export function isRealignRecord(bytes: Uint8Array): boolean {
  expectBytes(bytes, 'bytes');
  const start = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  return start.startsWith(`{"format":"${REALIGN_BACKUP_FORMAT}"`);
}

type Obj = Record<string, unknown>;
function field(o: Obj, key: string, name: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`${name}: '${key}' missing or not a string`);
  return v;
}
const u64 = (o: Obj, key: string, name: string): bigint => recordU64(o, key, name);
const list = (o: Obj, key: string, name: string): Obj[] => {
  const v = o[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null))
    throw bad(`${name}: '${key}' is not a list`);
  return v as Obj[];
};

function decodeWrite(w: Obj, name: string): RecordedWrite {
  const what = field(w, 'what', name);
  if (what !== 'block' && what !== 'label' && what !== 'index') throw bad(`${name}: unknown write '${what}'`);
  const original = new Uint8Array(Buffer.from(field(w, 'original_base64', name), 'base64'));
  const intended = new Uint8Array(Buffer.from(field(w, 'intended_base64', name), 'base64'));
  if (original.byteLength !== intended.byteLength || original.byteLength === 0)
    throw bad(`${name}: a write's original and intended bytes differ in length`);
  return { what, position: u64(w, 'position', name), original, intended };
}

/** Parse and verify a realignment record; any damage is an InfoblockError 'backup'. */
export function decodeRealignRecord(data: Uint8Array, name = 'backup'): RealignRecord {
  expectBytes(data, 'data');
  if (name !== undefined) expectString(name, 'name');
  const text = Buffer.from(data).toString('latin1');
  const m = /^([^\n]*)\ncrc32 ([0-9a-f]{8})\n$/.exec(text);
  if (m === null) throw bad(`${name} is not a realignment backup record (expected a header and a crc32 line)`);
  const [, line = '', crcText = ''] = m;
  const computed = crc32(Buffer.from(data).subarray(0, line.length + 1));
  if (computed !== parseInt(crcText, 16))
    throw bad(`${name} is corrupt: CRC-32 ${hex8(computed)} does not match the recorded ${crcText}`);
  let h: Obj;
  try {
    h = JSON.parse(Buffer.from(data).subarray(0, line.length).toString('utf8')) as Obj;
  } catch (e) {
    throw new InfoblockError('backup', `${name}: header is not JSON`, { cause: e });
  }
  if (h.format !== REALIGN_BACKUP_FORMAT || !READABLE_VERSIONS.includes(h.version))
    throw bad(`${name}: unknown format ${String(h.format)} version ${String(h.version)}`);
  const t = h.target as Obj | undefined;
  if (typeof t !== 'object' || t === null) throw bad(`${name}: header has no target`);
  return {
    target: {
      path: new Uint8Array(Buffer.from(field(t, 'path_base64', name), 'base64')),
      size: u64(t, 'size', name),
      dev: u64(t, 'dev', name),
      ino: u64(t, 'ino', name),
    },
    created: field(h, 'created', name),
    labelSize: u64(h, 'label_size', name),
    namespaces: list(h, 'namespaces', name).map((n) => ({
      uuid: field(n, 'uuid', name),
      dpa: u64(n, 'dpa', name),
      size: u64(n, 'size', name),
      newDpa: u64(n, 'new_dpa', name),
      newSize: u64(n, 'new_size', name),
    })),
    writes: list(h, 'writes', name).map((w) => decodeWrite(w, name)),
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
