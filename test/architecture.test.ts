// The layer picture of docs/ARCHITECTURE.md, held by a test: which layer may
// import which, that the pure layers (format, validate) import no Node module,
// that only the CLI loads commander or cli-progress, and that the import graph
// of src/ (type imports included) has no cycle.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');
const LAYERS = [
  'format',
  'validate',
  'io',
  'replace',
  'migrate',
  'corpus',
  'kernel',
  'scan',
  'recover',
  'pack',
  'cli',
] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import from the others (its own files are always allowed). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  format: [],
  validate: ['format'],
  io: ['format'],
  replace: ['format', 'io'],
  migrate: ['format', 'validate', 'io', 'replace'],
  corpus: ['format', 'validate', 'io'],
  kernel: ['format', 'validate', 'io'],
  scan: ['format', 'validate', 'io'],
  recover: ['format', 'validate', 'io', 'replace', 'scan'],
  pack: ['format', 'validate', 'io', 'kernel'],
  cli: ['format', 'validate', 'io', 'replace', 'migrate', 'corpus', 'kernel', 'scan', 'recover', 'pack'],
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

// No import cycle anywhere in src/, type-only imports included (eslint's import/no-cycle skips those): a
// depth-first search over the graph of relative imports, which names the cycle it finds.
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) visit(full);
      else if (name.endsWith('.ts')) {
        const text = fs.readFileSync(full, 'utf8');
        const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|require\()'(\.[^']+)'/g)].map(
          (m) => m[1] as string,
        );
        graph.set(
          path.relative(SRC, full),
          specs.map((spec) => {
            const target = path.resolve(dir, spec);
            const file = fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts');
            return path.relative(SRC, file);
          }),
        );
      }
    }
  };
  visit(SRC);
  return graph;
}

/**
 * Import edges of a cycle that other work in flight owns (each with the fix it needs). Only these are
 * skipped: any other cycle fails. Empty: the host tools (findOnPath, isStaticElf) live in
 * kernel/host-tools.ts below the asset pipeline (kernel/assets.ts over deb.ts, modules.ts and initramfs.ts)
 * and kernel/dax-probe.ts, and kernel-check's shared
 * presentation in cli/kernel-check-render.ts below both kernel-check CLIs.
 */
const CYCLE_EDGES_IN_FLIGHT = new Set<string>();

function findCycle(graph: Map<string, string[]>, skip: ReadonlySet<string> = new Set()): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const dfs = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (skip.has(`${node} -> ${next}`)) continue;
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = dfs(next);
        if (found !== null) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (state.get(node) !== undefined) continue;
    const found = dfs(node);
    if (found !== null) return found;
  }
  return null;
}

test('the import graph of src/ has no cycle, type imports included', () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(80);
  for (const [file, targets] of graph) {
    for (const t of targets) expect(graph.has(t) ? t : `${t} (imported by ${file}, not found)`).toBe(t);
  }
  expect(findCycle(graph, CYCLE_EDGES_IN_FLIGHT)?.join(' -> ') ?? 'no cycle').toBe('no cycle');
  for (const edge of CYCLE_EDGES_IN_FLIGHT) {
    const [from = '', to = ''] = edge.split(' -> ');
    expect(graph.get(from)?.includes(to) === true ? edge : `${edge}: gone, drop it from CYCLE_EDGES_IN_FLIGHT`).toBe(
      edge,
    );
  }
});

test('the cycle search finds a type-only cycle', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['b.ts']],
  ]);
  expect(findCycle(graph)).toEqual(['b.ts', 'c.ts', 'b.ts']);
  expect(
    findCycle(
      new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', []],
      ]),
    ),
  ).toBeNull();
});

// The test support of docs/ARCHITECTURE.md: one in-process runner (test/support/run.ts), one temp-dir fixture
// (test/support/tmp.ts), one spawn helper for real processes (test/support/spawn.ts). Held for the directories
// converted to them (issue #11); widen GUARDED as the others follow.
const TEST = path.join(__dirname);
const GUARDED = fs.readdirSync(TEST).filter((n) => n !== 'support');
const OWN_RUNNER_OK: Record<string, string> = {
  'cli/hints.test.ts': 'a stdout that throws, which run() cannot give',
  'package/consumer.slow.test.ts': "the consumer's TypeScript source, compiled, not run",
};

function testFiles(rel: string): string[] {
  const full = path.join(TEST, rel);
  if (!fs.statSync(full).isDirectory()) return [rel];
  return fs.readdirSync(full).flatMap((n) => testFiles(path.posix.join(rel, n)));
}

/** Files in GUARDED directories that another line of work converts (issue #11); drop them here once it has. */
const NOT_YET: string[] = [];
const guarded = GUARDED.flatMap(testFiles).filter((f) => /\.(ts|js)$/.test(f) && !NOT_YET.includes(f));

