// The package as a user gets it: `npm pack`, installed from the tarball into
// a fresh consumer, then used through require (CJS), import (ESM) and
// TypeScript (5, the project's, and 7, the native compiler) with
// --strict --module nodenext and no @types/node.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCHEMAS, schemaId, type SchemaName } from '../../src/format/json';
import { useTmpDir } from '../support/tmp';

const root = path.join(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  exports: Record<string, unknown>;
};
// The code entries (an object of conditions); './package.json' and './schemas/*' are plain files.
const SPECIFIERS = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object')
  .map(([k]) => `nd-infoblock${k.slice(1)}`);
/** The schemas SCHEMAS names that exist in the tree (other work may still be adding some). */
const SCHEMA_FILES = Object.keys(SCHEMAS)
  .map((n) => `schemas/${n}.schema.json`)
  .filter((f) => fs.existsSync(path.join(root, f)));
const LIGHT = [
  'nd-infoblock',
  'nd-infoblock/format',
  'nd-infoblock/validate',
  'nd-infoblock/migrate',
  'nd-infoblock/corpus',
  'nd-infoblock/scan',
  'nd-infoblock/recover',
];
const TS7_VERSION = '7.0.2';
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

const tmp = useTmpDir('consumer');
let consumer: string;
let tarFiles: string[];
let tarSize: number;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** typescript@7 installed once per version under the OS temp dir, reused by later runs. */
function ts7(): string {
  const dir = path.join(os.tmpdir(), `nd-infoblock-typescript-${TS7_VERSION}`);
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const installed = path.join(dir, 'installed'); // written last: a half-finished install is redone
  if (!fs.existsSync(installed)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    sh('npm', ['install', ...NPM_FLAGS, `typescript@${TS7_VERSION}`], dir);
    fs.writeFileSync(installed, `${TS7_VERSION}\n`);
  }
  return tsc;
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  const work = tmp.dir;
  // --ignore-scripts: pack the dist/ just built (prepack would rebuild it under the other suites' feet).
  const packed = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  const info = packed[0];
  if (info === undefined) throw new Error('npm pack reported nothing');
  tarFiles = info.files.map((f) => f.path).sort();
  tarSize = info.size;
  consumer = path.join(work, 'consumer dir');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), '{"private":true,"name":"consumer"}\n');
  sh('npm', ['install', ...NPM_FLAGS, path.join(work, info.filename)], consumer);
}, 180_000);

