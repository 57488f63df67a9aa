/**
 * The sealed record every backup of ours is written as (the info-block
 * backup, src/replace/backup.ts, and the realignment's, in migrate/): a JSON
 * header line, then the record's base64 lines, then
 *
 *   crc32 0123abcd      over the bytes of every line above, newlines included
 *
 * One writer and one reader of that frame, of the header's target identity
 * and of its u64s (`"0x…"` through {@link toWire}; records of version 1 wrote
 * decimal strings, which still read). Any damage is an InfoblockError 'backup'.
 */
import * as CRC32 from 'crc-32';
import { InfoblockError } from '../format/errors';
import { U64_MAX } from '../format/int64';
import { parseU64, toWire } from '../format/json';
import { bufferOf, pathText } from '../io/path';
import { expectStringOrBytes } from '../format/guard';

/** A record's JSON header. */
export type Header = Record<string, unknown>;

/** What a reader expects of one kind of record. */
export interface RecordKind {
  /** The header's `format`. */
  format: string;
  /** The header `version`s it reads. */
  versions: readonly number[];
  /** How many base64 lines follow the header. */
  base64Lines: number;
  /** What the file must be, for the message when it is not (`an nd-infoblock backup record (expected …)`). */
  expected: string;
}

/** The target a record belongs to. */
export interface TargetIdentity {
  /** realpath of the target when the backup was taken, byte-exact. */
  path: Uint8Array;
  size: bigint;
  dev: bigint;
  ino: bigint;
}

export const crc32 = (bytes: Uint8Array | string): number => {
  expectStringOrBytes(bytes, 'bytes');
  return (typeof bytes === 'string' ? CRC32.str(bytes) : CRC32.buf(bytes)) >>> 0;
};
/** A CRC-32 as a record writes it: eight lowercase hex digits. */
export const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

const bad = (msg: string): InfoblockError => new InfoblockError('backup', msg);

/** The record's bytes: `header` as one JSON line, the `base64` lines, and the seal over them. */
export function sealRecord(header: Header, base64: readonly Uint8Array[] = []): Uint8Array {
  const lines = [JSON.stringify(header), ...base64.map((b) => Buffer.from(b).toString('base64'))];
  const body = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  return Buffer.concat([body, Buffer.from(`crc32 ${hex8(crc32(body))}\n`, 'latin1')]);
}

/**
 * Check a record's frame, seal, header JSON, format and version; returns the header and the decoded base64
 * lines. `name` opens every message.
 */
export function unsealRecord(data: Uint8Array, name: string, kind: RecordKind): { h: Header; base64: Uint8Array[] } {
  const bytes = Buffer.from(data);
  // latin1 maps each byte to one character, so offsets in the text are byte offsets.
  const frame = new RegExp(`^([^\\n]*)\\n${'([A-Za-z0-9+/=]*)\\n'.repeat(kind.base64Lines)}crc32 ([0-9a-f]{8})\\n$`);
  const m = frame.exec(bytes.toString('latin1'));
  if (m === null) throw bad(`${name} is not ${kind.expected}`);
  const lines = m.slice(1, -1);
  const crcText = m[m.length - 1] ?? '';
  const sealed = lines.reduce((n, l) => n + l.length + 1, 0);
  const computed = crc32(bytes.subarray(0, sealed));
  if (computed !== parseInt(crcText, 16))
    throw bad(`${name} is corrupt: CRC-32 ${hex8(computed)} does not match the recorded ${crcText}`);
  let h: Header;
  try {
    const parsed: unknown = JSON.parse(bytes.subarray(0, lines[0]?.length ?? 0).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    h = parsed as Header;
  } catch (e) {
    throw new InfoblockError('backup', `${name}: header is not JSON`, { cause: e });
  }
  if (h.format !== kind.format || !(kind.versions as readonly unknown[]).includes(h.version))
    throw bad(`${name}: unknown format ${String(h.format)} version ${String(h.version)}`);
  return { h, base64: lines.slice(1).map((l) => new Uint8Array(Buffer.from(l, 'base64'))) };
}

/** A string of a record's header (or of an object in it). */
export function recordString(o: Header, key: string, name: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`${name}: '${key}' missing or not a string`);
  return v;
}

/**
 * A u64 of a record's header: `"0x…"` as {@link toWire} writes it, or a
 * decimal string as records of version 1 wrote it.
 */
export function recordU64(o: Header, key: string, name: string): bigint {
  const v = recordString(o, key, name);
  const n = /^\d{1,20}$/.test(v) ? BigInt(v) : parseU64(v);
  if (n === undefined || n > U64_MAX) throw bad(`${name}: '${key}' is not a u64 ("0x…" hex)`);
  return n;
}

/** A list of objects of a record's header. */
export function recordList(o: Header, key: string, name: string): Header[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null))
    throw bad(`${name}: '${key}' is not a list`);
  return v as Header[];
}

/** A record's target identity as its header writes it: the realpath readable and byte-exact, size, dev, ino. */
export function targetJson(t: TargetIdentity): Header {
  return {
    path: pathText(t.path),
    path_base64: bufferOf(t.path).toString('base64'),
    size: toWire(t.size),
    dev: toWire(t.dev),
    ino: toWire(t.ino),
  };
}

/** The inverse of {@link targetJson}; records of earlier versions without `path_base64` give the UTF-8 path. */
export function targetFromJson(h: Header, name: string): TargetIdentity {
  const t = h.target;
  if (typeof t !== 'object' || t === null) throw bad(`${name}: header has no target`);
  const o = t as Header;
  // A Buffer (a Uint8Array): byte-exact from path_base64, else the UTF-8 path of records of earlier versions.
  const path =
    typeof o.path_base64 === 'string'
      ? Buffer.from(o.path_base64, 'base64')
      : Buffer.from(recordString(o, 'path', name));
  return {
    path,
    size: recordU64(o, 'size', name),
    dev: recordU64(o, 'dev', name),
    ino: recordU64(o, 'ino', name),
  };
}