test('the guarded test files exist', () => {
  expect(guarded.length).toBeGreaterThan(20);
});

test.each(guarded.map((f) => [f]))('%s uses the shared runner, fixture and spawn helper', (file) => {
  const text = fs.readFileSync(path.join(TEST, file), 'utf8');
  const found: string[] = [];
  if (/\bmkdtemp(Sync)?\(|\brmSync\([^)]*recursive/.test(text)) found.push('a hand-made temp dir (use useTmpDir)');
  if (/\brunCli\(/.test(text) && OWN_RUNNER_OK[file] === undefined) found.push('its own runner (use run/json)');
  if (/spawnSync\(process\.execPath, \[(bin|CLI)\b/.test(text)) found.push('its own spawn of the CLI (use cli())');
  expect(found).toEqual([]);
});

// Library layers never name a CLI flag in what they say (issue #11): a caller that can do something gets a
// structured hint (src/format/errors.ts Hint) and the CLI renders the flags. Command lines of other programs
// (setup.sh, cp, busybox, apt-cache) are theirs to spell.
const FOREIGN_FLAGS =
  /setup\.sh --kernels|KERNEL_SETUP_HINT\} --kernels|'--sparse=always'|'--reflink=auto'|busybox --install|'--no-all-versions'/;
const libraryFiles = LAYERS.filter((l) => l !== 'cli').flatMap((layer) =>
  fs
    .readdirSync(path.join(SRC, layer))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(layer, f)),
);

test.each(libraryFiles.map((f) => [f]))('src/%s names no CLI flag outside comments', (file) => {
  const code = fs
    .readFileSync(path.join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .map((l) => l.replace(/\s\/\/ .*$/, ''));
  const flagged = code.filter((l) => /[`'" ]--[a-z][a-z-]+/.test(l) && !FOREIGN_FLAGS.test(l));
  expect(flagged).toEqual([]);
});

// One name, one job (issue #23): a file name under src/ stands once, unless it is listed here with the reason
// its files share it. Entry points and a command's presenter beside the library module it presents share a
// name on purpose; the rest are the names still to change (each with what differs).
const SHARED_NAMES: Record<string, string> = {
  'index.ts': "each layer's entry point (package.json exports), and the package root",
  'check.ts': 'cli/ presents the validate/ verdict of the same name',
  'explain.ts': 'cli/ presents the validate/ layout of the same name',
  'labels.ts': 'format/ label codec, validate/ labelled-DIMM verdicts, cli/ the labels command',
  'migrate.ts': 'cli/ presents migrate/migrate.ts',
  'realign.ts': 'cli/ presents migrate/realign.ts',
  'rebase.ts': 'cli/ presents migrate/rebase.ts',
  'pack.ts': 'cli/ presents pack/pack.ts',
  'scan.ts': 'cli/ presents scan/scan.ts',
  'json.ts': 'format/ the JSON mapping every document uses, cli/ the error document on top of it',
  'errors.ts': "each layer's error classes (format InfoblockError, io ioError, kernel KernelHarnessError)",
  'kernel-check.ts': 'cli/ presents kernel/kernel-check.ts',
};

test('no file name under src/ repeats, beyond the listed ones', () => {
  const names = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) names.set(e.name, [...(names.get(e.name) ?? []), path.relative(SRC, p)]);
    }
  };
  walk(SRC);
  const repeated = [...names].filter(([, where]) => where.length > 1).map(([name]) => name);
  expect(repeated.filter((n) => SHARED_NAMES[n] === undefined)).toEqual([]);
  // A listed name that no longer repeats comes off the list.
  expect(Object.keys(SHARED_NAMES).filter((n) => !repeated.includes(n))).toEqual([]);
});

// docs/ARCHITECTURE.md's layer table is the picture a reader trusts: it must say what MAY_IMPORT enforces.
test("docs/ARCHITECTURE.md's layer table lists every layer with exactly the layers it may import", () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'ARCHITECTURE.md'), 'utf8');
  const table: Record<string, string[]> = {};
  for (const m of doc.matchAll(/^\| ((?:`[a-z]+\/`(?:, )?)+) \| ([^|]+) \|$/gm)) {
    const allowed = (m[2] ?? '').replace(/\(.*\)/, '').trim();
    for (const layer of (m[1] ?? '').matchAll(/`([a-z]+)\/`/g)) {
      const name = layer[1] as Layer;
      table[name] =
        allowed === 'nothing'
          ? []
          : allowed === 'all of the above'
            ? LAYERS.filter((l) => l !== name)
            : allowed.split(/,\s*/).map((s) => s.trim());
    }
  }
  const expected = Object.fromEntries(LAYERS.map((l) => [l, [...MAY_IMPORT[l]].sort()]));
  expect(Object.fromEntries(Object.entries(table).map(([l, a]) => [l, [...a].sort()]))).toEqual(expected);
});
