// The layer picture of docs/ARCHITECTURE.md, held by a test: which layer may
// import which, that the pure layers (format, validate) import no Node module,
// and that only the CLI loads commander or cli-progress.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');
const LAYERS = ['format', 'validate', 'io', 'migrate', 'corpus', 'kernel', 'scan', 'recover', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import from the others (its own files are always allowed). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  format: [],
  validate: ['format'],
  io: ['format'],
  migrate: ['format', 'validate', 'io'],
  corpus: ['format', 'validate', 'io'],
  kernel: ['format', 'validate', 'io'],
  scan: ['format', 'validate', 'io'],
  recover: ['format', 'validate', 'io', 'migrate', 'scan'],
  cli: ['format', 'validate', 'io', 'migrate', 'corpus', 'kernel', 'scan', 'recover'],
};

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|require\()\s*'([^']+)'/g)].map((m) => m[1] as string);
}

const rows: [Layer, string, string][] = [];
for (const layer of LAYERS) {
  const dir = path.join(SRC, layer);
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const spec of importsOf(path.join(dir, f))) rows.push([layer, f, spec]);
  }
}

test('the layers exist and have imports to check', () => {
  expect(rows.length).toBeGreaterThan(100);
});

test.each(rows)('%s/%s imports %s, as its layer may', (layer, _file, spec) => {
  if (spec.startsWith('../')) {
    const target = spec.split('/')[1] as Layer;
    expect(MAY_IMPORT[layer].includes(target) ? target : `${target} (not allowed for ${layer})`).toBe(target);
  }
  if (layer === 'format' || layer === 'validate')
    expect(spec.startsWith('node:') ? `${spec} in a pure layer` : spec).toBe(spec);
  if (layer !== 'cli')
    expect(['commander', 'cli-progress'].includes(spec) ? `${spec} outside the CLI` : spec).toBe(spec);
});
