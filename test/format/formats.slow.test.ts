// The shipped specs of formats/ proven with the real tools: Kaitai Struct's own compiler
// (kaitai-struct-compiler) turns formats/*.ksy into JavaScript parsers that decode every block of a
// generated corpus (and the samples) exactly as our decoder does, u64s included; file(1) with
// formats/nd-infoblock.magic names the sample heads and whole images.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CorpusGenerator } from '../../src/corpus/index';
import {
  BLOCK_SIZE,
  blockOfHead,
  bttCodec,
  effectiveFields,
  formatUuid,
  HEAD_SIZE,
  INFOBLOCK_OFFSET,
  pfnCodec,
  signatureKind,
  type FieldTable,
  PFN_FIELDS,
  BTT_FIELDS,
  toJson,
} from '../../src/format/index';
import { useTmpDir } from '../support/tmp';

const ROOT = path.join(__dirname, '..', '..');
const FORMATS = path.join(ROOT, 'formats');
const SAMPLES = path.join(ROOT, 'samples');
const tmp = useTmpDir('formats');

/** The part of the Kaitai runtime's stream the tests use (the package ships no types). */
interface KStream {
  readU4le(): number;
  readU8le(): number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KaitaiStream = require('kaitai-struct/KaitaiStream') as new (buffer: ArrayBuffer) => KStream;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiler = require('kaitai-struct-compiler') as {
  version: string;
  compile(lang: string, ksy: unknown, importer: null, debug: boolean): Promise<Record<string, string>>;
};

type Parsed = Record<string, unknown>;
type Parser = new (io: KStream) => Parsed;

/** Compile formats/<name>.ksy with Kaitai's compiler and load the JavaScript parser it writes. */
async function compileKsy(name: string): Promise<Parser> {
  const ksy: unknown = parseYaml(fs.readFileSync(path.join(FORMATS, `${name}.ksy`), 'utf8'));
  const files = await compiler.compile('javascript', ksy, null, false);
  const [file, code] = Object.entries(files)[0] ?? ['', ''];
  const exportsOf: Record<string, unknown> = {};
  // The compiled module is UMD: give it CommonJS exports and a require that finds the runtime.
  // Runs the module Kaitai's compiler generated:
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- see above
  new Function('exports', 'require', code)(exportsOf, (id: string): unknown =>
    id === 'kaitai-struct/KaitaiStream' ? KaitaiStream : undefined,
  );
  const parser = exportsOf[file.replace(/\.js$/, '')];
  if (typeof parser !== 'function') throw new Error(`${file} exports no parser`);
  return parser as Parser;
}

/**
 * The stock JavaScript runtime reads u8le as a Number (0x100000000 * hi + lo, one rounding: exact below
 * 2^53). This stream reads it as an exact bigint, which the generated parsers accept unchanged.
 */
class ExactStream extends KaitaiStream {
  override readU8le(): number {
    const lo = this.readU4le();
    const hi = this.readU4le();
    return ((BigInt(hi) << 32n) | BigInt(lo)) as unknown as number;
  }
}

// A copy: a Buffer's slice shares (and its .buffer spans) the whole pool.
const buf = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer;

/** Our decoding without the padding. */
function oursWithoutPad(table: FieldTable, fields: Record<string, unknown>): Parsed {
  return Object.fromEntries(table.filter((f) => f.kind !== 'pad').map((f) => [f.name, fields[f.name]]));
}

/** A Kaitai parse in our shape: uuids as canonical strings, bytes as plain Uint8Array. */
function kaitaiFields(table: FieldTable, parsed: Parsed): Parsed {
  const out: Parsed = {};
  for (const f of table) {
    if (f.kind === 'pad') continue;
    const v = parsed[f.name];
    // Kaitai reads a u2/u4 as a number; our table hands a byte quantity out as a bigint (unit: 'bytes').
    out[f.name] =
      f.kind === 'uuid'
        ? formatUuid(v as Uint8Array)
        : f.kind === 'sig16'
          ? new Uint8Array(v as Uint8Array)
          : f.unit === 'bytes'
            ? BigInt(v as number)
            : v;
  }
  return out;
}

function sampleBlocks(): [string, Uint8Array][] {
  return fs
    .readdirSync(SAMPLES)
    .filter((n) => n.endsWith('.head'))
    .flatMap((n): [string, Uint8Array][] => {
      const head = fs.readFileSync(path.join(SAMPLES, n));
      return [
        [`${n}@4096`, blockOfHead(head)],
        [`${n}@0`, new Uint8Array(head.subarray(0, BLOCK_SIZE))],
      ];
    });
}

const CORPUS_COUNT = 3000;

describe('formats/*.ksy through kaitai-struct-compiler', () => {
  let Pfn: Parser;
  let Btt: Parser;
  let blocks: [string, Uint8Array][];
  beforeAll(async () => {
    [Pfn, Btt] = await Promise.all([compileKsy('nd_pfn_info'), compileKsy('btt_info')]);
    const gen = new CorpusGenerator({ seed: 23n, steer: false });
    blocks = [
      ...[...gen.inputs(CORPUS_COUNT)].map((i): [string, Uint8Array] => [`corpus#${i.index}`, i.block]),
      ...sampleBlocks(),
    ];
  }, 120000);

  test('the compiler is the pinned one and compiles both specs', () => {
    expect(compiler.version).toBe('0.11.0');
    expect(typeof Pfn).toBe('function');
    expect(typeof Btt).toBe('function');
    expect(blocks.length).toBeGreaterThan(CORPUS_COUNT);
  });

  test('every corpus and sample block decodes to our fields, u64s exact (bigint stream)', () => {
    const wrong: string[] = [];
    for (const [name, block] of blocks) {
      for (const [table, P, ours] of [
        [PFN_FIELDS, Pfn, pfnCodec.decode(block)],
        [BTT_FIELDS, Btt, bttCodec.decode(block)],
      ] as const) {
        const theirs = kaitaiFields(table, new P(new ExactStream(buf(block))));
        const expected = oursWithoutPad(table, ours);
        try {
          expect(theirs).toEqual(expected);
        } catch {
          wrong.push(`${name} (${table === PFN_FIELDS ? 'pfn' : 'btt'})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  test("the Kaitai instances agree: signature kind and the gated reader's values", () => {
    const wrong: string[] = [];
    const KIND = ['unknown', 'pfn', 'dax'];
    for (const [name, block] of blocks) {
      const k = new Pfn(new ExactStream(buf(block)));
      const f = pfnCodec.decode(block);
      const e = effectiveFields(f, 4096n);
      const ours = signatureKind(f.signature);
      const theirs = {
        kind: KIND[k['kind'] as number],
        startPad: BigInt(k['startPadAsRead'] as number),
        endTrunc: BigInt(k['endTruncAsRead'] as number),
        align: BigInt(k['alignAsRead'] as number),
        pageSize: BigInt(k['pageSizeAsRead'] as number),
        pageStructSize: BigInt(k['pageStructSizeAsRead'] as number),
      };
      const expected = { kind: ours === 'btt' ? 'unknown' : ours, ...e };
      if (toJson(theirs) !== toJson(expected)) wrong.push(name);
    }
    expect(wrong).toEqual([]);
  });

  test('the stock runtime (u8 as Number) is exact below 2^53 and one rounding of ours above it', () => {
    let above = 0;
    let inexact = 0;
    for (const [, block] of blocks) {
      const k = new Pfn(new KaitaiStream(buf(block)));
      const f = pfnCodec.decode(block);
      for (const name of ['dataoff', 'npfns', 'checksum'] as const) {
        const n = k[name] as number;
        expect(n).toBe(Number(f[name]));
        if (f[name] > BigInt(Number.MAX_SAFE_INTEGER)) above++;
        if (BigInt(n) !== f[name]) inexact++;
      }
    }
    // Checksums are uniform over 2^64: nearly all exceed 2^53, so the corpus does exercise the rounding.
    expect(above).toBeGreaterThan(blocks.length / 2);
    expect(inexact).toBeGreaterThan(0);
    expect(inexact).toBeLessThanOrEqual(above);
  });
});

describe('formats/nd-infoblock.magic through file(1)', () => {
  const magic = path.join(FORMATS, 'nd-infoblock.magic');
  const fileOf = (p: string): string => execFileSync('file', ['-b', '-m', magic, p], { encoding: 'utf8' }).trim();

  test.each([
    ['btt.head', 'Linux NVDIMM BTT arena info-block, version 2.0'],
    [
      'devdax.head',
      'Linux NVDIMM devdax info-block (NVDIMM_DAX_INFO), version 1.4, mode pmem, dataoff 0x1200000, align 0x200000',
    ],
    [
      'fsdax-map-mem.head',
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 1.4, mode ram, dataoff 0x200000, align 0x200000',
    ],
    [
      'fsdax.head',
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 1.4, mode pmem, dataoff 0x1200000, align 0x200000',
    ],
    [
      'map-startpad.head',
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 2.4, mode pmem, dataoff 0x1300000, align 0x200000',
    ],
    [
      'ndctl-O.head',
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 1.4, mode pmem, dataoff 0x1100000, align 0x200000',
    ],
  ])('file names samples/%s', (name, expected) => {
    expect(fileOf(path.join(SAMPLES, name))).toBe(expected);
  });

  test('file names a whole namespace image, and a 1.0 block without the align it predates', () => {
    const head = fs.readFileSync(path.join(SAMPLES, 'fsdax.head'));
    const image = new Uint8Array(HEAD_SIZE * 64);
    image.set(head, 0);
    expect(fileOf(tmp.file('image.img', image))).toBe(
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 1.4, mode pmem, dataoff 0x1200000, align 0x200000',
    );
    const old = new Uint8Array(head);
    old[INFOBLOCK_OFFSET + 54] = 0; // version_minor 0
    expect(fileOf(tmp.file('old.head', old))).toBe(
      'Linux NVDIMM fsdax info-block (NVDIMM_PFN_INFO), version 1.0, mode pmem, dataoff 0x1200000',
    );
  });

  test('a head without an info-block is not named', () => {
    expect(fileOf(tmp.file('zero.head', new Uint8Array(HEAD_SIZE)))).not.toMatch(/NVDIMM/);
  });
});
