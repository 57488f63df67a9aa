/**
 * Declarative structure tables. A table lists every field once:
 * name, ndctl JSON key, offset, kind, the minor version that introduced it
 * with the value an older reader sees instead, and its doc text. The
 * binary-parser decoder, our encoder, range checks, the ndctl JSON key
 * order, minor-version gating and the generated specs (docs/format.md's
 * layout, the schemas' field descriptions, formats/*.ksy and the magic(5)
 * fragment, see spec.ts) are all derived from it.
 *
 * Kinds are keyed by a mapped type: adding a kind without a size or a value
 * type does not compile.
 */
import { Parser } from 'binary-parser';
import { requireLength, viewOf } from './bytes';
import { InvalidFieldError } from './errors';
import { formatUuid, isUuid, parseUuid } from './uuid';
import { U64_MAX } from './int64';
import { expectFields } from './guard';

export interface KindInfo {
  sig16: { value: Uint8Array };
  uuid: { value: string };
  /** Raw bytes of the field's own `size` (e.g. a label's 64-byte name). */
  bytes: { value: Uint8Array };
  u8: { value: number };
  u16: { value: number };
  u32: { value: number };
  u64: { value: bigint };
  pad: { value: never };
}
export type FieldKind = keyof KindInfo;

/** Fixed sizes; `pad` fields carry their own size. */
export const KIND_SIZE: { [K in Exclude<FieldKind, 'pad' | 'bytes'>]: number } = {
  sig16: 16,
  uuid: 16,
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
};

export interface FieldDef {
  readonly name: string;
  /** Key in ndctl's read-infoblock JSON (absent: not printed). */
  readonly key?: string;
  readonly offset: number;
  readonly kind: FieldKind;
  /** Only for `pad` and `bytes`. */
  readonly size?: number;
  /** First version_minor whose readers honour the field (0: always). */
  readonly since: number;
  /**
   * What a reader sees instead when the block's version_minor (or the reader itself) predates `since`:
   * a constant, or `'reader-page-size'` (the reading system's page size). Required when `since` is not 0.
   */
  readonly before?: number | 'reader-page-size';
  /** One sentence for people: the docs' layout table, the schemas' field descriptions, the Kaitai spec. */
  readonly doc?: string;
  /** ndctl prints this field as a signed 32-bit JSON integer, never as hex. */
  readonly json?: 'int32';
}

export type FieldTable = readonly FieldDef[];

/** The decoded object type of a table: one property per non-pad field. */
export type Decoded<T extends FieldTable> = {
  -readonly [F in T[number] as F['kind'] extends 'pad' ? never : F['name']]: KindInfo[F['kind']]['value'];
};

/** Size in bytes of a field of the table. */
export function fieldSize(f: FieldDef): number {
  expectFields(f, 'f', { name: 'string', offset: 'number', kind: 'string', since: 'number' });
  return f.kind === 'pad' || f.kind === 'bytes' ? (f.size ?? 0) : KIND_SIZE[f.kind];
}

export interface StructCodec<T extends FieldTable> {
  readonly table: T;
  readonly size: number;
  decode(bytes: Uint8Array): Decoded<T>;
  /** Encode into a new zero-filled buffer of `size` bytes (checksum field as given). */
  encode(value: Decoded<T>): Uint8Array;
  /** Write only the given fields into `out` (range-checked). */
  writeFields(out: Uint8Array, value: Partial<Decoded<T>>): void;
}

function buildParser(table: FieldTable): Parser {
  let p = new Parser().endianness('little');
  let pos = 0;
  for (const f of table) {
    if (f.offset !== pos) p = p.seek(f.offset - pos);
    switch (f.kind) {
      case 'sig16':
        // One copy, owned by the result.
        p = p.buffer(f.name, { length: 16, formatter: (b: unknown) => new Uint8Array(b as Uint8Array) });
        break;
      case 'uuid':
        p = p.buffer(f.name, { length: 16, formatter: (b: unknown) => formatUuid(b as Uint8Array) });
        break;
      case 'bytes':
        p = p.buffer(f.name, { length: fieldSize(f), formatter: (b: unknown) => new Uint8Array(b as Uint8Array) });
        break;
      case 'u8':
        p = p.uint8(f.name);
        break;
      case 'u16':
        p = p.uint16le(f.name);
        break;
      case 'u32':
        p = p.uint32le(f.name);
        break;
      case 'u64':
        p = p.uint64le(f.name);
        break;
      case 'pad':
        p = p.seek(fieldSize(f));
        break;
    }
    pos = f.offset + fieldSize(f);
  }
  return p;
}

function checkInt(f: FieldDef, v: unknown, bits: 8 | 16 | 32): number {
  const max = bits === 8 ? 0xff : bits === 16 ? 0xffff : 0xffffffff;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new InvalidFieldError(`${String(v)} is not a u${bits}`, { offset: f.offset, field: f.name });
  }
  return v;
}

function writeField(dv: DataView, bytes: Uint8Array, f: FieldDef, v: unknown): void {
  switch (f.kind) {
    case 'sig16':
      if (!(v instanceof Uint8Array) || v.byteLength !== 16) {
        throw new InvalidFieldError('signature must be 16 bytes', { offset: f.offset, field: f.name });
      }
      bytes.set(v, f.offset);
      return;
    case 'uuid':
      if (typeof v !== 'string' || !isUuid(v)) {
        throw new InvalidFieldError(`invalid uuid '${String(v)}'`, { offset: f.offset, field: f.name });
      }
      parseUuid(v, bytes, f.offset);
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array) || v.byteLength !== fieldSize(f)) {
        throw new InvalidFieldError(`must be ${fieldSize(f)} bytes`, { offset: f.offset, field: f.name });
      }
      bytes.set(v, f.offset);
      return;
    case 'u8':
      dv.setUint8(f.offset, checkInt(f, v, 8));
      return;
    case 'u16':
      dv.setUint16(f.offset, checkInt(f, v, 16), true);
      return;
    case 'u32':
      dv.setUint32(f.offset, checkInt(f, v, 32), true);
      return;
    case 'u64':
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
        throw new InvalidFieldError(`${String(v)} is not a u64`, { offset: f.offset, field: f.name });
      }
      dv.setBigUint64(f.offset, v, true);
      return;
    case 'pad':
      return;
  }
}

export function makeStructCodec<T extends FieldTable>(table: T, size: number, what: string): StructCodec<T> {
  const parser = buildParser(table);
  const byName = new Map(table.map((f) => [f.name, f]));
  return {
    table,
    size,
    decode(bytes: Uint8Array): Decoded<T> {
      requireLength(bytes, size, what);
      return parser.parse(bytes.subarray(0, size)) as Decoded<T>;
    },
    encode(value: Decoded<T>): Uint8Array {
      const out = new Uint8Array(size);
      const dv = viewOf(out);
      const rec = value as Record<string, unknown>;
      for (const f of table) if (f.kind !== 'pad') writeField(dv, out, f, rec[f.name]);
      return out;
    },
    writeFields(out: Uint8Array, value: Partial<Decoded<T>>): void {
      requireLength(out, size, what);
      const dv = viewOf(out);
      for (const [name, v] of Object.entries(value)) {
        const f = byName.get(name);
        if (f === undefined || f.kind === 'pad') throw new InvalidFieldError(`unknown field '${name}'`);
        writeField(dv, out, f, v);
      }
    },
  };
}
