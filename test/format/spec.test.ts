// Everything generated from the field tables (npm run gen:format-docs) matches the tables: the specs in
// formats/, the layout tables of docs/format.md and the block-field descriptions of schemas/. The real
// tools' proof (Kaitai's compiler, file(1)) is formats.slow.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PFN_FIELDS } from '../../src/format/pfn';
import {
  FORMAT_DOC_SECTIONS,
  kaitaiBtt,
  kaitaiPfn,
  layoutMarkdown,
  magicFragment,
  SCHEMA_FIELDS_COMMENT,
  schemaDescription,
  sectionMarkers,
  withFieldDescriptions,
  withSection,
} from '../../src/format/spec';

const ROOT = path.join(__dirname, '..', '..');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const SCHEMAS = fs.readdirSync(path.join(ROOT, 'schemas')).filter((n) => n.endsWith('.schema.json'));

describe('generated files match the field tables (run npm run gen:format-docs when one fails)', () => {
  test.each([
    ['formats/nd_pfn_info.ksy', kaitaiPfn],
    ['formats/btt_info.ksy', kaitaiBtt],
    ['formats/nd-infoblock.magic', magicFragment],
  ])('%s', (rel, make) => {
    expect(read(rel)).toBe(make());
  });

  test.each(Object.entries(FORMAT_DOC_SECTIONS))('docs/format.md section %s', (name, body) => {
    const doc = read('docs/format.md');
    expect(withSection(doc, name, body())).toBe(doc);
  });

  test.each(SCHEMAS.map((n) => [n]))('schemas/%s block-field descriptions', (name) => {
    const schema: unknown = JSON.parse(read(`schemas/${name}`));
    expect(schema).toEqual(withFieldDescriptions(schema));
  });

  test('the schemas that carry block fields are marked, so their descriptions are generated', () => {
    const marked = SCHEMAS.filter((n) => read(`schemas/${n}`).includes(SCHEMA_FIELDS_COMMENT));
    expect(marked).toEqual(['migrate.schema.json', 'recover.schema.json', 'scan.schema.json']);
  });
});

describe('what the generators say', () => {
  test('the layout row of a gated field names its minor and what an older reader sees', () => {
    const table = layoutMarkdown(PFN_FIELDS);
    expect(table.split('\n')).toContain(
      '| 88 | 4 | page_size | u32 LE | page size of the system that wrote the block | ' +
        "4 (before: the reader's page size) |",
    );
    expect(table.split('\n')).toContain(
      '| 76 | 4 | start_pad | u32 LE | bytes skipped at the start to reach alignment | 1 (before: 0) |',
    );
  });

  test('a schema description names offset, kind and the gate', () => {
    const align = PFN_FIELDS.find((f) => f.name === 'align');
    expect(align === undefined ? '' : schemaDescription(align)).toBe(
      'The align field (offset 84, u32 LE): mapping alignment (0: derived from dataoff); read from version minor 2.',
    );
  });

  test('every gated field carries the value an older reader sees, and every field a doc', () => {
    for (const f of PFN_FIELDS) {
      expect({ name: f.name, doc: typeof f.doc }).toEqual({ name: f.name, doc: 'string' });
      if (f.since > 0) expect({ name: f.name, before: 'before' in f }).toEqual({ name: f.name, before: true });
    }
  });

  test('a section needs its markers', () => {
    const { start, end } = sectionMarkers('x');
    expect(withSection(`a\n${start}\nold\n${end}\nb`, 'x', 'new')).toBe(`a\n${start}\nnew\n${end}\nb`);
    expect(() => withSection('no markers', 'x', 'new')).toThrow(/no <!-- x:start/);
  });

  test('the magic fragment reads the fields at their table offsets plus 4096', () => {
    const lines = magicFragment().split('\n');
    expect(lines).toContain('>4152\tulequad\tx\t\\b, dataoff %#llx');
    expect(lines).toContain('>4150\tuleshort\t>1');
    expect(lines).toContain('>>4180\tulelong\tx\t\\b, align %#x');
  });
});
