/**
 * The field tables said in other tools' languages, so that nothing about
 * the layout is written twice: the layout tables of docs/format.md, the
 * schemas' field descriptions, Kaitai Struct specs (`formats/*.ksy`) and a
 * magic(5) fragment for file(1) (`formats/nd-infoblock.magic`). Pure text
 * producers over {@link PFN_FIELDS} and {@link BTT_FIELDS};
 * `npm run gen:format-docs` writes the files and test/format/spec.test.ts
 * fails when a committed one no longer matches the tables.
 */
import { BTT_FIELDS } from './btt';
import { HEAD_SIZE, INFOBLOCK_OFFSET } from './head';
import { BTT_SIGNATURE, DAX_SIGNATURE, PFN_FIELDS, PFN_MODE, PFN_SIGNATURE, signatureText } from './pfn';
import { fieldSize, type FieldDef, type FieldTable } from './struct';

/** Where the generated files say they come from. */
export const GENERATED_BY = 'generated from src/format (PFN_FIELDS, BTT_FIELDS) by npm run gen:format-docs';

/** The snake_case name of a field: its ndctl JSON key, or its name spelt that way. */
export function fieldKey(f: FieldDef): string {
  return f.key ?? f.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const KIND_TEXT: Record<FieldDef['kind'], string> = {
  sig16: 'bytes',
  uuid: 'uuid',
  bytes: 'bytes',
  u8: 'u8',
  u16: 'u16 LE',
  u32: 'u32 LE',
  u64: 'u64 LE',
  pad: 'zero',
};

function beforeText(f: FieldDef): string {
  if (f.since === 0 || f.before === undefined) return '';
  const value = f.before === 'reader-page-size' ? "the reader's page size" : String(f.before);
  return `${f.since} (before: ${value})`;
}

/** A markdown table of `table`: offset, size, field, kind, meaning, and the minor that gates it. */
export function layoutMarkdown(table: FieldTable): string {
  const rows = table.map(
    (f) =>
      `| ${f.offset} | ${fieldSize(f)} | ${fieldKey(f)} | ${KIND_TEXT[f.kind]} | ${f.doc ?? ''} | ` +
      `${beforeText(f)} |`,
  );
  return [
    '| offset | size | field | kind | meaning | read from minor (older readers see) |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The `description` of a block field in a JSON schema. */
export function schemaDescription(f: FieldDef): string {
  const gate = f.since === 0 ? '' : `; read from version minor ${f.since}`;
  return `The ${fieldKey(f)} field (offset ${f.offset}, ${KIND_TEXT[f.kind]}): ${f.doc ?? ''}${gate}.`;
}

// ---- YAML (the subset a .ksy needs: maps, lists, scalars) ----

type Yaml = string | number | boolean | readonly Yaml[] | { readonly [k: string]: Yaml | undefined };

function yamlScalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return /^[a-z_][a-z0-9_]*$/.test(v) && !['true', 'false', 'null', 'yes', 'no'].includes(v) ? v : JSON.stringify(v);
}

function yamlLines(v: Yaml, indent: string): string[] {
  if (Array.isArray(v)) {
    return (v as readonly Yaml[]).flatMap((item) => {
      const [first = '', ...rest] = yamlLines(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, Yaml | undefined>).flatMap(([k, item]) => {
      if (item === undefined) return [];
      if (typeof item !== 'object') return [`${indent}${k}: ${yamlScalar(item)}`];
      return [`${indent}${k}:`, ...yamlLines(item, `${indent}  `)];
    });
  }
  return [`${indent}${yamlScalar(v)}`];
}

function bytesLiteral(sig: Uint8Array): string {
  return `[${[...sig].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}]`;
}

const KSY_TYPE: Partial<Record<FieldDef['kind'], string>> = { u8: 'u1', u16: 'u2', u32: 'u4', u64: 'u8' };

function ksySeq(table: FieldTable, enums: Record<string, string>): Yaml[] {
  return table.map((f) => {
    const type = KSY_TYPE[f.kind];
    const doc = `${f.doc ?? ''}${f.kind === 'uuid' ? ' (16 bytes in the order of the canonical string)' : ''}`;
    return {
      id: fieldKey(f),
      ...(type === undefined ? { size: fieldSize(f) } : { type }),
      ...(enums[f.name] === undefined ? {} : { enum: enums[f.name] }),
      doc: f.since === 0 ? doc : `${doc} (read from version minor ${f.since})`,
    };
  });
}

/** Instances giving each gated field as a reader sees it (the reader's page size taken as 4096). */
function ksyGated(table: FieldTable): Record<string, Yaml> {
  const out: Record<string, Yaml> = {};
  for (const f of table) {
    if (f.since === 0 || f.before === undefined) continue;
    const before = f.before === 'reader-page-size' ? 4096 : f.before;
    out[`${fieldKey(f)}_as_read`] = {
      value: `version_minor >= ${f.since} ? ${fieldKey(f)} : ${before}`,
      doc:
        `${fieldKey(f)} as a reader gated on version_minor sees it ` +
        (f.before === 'reader-page-size'
          ? "(before minor 4: the reader's page size, 4096 on x86-64)"
          : `(before minor ${f.since}: ${before})`),
    };
  }
  return out;
}

const KSY_U64_NOTE =
  'u64 fields (u8) are exact in most target languages; the JavaScript runtime returns a Number, exact ' +
  'only below 2^53.';

function ksyMeta(id: string, title: string): Yaml {
  return { id, title, license: 'MIT', 'ks-version': 0.9, endian: 'le' };
}

/** The Kaitai Struct spec of the nd_pfn/nd_dax info-block (`formats/nd_pfn_info.ksy`). */
export function kaitaiPfn(): string {
  const pfn = bytesLiteral(PFN_SIGNATURE);
  const dax = bytesLiteral(DAX_SIGNATURE);
  const spec: Yaml = {
    meta: ksyMeta('nd_pfn_info', 'Linux NVDIMM pfn/dax info-block (fsdax NVDIMM_PFN_INFO, devdax NVDIMM_DAX_INFO)'),
    doc:
      `The 4096-byte info-block at namespace offset ${INFOBLOCK_OFFSET} that makes a Linux NVDIMM namespace ` +
      `fsdax (${signatureText(PFN_SIGNATURE)}) or devdax (${signatureText(DAX_SIGNATURE)}). Readers gate fields ` +
      'on version_minor only; the *_as_read instances give what such a reader sees. The checksum is the ' +
      "kernel's nd_fletcher64 over the block with the checksum field taken as zero (not computed here). " +
      `${KSY_U64_NOTE} ${GENERATED_BY}.`,
    seq: ksySeq(PFN_FIELDS, { mode: 'mode' }),
    instances: {
      kind: {
        value:
          `signature == ${pfn} ? signature_kind::pfn : ` +
          `signature == ${dax} ? signature_kind::dax : signature_kind::unknown`,
        doc: 'what the signature says the block is',
      },
      ...ksyGated(PFN_FIELDS),
    },
    enums: {
      signature_kind: { 0: 'unknown', 1: 'pfn', 2: 'dax' },
      mode: Object.fromEntries(Object.entries(PFN_MODE).map(([name, v]) => [String(v), name])),
    },
  };
  return `# ${GENERATED_BY}\n${yamlLines(spec, '').join('\n')}\n`;
}

/** The Kaitai Struct spec of the BTT arena info-block (`formats/btt_info.ksy`). */
export function kaitaiBtt(): string {
  const spec: Yaml = {
    meta: ksyMeta('btt_info', 'Linux NVDIMM BTT arena info-block (BTT_ARENA_INFO)'),
    doc:
      `The 4096-byte info-block of a BTT arena (${signatureText(BTT_SIGNATURE)}), at namespace offset ` +
      `${INFOBLOCK_OFFSET} (and a copy at 0). Same checksum as the pfn block (not computed here). ` +
      `${KSY_U64_NOTE} ${GENERATED_BY}.`,
    seq: ksySeq(BTT_FIELDS, {}),
    instances: {
      is_btt: { value: `signature == ${bytesLiteral(BTT_SIGNATURE)}`, doc: 'the signature is BTT_ARENA_INFO' },
    },
  };
  return `# ${GENERATED_BY}\n${yamlLines(spec, '').join('\n')}\n`;
}

// ---- magic(5) ----

const MAGIC_TYPE: Partial<Record<FieldDef['kind'], string>> = {
  u16: 'uleshort',
  u32: 'ulelong',
  u64: 'ulequad',
};

function field(table: FieldTable, name: string): FieldDef {
  const f = table.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no field ${name}`);
  return f;
}

/** A magic(5) string for a signature: its text then the NUL padding, as file(1) spells it. */
function magicString(sig: Uint8Array): string {
  return `${signatureText(sig)}\\0`;
}

function pfnMagic(sig: Uint8Array, what: string): string[] {
  const at = (name: string): { off: number; type: string } => {
    const f = field(PFN_FIELDS, name);
    return { off: INFOBLOCK_OFFSET + f.offset, type: MAGIC_TYPE[f.kind] ?? 'byte' };
  };
  const major = at('versionMajor');
  const minor = at('versionMinor');
  const mode = at('mode');
  const dataoff = at('dataoff');
  const align = at('align');
  const alignSince = field(PFN_FIELDS, 'align').since;
  return [
    `${INFOBLOCK_OFFSET}\tstring\t${magicString(sig)}\tLinux NVDIMM ${what} info-block (${signatureText(sig)})`,
    `>${major.off}\t${major.type}\tx\t\\b, version %u`,
    `>${minor.off}\t${minor.type}\tx\t\\b.%u`,
    ...Object.entries(PFN_MODE).map(([name, v]) => `>${mode.off}\t${mode.type}\t${v}\t\\b, mode ${name}`),
    `>${dataoff.off}\t${dataoff.type}\tx\t\\b, dataoff %#llx`,
    `>${minor.off}\t${minor.type}\t>${alignSince - 1}`,
    `>>${align.off}\t${align.type}\tx\t\\b, align %#x`,
  ];
}

/** The magic(5) fragment (`formats/nd-infoblock.magic`): `file -m` names a namespace head or image. */
export function magicFragment(): string {
  const btt = field(BTT_FIELDS, 'versionMajor');
  const bttMinor = field(BTT_FIELDS, 'versionMinor');
  return [
    `# Linux NVDIMM info-blocks at namespace offset ${INFOBLOCK_OFFSET}: an ${HEAD_SIZE / 1024} KiB namespace head`,
    '# (what ndctl read-infoblock / write-infoblock use) or a whole namespace image.',
    `# ${GENERATED_BY}.`,
    '# Use: file -m formats/nd-infoblock.magic FILE (or append it to /etc/magic).',
    '',
    ...pfnMagic(PFN_SIGNATURE, 'fsdax'),
    '',
    ...pfnMagic(DAX_SIGNATURE, 'devdax'),
    '',
    `${INFOBLOCK_OFFSET}\tstring\t${magicString(BTT_SIGNATURE)}\tLinux NVDIMM BTT arena info-block`,
    `>${INFOBLOCK_OFFSET + btt.offset}\t${MAGIC_TYPE[btt.kind] ?? 'byte'}\tx\t\\b, version %u`,
    `>${INFOBLOCK_OFFSET + bttMinor.offset}\t${MAGIC_TYPE[bttMinor.kind] ?? 'byte'}\tx\t\\b.%u`,
    '',
  ].join('\n');
}

// ---- generated sections of committed files ----

/** The marker pair around a generated section `name` of a markdown file. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- ${name}:start (npm run gen:format-docs) -->`, end: `<!-- ${name}:end -->` };
}

/** `text` with the body of its section `name` replaced (the markers must be there, in order). */
export function withSection(text: string, name: string, body: string): string {
  const { start, end } = sectionMarkers(name);
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b < a) throw new Error(`no ${start} ... ${end} section`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

/** The sections of docs/format.md generated from the tables. */
export const FORMAT_DOC_SECTIONS: Readonly<Record<string, () => string>> = {
  'layout-pfn': () => layoutMarkdown(PFN_FIELDS),
  'layout-btt': () => layoutMarkdown(BTT_FIELDS),
};

/** The `$comment` that marks a schema object whose block-field properties are described by the table. */
export const SCHEMA_FIELDS_COMMENT = 'block fields: descriptions generated from PFN_FIELDS by npm run gen:format-docs';

/**
 * A copy of a JSON schema in which every object marked with {@link SCHEMA_FIELDS_COMMENT} has each
 * property named like a {@link PFN_FIELDS} field described by {@link schemaDescription}.
 */
export function withFieldDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withFieldDescriptions);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withFieldDescriptions(v);
  const props = out['properties'];
  if (out['$comment'] === SCHEMA_FIELDS_COMMENT && props !== null && typeof props === 'object') {
    for (const f of PFN_FIELDS) {
      const p = (props as Record<string, unknown>)[fieldKey(f)];
      if (p !== null && typeof p === 'object') (p as Record<string, unknown>)['description'] = schemaDescription(f);
    }
  }
  return out;
}
