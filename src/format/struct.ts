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
 * type does not compile. An integer field that counts bytes (a size, an
 * offset, an alignment) says `unit: 'bytes'` and decodes to a bigint
 * whatever its width, like every byte quantity of the library; the other
 * integers (versions, flags, modes, counts) below 64 bits decode to numbers.
 */
import { Parser } from 'binary-parser';
import { requireLength, viewOf } from './bytes';
import { InvalidFieldError } from './errors';
import { formatUuid, isUuid, parseUuid } from './uuid';
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
  readonly before?: number | bigint | 'reader-page-size';
  /** One sentence for people: the docs' layout table, the schemas' field descriptions, the Kaitai spec. */
  readonly doc?: string;
  /** ndctl prints this field as a signed 32-bit JSON integer, never as hex. */
  readonly json?: 'int32';
  /**
   * The field counts bytes (a size, an offset, an alignment): a u8/u16/u32 of this unit decodes to a bigint
   * and encodes from one (range-checked against the field's width), as u64 fields do. Its wire forms do not
   * change: ndctl's JSON prints it by `kind`/`json`, our documents as `"0x…"`.
   */
  readonly unit?: 'bytes';
}

export type FieldTable = readonly FieldDef[];

/** The value type of one field: its kind's, except a byte quantity, always a bigint. */
export type FieldValue<F extends FieldDef> = F extends { readonly unit: 'bytes' }
  ? bigint
  : KindInfo[F['kind']]['value'];

/** The decoded object type of a table: one property per non-pad field. */
export type Decoded<T extends FieldTable> = {
  -readonly [F in T[number] as F['kind'] extends 'pad' ? never : F['name']]: FieldValue<F>;
};

/** Whether a field decodes to a bigint: a u64, or a narrower integer counting bytes. */
export function isBigintField(f: FieldDef): boolean {
  return f.kind === 'u64' || (f.unit === 'bytes' && (f.kind === 'u8' || f.kind === 'u16' || f.kind === 'u32'));
}

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

const toBigint = (v: unknown): bigint => BigInt(v as number);

function buildParser(table: FieldTable): Parser {
  let p = new Parser().endianness('little');
  let pos = 0;
  for (const f of table) {
    // A byte quantity narrower than 64 bits: read as the kind says, handed out as a bigint.
    const asBytes = f.unit === 'bytes' ? { formatter: toBigint } : {};
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
        p = p.uint8(f.name, asBytes);
        break;
      case 'u16':
        p = p.uint16le(f.name, asBytes);
        break;
      case 'u32':
        p = p.uint32le(f.name, asBytes);
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

/**
 * The one range check of the encoder: `v` as the number to store when it is an integer of `bits` bits, of the
 * field's type (a bigint for a byte quantity or a u64, a number otherwise).
 */
function checkInt(f: FieldDef, v: unknown, bits: 8 | 16 | 32 | 64): number | bigint {
  const max = (1n << BigInt(bits)) - 1n;
  const place = { offset: f.offset, field: f.name };
  if (isBigintField(f)) {
    if (typeof v !== 'bigint') {
      const pass = typeof v === 'number' && Number.isSafeInteger(v) ? `: pass ${v}n` : '';
      throw new InvalidFieldError(`${String(v)} is not a u${bits} (a bigint)${pass}`, place);
    }
    if (v < 0n || v > max) throw new InvalidFieldError(`${v} is not a u${bits}`, place);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number(max)) {
    throw new InvalidFieldError(`${String(v)} is not a u${bits}`, place);
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
    // Number() of a checked u8/u16/u32 is exact (below 2^32).
    case 'u8':
      dv.setUint8(f.offset, Number(checkInt(f, v, 8)));
      return;
    case 'u16':
      dv.setUint16(f.offset, Number(checkInt(f, v, 16)), true);
      return;
    case 'u32':
      dv.setUint32(f.offset, Number(checkInt(f, v, 32)), true);
      return;
    case 'u64':
      dv.setBigUint64(f.offset, BigInt(checkInt(f, v, 64)), true);
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