describe('the tarball', () => {
  test.each([
    ['LICENSE'],
    ['README.md'],
    ['package.json'],
    ['dist/cli.js'],
    ['dist/index.js'],
    ['dist/index.mjs'],
    ['dist/index.d.ts'],
    ['dist/index.d.mts'],
    ['docs/infoblock.1'],
    ['completions/infoblock.bash'],
    ['completions/_infoblock'],
    ['src/index.ts'],
  ])('holds %s', (file) => {
    expect(tarFiles).toContain(file);
  });

  test('holds every schema file of SCHEMAS (src/cli/json.ts) that is in the tree, and no other', () => {
    expect(SCHEMA_FILES).toContain('schemas/error.schema.json');
    expect(tarFiles.filter((f) => f.startsWith('schemas/'))).toEqual(
      fs
        .readdirSync(path.join(root, 'schemas'))
        .map((f) => `schemas/${f}`)
        .sort(),
    );
    for (const f of SCHEMA_FILES) expect(tarFiles).toContain(f);
  });

  test('holds no tests, no generated API pages, nothing outside the files list', () => {
    const stray = tarFiles.filter(
      (f) => !/^(dist|src|docs|completions|schemas|formats)\/|^(LICENSE|README\.md|package\.json)$/.test(f),
    );
    expect(stray).toEqual([]);
    expect(tarFiles.filter((f) => f.startsWith('docs/api/') || f.startsWith('test/'))).toEqual([]);
  });

  test('every compiled file comes from a shipped source (no stale build output)', () => {
    const orphans = tarFiles
      .filter((f) => f.startsWith('dist/') && /\.(js|d\.ts)$/.test(f))
      .map((f) => f.replace(/^dist\//, 'src/').replace(/(\.d)?\.ts$|\.js$/, '.ts'))
      .filter((src) => !tarFiles.includes(src));
    expect(orphans).toEqual([]);
  });

  test('every source map points at sources that are in the package', () => {
    const maps = tarFiles.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules/nd-infoblock', m), 'utf8')) as {
        sources: string[];
      };
      for (const s of map.sources) {
        const rel = path.posix.normalize(path.posix.join(path.posix.dirname(m), s));
        if (!tarFiles.includes(rel)) missing.push(`${m} -> ${rel}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('size stays small (figure printed for the record)', () => {
    process.stdout.write(`nd-infoblock tarball: ${tarSize} bytes, ${tarFiles.length} files\n`);
    // A guard against accidental bloat, raised only with the features that grew it: was < 400 KB; scan
    // and recover (issue 13) made it 436,555 bytes, the label codec and commands (issue 14) 482,783, the
    // JSON contract (issue 12: twelve schemas, 45 KB unpacked; kernel-check --compare; several-FILE check;
    // structured hints) 544,370 at the merge; pack and unpack (issue 21: src/pack, the filesystem and Kata
    // codecs, the sparse copy, the pack schema) 597,213; the rest of wave 3 826,245 (the DAX verdict and
    // docs/dax.md, kernel-check --dax with its guest C source, realign/rebase and their schemas, path trust,
    // sparse scanning, the generated Kaitai specs and magic file in formats/, README +40 KB); wave 3's second
    // session 888,993 (kind checks at every public entry point, the kernel asset split into five modules, the
    // replace layer's record codec, the labelled DAX probe, corpus --only, the hostile-pass fixes).
    expect(tarSize).toBeLessThan(910_000);
  });
});

/** Runs a script in the consumer and parses the JSON it prints. */
function runIn<T>(file: string, text: string): T {
  fs.writeFileSync(path.join(consumer, file), text);
  const r = spawnSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('require and import', () => {
  test('each entry loads through both, with the very same functions and classes', () => {
    const script = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const out = {};
for (const spec of ${JSON.stringify(SPECIFIERS)}) {
  const esm = await import(spec);
  const cjs = require(spec);
  const names = Object.keys(cjs).filter((k) => k !== '__esModule');
  out[spec] = { names: names.length, esmNames: Object.keys(esm).filter((k) => k !== 'default').sort().join(),
    cjsNames: names.sort().join(), different: names.filter((k) => esm[k] !== cjs[k]) };
}
console.log(JSON.stringify(out));
`;
    const out = runIn<Record<string, { names: number; esmNames: string; cjsNames: string; different: string[] }>>(
      'both.mjs',
      script,
    );
    expect(Object.keys(out).sort()).toEqual([...SPECIFIERS].sort());
    for (const [spec, r] of Object.entries(out)) {
      expect({ spec, names: r.names > 0 }).toEqual({ spec, names: true });
      expect({ spec, esm: r.esmNames }).toEqual({ spec, esm: r.cjsNames });
      expect({ spec, different: r.different }).toEqual({ spec, different: [] });
    }
  });

  test('the root re-exports only what a subpath exports, as the same values', () => {
    const script = `const root = require('nd-infoblock');
const subs = ${JSON.stringify(SPECIFIERS.filter((s) => s !== 'nd-infoblock'))}.map((s) => require(s));
const values = new Set(subs.flatMap((m) => Object.values(m)));
console.log(JSON.stringify(Object.keys(root).filter((k) => k !== '__esModule' && !values.has(root[k]))));
`;
    expect(runIn<string[]>('root-subset.cjs', script)).toEqual([]);
  });

  test('an InfoblockError thrown under require is instanceof the class seen by import', () => {
    const script =
      `import { createRequire } from 'node:module';
import { InfoblockError, parseSize } from 'nd-infoblock/format';
const cjs = createRequire(import.meta.url)('nd-infoblock');
let caught;
try { cjs.parseSize('bogus'); } catch (e) { caught = e; }
console.log(JSON.stringify({ instance: caught instanceof InfoblockError, code: caught.code, ` +
      `same: parseSize === cjs.parseSize }));
`;
    expect(runIn('instance.mjs', script)).toEqual({ instance: true, code: 'invalid-argument', same: true });
  });

  test.each(LIGHT.map((s) => [s]))('%s loads neither commander, cli-progress nor the QEMU harness', (spec) => {
    const script =
      `await import(${JSON.stringify(spec)});
import { createRequire } from 'node:module';
const cache = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(cache.filter((f) => ` +
      `/node_modules[\\\\/](commander|cli-progress)[\\\\/]|kernel[\\\\/]harness\\.js$/.test(f))));
`;
    expect(runIn<string[]>('light.mjs', script)).toEqual([]);
  });

  test('the check above can fail: nd-infoblock/cli does load commander', () => {
    const script = `require('nd-infoblock/cli');
console.log(JSON.stringify(Object.keys(require.cache).some((f) => /node_modules[\\\\/]commander[\\\\/]/.test(f))));
`;
    expect(runIn<boolean>('heavy.cjs', script)).toBe(true);
  });

  test('every shipped schema resolves as nd-infoblock/schemas/<name>.schema.json, with its urn as $id', () => {
    const script = `const out = {};
for (const f of ${JSON.stringify(SCHEMA_FILES)}) {
  const file = require.resolve('nd-infoblock/' + f);
  out[f] = { inPackage: file.includes('node_modules'), id: require(file).$id };
}
console.log(JSON.stringify(out));
`;
    const want = Object.fromEntries(
      SCHEMA_FILES.map((f) => [f, { inPackage: true, id: schemaId(path.basename(f, '.schema.json') as SchemaName) }]),
    );
    expect(runIn('schemas.cjs', script)).toEqual(want);
  });

  test('the specs for other tools ship and resolve as nd-infoblock/formats/<file>', () => {
    const files = fs.readdirSync(path.join(root, 'formats')).sort();
    expect(files).toEqual(['btt_info.ksy', 'nd-infoblock.magic', 'nd_pfn_info.ksy']);
    expect(tarFiles.filter((f) => f.startsWith('formats/'))).toEqual(files.map((f) => `formats/${f}`));
    const script = `console.log(JSON.stringify(${JSON.stringify(files)}.map((f) =>
  require('node:fs').readFileSync(require.resolve('nd-infoblock/formats/' + f), 'utf8').split('\\n')[0])));
`;
    const firstLines = files.map((f) => fs.readFileSync(path.join(root, 'formats', f), 'utf8').split('\n')[0]);
    expect(runIn('formats.cjs', script)).toEqual(firstLines);
  });

  test('require.resolve of a schema the package does not ship fails (the check above can fail)', () => {
    const script = `let code = null;
try { require.resolve('nd-infoblock/schemas/no-such.schema.json'); } catch (e) { code = e.code; }
console.log(JSON.stringify(code));
`;
    expect(runIn('no-schema.cjs', script)).toBe('MODULE_NOT_FOUND');
  });

  test('the installed bin runs and reports the package version', () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'infoblock');
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout }).toEqual({ status: 0, out: `${pkg.version}\n` });
  });
});

