// The shipped schemas themselves: one per document kind the CLI writes, each
// a valid draft 2020-12 schema (ajv strict) whose $id and constants match
// what src/cli/json.ts stamps on the documents.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { SCHEMAS, schemaId, type SchemaName } from '../src/format/json';
import { SCHEMA_DIR } from './support/schema';

const names = Object.keys(SCHEMAS) as SchemaName[];
const files = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));

test('one schema file per document kind, and no stray file', () => {
  expect(files.sort()).toEqual(names.map((n) => `${n}.schema.json`).sort());
});

describe.each(names)('schemas/%s.schema.json', (name) => {
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, `${name}.schema.json`), 'utf8')) as {
    $schema: string;
    $id: string;
    properties?: Record<string, { const?: unknown }>;
  };

  test('is draft 2020-12 with the id and version the CLI stamps', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(schemaId(name));
    expect(schema.properties?.['schema']?.const).toBe(schemaId(name));
    expect(schema.properties?.['schema_version']?.const).toBe(SCHEMAS[name]);
  });

  test('compiles under ajv strict mode (with the other schemas for cross-references)', () => {
    const ajv = new Ajv2020({ strict: true });
    for (const f of files)
      if (f !== `${name}.schema.json`)
        ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as object);
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
