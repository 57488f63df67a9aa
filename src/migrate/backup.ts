/**
 * The backup record migrate writes before it touches a target: one small
 * self-describing text file of three lines,
 *
 *   {"format":"nd-infoblock-backup","version":1,...}   JSON header
 *   <base64 of the original 8 KiB head>
 *   crc32 0123abcd                                     over the two lines above (bytes, newlines included)
 *
 * Integers that can exceed 2^53 (sizes, addresses, inode numbers) are decimal
 * strings in the header so any JSON reader keeps them exact.
 */
import * as CRC32 from 'crc-32';
import { InfoblockError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import { sameBytes } from '../format/pfn';

export const BACKUP_FORMAT = 'nd-infoblock-backup';
export const BACKUP_VERSION = 1;

export interface TargetIdentity {
  /** realpath of the target when the backup was taken. */
  path: string;
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
  /** The migration the backup was taken for (informational). */
  from: string;
  to: string;
  /** The original 8 KiB head (block at 4096). */
  head: Uint8Array;
  /** CRC-32 of the 4 KiB block migrate intended to write (lets a rerun recognise it). */
  intendedCrc32: number;
}

export const crc32 = (bytes: Uint8Array | string): number => (typeof bytes === 'string' ? CRC32.str(bytes) : CRC32.buf(bytes)) >>> 0;
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

const bad = (msg: string): InfoblockError => new InfoblockError('backup', msg);

export function encodeBackup(r: BackupRecord): string {
  if (r.head.byteLength !== HEAD_SIZE) throw new Error(`internal: backup head must be ${HEAD_SIZE} bytes`);
  const header = JSON.stringify({
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    target: { path: r.target.path, size: r.target.size.toString(), dev: r.target.dev.toString(), ino: r.target.ino.toString() },
    offset: r.offset.toString(),
    ns_base: r.nsBase.toString(),
    ns_size: r.nsSize.toString(),
    created: r.created,
    from: r.from,
    to: r.to,
    head_bytes: HEAD_SIZE,
    intended_crc32: hex8(r.intendedCrc32),
  });
  const body = `${header}\n${Buffer.from(r.head).toString('base64')}\n`;
  return `${body}crc32 ${hex8(crc32(body))}\n`;
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(`backup header: '${key}' missing or not a string`);
  return v;
}

function big(o: Record<string, unknown>, key: string): bigint {
  const v = str(o, key);
  if (!/^\d+$/.test(v)) throw bad(`backup header: '${key}' is not a decimal integer`);
  return BigInt(v);
}

/** Parse and verify a backup record; any damage is an InfoblockError 'backup'. */
export function decodeBackup(text: string, name = 'backup'): BackupRecord {
  const m = /^([^\n]*)\n([A-Za-z0-9+/=]*)\ncrc32 ([0-9a-f]{8})\n$/.exec(text);
  if (m === null) throw bad(`${name} is not an nd-infoblock backup record (expected header, base64 head, crc32 lines)`);
  const [, headerLine = '', b64 = '', crcText = ''] = m;
  const body = `${headerLine}\n${b64}\n`;
  const computed = crc32(body);
  if (computed !== parseInt(crcText, 16)) throw bad(`${name} is corrupt: CRC-32 ${hex8(computed)} does not match the recorded ${crcText}`);
  let h: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(headerLine);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    h = parsed as Record<string, unknown>;
  } catch (e) {
    throw new InfoblockError('backup', `${name}: header is not JSON`, { cause: e });
  }
  if (h.format !== BACKUP_FORMAT || h.version !== BACKUP_VERSION) throw bad(`${name}: unknown format ${String(h.format)} version ${String(h.version)}`);
  const t = h.target as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) throw bad(`${name}: header has no target`);
  const head = new Uint8Array(Buffer.from(b64, 'base64'));
  if (head.byteLength !== HEAD_SIZE) throw bad(`${name}: head is ${head.byteLength} bytes, expected ${HEAD_SIZE}`);
  const crcField = str(h, 'intended_crc32');
  return {
    target: { path: str(t, 'path'), size: big(t, 'size'), dev: big(t, 'dev'), ino: big(t, 'ino') },
    offset: big(h, 'offset'),
    nsBase: big(h, 'ns_base'),
    nsSize: big(h, 'ns_size'),
    created: str(h, 'created'),
    from: str(h, 'from'),
    to: str(h, 'to'),
    head,
    intendedCrc32: parseInt(crcField, 16) >>> 0,
  };
}

/** Same target (path or dev/ino, and size), same offset, same original bytes: a second backup would add nothing. */
export function sameBackup(a: BackupRecord, b: BackupRecord): boolean {
  return belongsTo(a, b.target) && a.offset === b.offset && sameBytes(a.head, b.head);
}

/** A backup belongs to a target when the realpath or dev/ino match, and the size is the same. */
export function belongsTo(r: BackupRecord, t: TargetIdentity): boolean {
  const sameFile = r.target.path === t.path || (r.target.dev === t.dev && r.target.ino === t.ino);
  return sameFile && r.target.size === t.size;
}