const TS_CONSUMER = `import { checkHead, findBlocks, parseSize, InfoblockError } from 'nd-infoblock';
import type { Verdict, FoundBlock } from 'nd-infoblock';
import { encodePfnBlock, headWithBlock, recipeFields, type PfnFields } from 'nd-infoblock/format';
import { PROFILE_IDS, type ProfileId } from 'nd-infoblock/validate';
import { migrate, type MigrationReport } from 'nd-infoblock/migrate';
import { generateCorpus, type CorpusInput } from 'nd-infoblock/corpus';
import { kernelCheck, type KernelVerdict } from 'nd-infoblock/kernel';
import { scanBytes, type Finding } from 'nd-infoblock/scan';
import { planRecovery, writeRecoveredBlock, type RecoveryPlan } from 'nd-infoblock/recover';
import { renderVerdict, runCli, type CliIo } from 'nd-infoblock/cli';

const uuid = '11111111-2222-3333-4444-555555555555';
const fields: PfnFields = recipeFields({ size: parseSize('1G'), mode: 'fsdax', map: 'dev', uuid });
const head: Uint8Array = headWithBlock(encodePfnBlock(fields));
const found: FoundBlock[] = findBlocks(head);
const kernel: ProfileId = PROFILE_IDS[0] ?? 'linux-6.1';
const v: Verdict = checkHead(head, { kernel, nsBase: 0n, nsSize: 1n << 30n });
const text: string = renderVerdict('x', v, true);
const io: CliIo = { stdout: (s: string | Uint8Array) => void s, stderr: (s: string) => void s };
const done: Promise<number> = runCli(['--version'], io);
const m: typeof migrate = migrate;
const c: typeof generateCorpus = generateCorpus;
const k: typeof kernelCheck = kernelCheck;
const findings: Finding[] = scanBytes(head).findings;
const plan: RecoveryPlan = planRecovery(head, findings, { nsBase: 0n, nsSize: 1n << 30n, kernel: '6.12' });
const w: typeof writeRecoveredBlock = writeRecoveredBlock;
type Unused = [MigrationReport, CorpusInput, KernelVerdict, InfoblockError];
export { found, text, done, m, c, k, plan, w };
export type { Unused };
`;

