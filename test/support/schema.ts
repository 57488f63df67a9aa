// Validates real --json output against the schemas shipped in schemas/
// (draft 2020-12, ajv strict mode): one compiled validator per schema.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { SchemaName } from '../../src/format/json';

export const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schemas');

const ajv = new Ajv2020({ strict: true, allErrors: true });
for (const f of fs.readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as object);
}

/** The ajv errors of `doc` against schema `name` as readable lines; [] when it is valid. */
export function schemaErrors(name: SchemaName, doc: unknown): string[] {
  const validate = ajv.getSchema(`urn:nd-infoblock:schema:${name}`);
  if (validate === undefined) return [`no schema urn:nd-infoblock:schema:${name} in ${SCHEMA_DIR}`];
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Assert that `doc` follows schema `name` (jest prints the ajv errors when it does not). */
export function expectSchema(name: SchemaName, doc: unknown): void {
  expect(schemaErrors(name, doc)).toEqual([]);
}