const NODENEXT = ['--module', 'nodenext'];
const BUNDLER = ['--module', 'esnext', '--moduleResolution', 'bundler'];
const NODE10 = ['--module', 'commonjs', '--moduleResolution', 'node10']; // TypeScript 5 only: 7 dropped it

/** tsc --strict over consumer files in `dir`; returns its diagnostics (empty when it compiles). */
function compile(tsc: string, dir: string, mode: string[], files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  const args = [tsc, '--strict', ...mode, '--target', 'es2022', '--noEmit', '--skipLibCheck', 'false'];
  const r = spawnSync(process.execPath, [...args, ...Object.keys(files)], { cwd: dir, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim();
}

const TS5 = (): string => path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const BOTH = { 'esm.mts': TS_CONSUMER, 'cjs.cts': TS_CONSUMER };

describe('TypeScript consumers without @types/node', () => {
  test('no @types/node reaches the consumer', () => {
    expect(fs.existsSync(path.join(consumer, 'node_modules', '@types', 'node'))).toBe(false);
  });

  test.each([
    ['5 (the project)', 'ts5', TS5, NODENEXT, BOTH],
    [`${TS7_VERSION} (native)`, 'ts7', ts7, NODENEXT, BOTH],
    ['5 (the project)', 'ts5-bundler', TS5, BUNDLER, { 'bundler.ts': TS_CONSUMER }],
    [`${TS7_VERSION} (native)`, 'ts7-bundler', ts7, BUNDLER, { 'bundler.ts': TS_CONSUMER }],
    ['5 (the project)', 'ts5-node10', TS5, NODE10, { 'node10.ts': TS_CONSUMER }],
  ])(
    'typescript %s compiles the consumer (%s) under --strict',
    (_v, name, tsc, mode, files) => {
      const bin = tsc();
      expect(compile(bin, path.join(consumer, name), mode, files)).toBe('');
      // The same compiler in the same mode rejects a Node-only name: the clean result above is not vacuous.
      const bad = compile(bin, path.join(consumer, `${name}-control`), mode, {
        ...files,
        'node-only.ts': 'export const b = Buffer.alloc(1);\n',
      });
      expect(bad).toMatch(/Cannot find name 'Buffer'/);
    },
    120_000,
  );
});
