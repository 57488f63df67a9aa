// Issue #18 item 12: every function exported by every subpath in package.json
// "exports" refuses a wrong type with the typed InvalidArgumentError (code
// 'invalid-argument'): never a TypeError/RangeError from deep inside, never a
// result computed from garbage. GUARDED lists each function's parameters by
// kind (the checks of src/format/guard.ts at its entry); EXEMPT lists the ones
// that take anything or nothing, each with the reason. A new export that is in
// neither table fails the first test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as rootApi from '../../src/index';
import * as formatApi from '../../src/format/index';
import * as validateApi from '../../src/validate/index';
import * as migrateApi from '../../src/migrate/index';
import * as corpusApi from '../../src/corpus/index';
import * as scanApi from '../../src/scan/index';
import * as recoverApi from '../../src/recover/index';
import * as kernelApi from '../../src/kernel/index';
import * as packApi from '../../src/pack/index';
import * as cliApi from '../../src/cli/index';
import { InvalidArgumentError } from '../../src/format/errors';

const MODULES: Record<string, Record<string, unknown>> = {
  '.': rootApi,
  './format': formatApi,
  './validate': validateApi,
  './migrate': migrateApi,
  './corpus': corpusApi,
  './scan': scanApi,
  './recover': recoverApi,
  './kernel': kernelApi,
  './pack': packApi,
  './cli': cliApi,
};

/**
 * Parameter kinds, in order. `?` marks an optional parameter (undefined is
 * then right). `record:a=bigint,b=path` is an object whose required fields
 * must be there with those kinds. `any` is a parameter that takes any value;
 * `string|null` one where null is a meaning (guestUseOf: content pack could not identify).
 */
const GUARDED: Record<string, string[]> = {
  fletcher64: ['bytes', 'number?'],
  blockChecksum: ['bytes'],
  storedChecksum: ['bytes'],
  verifyChecksum: ['bytes'],
  withFreshChecksum: ['bytes'],
  decodePfnBlock: ['bytes', 'bigint?'],
  encodePfnBlock: ['object', 'object?'],
  patchPfnBlock: ['bytes', 'object'],
  effectiveFields: ['object', 'bigint?', 'number?'],
  signatureKind: ['bytes'],
  signatureText: ['bytes'],
  decodeBttBlock: ['bytes'],
  encodeBttBlock: ['object'],
  fieldSize: ['record:name=string,offset=number,kind=string,since=number'],
  findBlocks: ['bytes'],
  headWithBlock: ['bytes'],
  blockOfHead: ['bytes'],
  ndctlJson: ['array', 'object?'],
  readSummaryLine: ['number'],
  describeBlock: ['string', 'object'],
  recipeFields: ['record:size=bigint,uuid=string'],
  checkAlign: ['bigint'],
  parseSize: ['string', 'string?', 'object?'],
  humanSize: ['bigint'],
  formatUuid: ['bytes', 'number?'],
  parseUuid: ['string', 'bytes?', 'number?'],
  schemaId: ['string'],
  jsonDocument: ['string', 'any'],
  jsonText: ['string', 'any', 'number?'],
  snakeKey: ['string'],
  camelKey: ['string'],
  expectSpan: ['bigint', 'bigint', 'string?'],
  migrate: ['bytes', 'record:to=string,nsBase=bigint,nsSize=bigint'],
  assertNoHazard: ['object'],
  alignmentEvidence: ['object', 'bigint'],
  dataStartOf: ['object', 'string'],
  migrateTarget: ['record:target=path,offset=bigint,to=string,nsBase=bigint,nsSize=bigint'],
  restoreTarget: ['record:target=path'],
  replaceInfoBlock: ['record:target=path'],
  encodeBackup: ['object'],
  decodeBackup: ['path', 'string?'],
  acquireLock: ['path', 'object?'],
  lockPathOf: ['path'],
  defaultBackupPath: ['path', 'record?:kind=string,rdev=bigint,path=bytes', 'object?'],
  backupStateDir: ['object?'],
  planRealign: ['bytes', 'function', 'record:capacity=bigint,labelOffset=bigint'],
  realignTarget: ['record:target=path,labelSize=bigint'],
  restoreRealign: ['record:target=path'],
  planRebase: ['bytes', 'record:nsBase=bigint,toBase=bigint,nsSize=bigint'],
  rebaseTarget: ['record:target=path,nsBase=bigint,toBase=bigint,nsSize=bigint'],
  checkHead: ['bytes', 'record:nsSize=bigint'],
  checkBlock: [
    'record:kind=string,fields=object,effective=object,computedChecksum=bigint,checksumValid=boolean',
    'record:nsSize=bigint',
  ],
  hazardsFor: [
    'record:kind=string,fields=object,effective=object,computedChecksum=bigint,checksumValid=boolean',
    'object',
    'record:nsSize=bigint',
  ],
  profileForKernel: ['string'],
  profileOf: ['record:id=string,version=string,mapConvention=boolean,observed=boolean'],
  archParams: ['string?'],
  eraOf: ['string', 'string'],
  ruleEntry: ['string'],
  validationFailureRefuses: ['string', 'number'],
  probeFailureLine: ['string', 'string', 'string', 'number'],
  resolveKernel: ['string'],
  resolveKernels: ['string', 'string?'],
  checkKernels: ['bytes', 'record:nsSize=bigint', 'any'],
  geometryOf: ['record:fields=object,effective=object,base=bigint,size=bigint,meaning=string'],
  gateFields: ['object', 'record:pageSize=bigint,knowsMinor4=boolean'],
  kernelAlign: ['bigint', 'bigint'],
  dataStartFor: ['string', 'bigint', 'bigint'],
  ndctlOffsetEvidence: ['object', 'object', 'bigint', 'bigint'],
  memmapFits: ['object', 'bigint', 'bigint', 'bigint'],
  basesFittingBlock: ['bigint', 'bigint?'],
  baseFits: ['bigint', 'bigint', 'bigint?'],
  explainLayout: ['bytes', 'object', 'record:nsSize=bigint'],
  daxGuard: ['bytes', 'record:nsBase=bigint,nsSize=bigint', 'string?'],
  daxHazards: ['bytes', 'record:nsBase=bigint,nsSize=bigint'],
  scanTarget: ['record:target=path'],
  scanBytes: ['bytes', 'object?'],
  findingView: ['object', 'record:nsBase=bigint,targetSize=bigint,kernel=string'],
  isPfnFinding: ['object'],
  isBttFinding: ['object'],
  isFsFinding: ['object'],
  isPartitionFinding: ['object'],
  relativeTo: ['any', 'bigint'],
  planRecovery: ['bytes', 'array', 'record:nsBase=bigint,nsSize=bigint,kernel=string'],
  scanLimit: ['bigint'],
  writeRecoveredBlock: ['record:target=path,offset=bigint,nsBase=bigint,nsSize=bigint,plan=function'],
  decodeLabelArea: ['bytes'],
  encodeLabelArea: ['array', 'record:areaSize=bigint,version=string,cookie=bigint,capacity=bigint'],
  labelGeometry: ['bigint', 'bigint'],
  interleaveSetCookie: [
    'record:serial=number,regionOffset=bigint,vendorId=number,manufacturingDate=number,manufacturingLocation=number',
    'string',
  ],
  qemuDimm: ['number'],
  dimmLayout: ['bigint', 'bigint'],
  parseNamespaceSpecs: ['array'],
  checkLabelledDimm: ['bytes', 'bigint', 'function', 'object?'],
  readHead: ['path', 'object?'],
  readHeadAsync: ['path', 'object?'],
  nextSeq: ['number'],
  newerSeq: ['number', 'number'],
  restampCookies: ['bytes', 'function'],
  daxVerdictOf: ['object'],
  daxEraOf: ['string', 'string'],
  daxIsHazard: ['object?'],
  daxHazardOf: ['object'],
  daxHazardText: ['array'],
  isDaxHazard: ['array'],
  hazardError: ['string', 'string?'],
  checkMigrateOptions: ['record:to=string,nsBase=bigint,nsSize=bigint'],
  summarize: ['object'],
  belongsTo: ['object', 'record:path=bytes,size=bigint,dev=bigint,ino=bigint'],
  sameBackup: ['object', 'object'],
  blockStateFor: ['object', 'bytes'],
  crc32: ['path'],
  readBackup: ['path', 'boolean?'],
  restoreHint: ['path'],
  defaultRealignBackupPath: ['path'],
  isRealignBackupFile: ['path'],
  encodeRealignRecord: ['record:target=object,created=string,labelSize=bigint,namespaces=array,writes=array'],
  decodeRealignRecord: ['bytes', 'string?'],
  isRealignRecord: ['bytes'],
  infoBlockAt: ['bytes', 'number', 'bigint', 'object'],
  extAt: ['bytes', 'number', 'bigint'],
  xfsAt: ['bytes', 'number', 'bigint', 'object'],
  btrfsAt: ['bytes', 'number', 'bigint'],
  mbrAt: ['bytes', 'number', 'bigint'],
  gptAt: ['bytes', 'number', 'bigint'],
  assessPfn: [
    'record:kind=string,offset=bigint,checksumValid=boolean,fields=object',
    'record:nsBase=bigint,targetSize=bigint,kernel=string',
  ],
  verdictView: ['object'],
  findingLine: ['object', 'record:nsBase=bigint,targetSize=bigint,kernel=string'],
  findingLines: ['array', 'record:nsBase=bigint,targetSize=bigint,kernel=string'],
  packImage: ['string', 'string', 'object?'],
  unpackImage: ['string', 'string', 'object?'],
  kataViewOf: ['string', 'bigint', 'bigint'],
  planPack: ['bigint', 'object', 'string'],
  labelAreaOf: ['object'],
  alignmentInForce: ['bigint'],
  nearestGoodBase: ['bigint', 'bigint'],
  qemuOptionsFor: ['object', 'string'],
  guestUseOf: ['object', 'string|null'],
  qemuSize: ['bigint'],
  shellQuote: ['string'],
  sniffFilesystem: ['bytes'],
  mountType: ['string'],
  kataLayoutOf: ['bytes', 'bytes', 'bigint', 'bigint'],
  decodeMbr: ['bytes'],
  encodeMbr: ['bigint', 'bigint', 'number?'],
  verifyPacked: ['string', 'object', 'array', 'object?'],
  verifyPackedImages: ['array', 'array', 'object?'],
  judgeObservation: ['string', 'object', 'record:file=string,plan=object'],
  errorLine: ['string'],
  buildProgram: ['object', 'array?'],
  runCli: ['array', 'object?'],
  renderVerdict: ['string', 'object', 'boolean', 'object?'],
  renderKernels: [
    'string',
    'record:kernels=array,verdicts=object,hazards=array,blockHazards=array,agree=boolean',
    'object?',
    'array?',
  ],
  layoutAscii: ['string', 'array', 'object'],
  layoutSvg: ['string', 'array', 'object'],
  errnoName: ['number'],
  generateCorpus: ['record:seed=bigint,count=number'],
  corpusTargets: ['string?'],
  verdictClass: ['object'],
  writeCorpus: ['record:dir=string,count=number,seed=bigint'],
  formatCoverage: ['object', 'array?'],
  messageKind: ['string'],
  parseSeed: ['string'],
  seedPool: ['array?'],
  inputFileName: ['object', 'string'],
  inputBytes: ['object', 'string'],
  manifestRow: ['object', 'string', 'object', 'string', 'record?:allowHazard=boolean'],
  manifestRowText: ['object'],
  addToCoverage: ['object', 'object'],
  isOfClass: ['object', 'string'],
  unaimedHazard: ['string', 'object'],
  prepareKernelAssets: ['object?'],
  bootImages: ['array', 'object?'],
  planBoots: ['array', 'boolean', 'number'],
  observationToVerdict: ['object', 'bigint'],
  kernelCheck: ['array', 'object?'],
  kernelCheckDetailed: ['array', 'object?'],
  labelledVerdicts: ['object'],
  parseAddress: ['string'],
  parseImageSpec: ['string'],
  compareVerdicts: ['object', 'object'],
  kernelDecidingMessage: ['record:outcome=string,messages=array'],
  parseManifest: ['string', 'string'],
  readManifest: ['string'],
  placedPrediction: ['object', 'record:guestBase=bigint'],
  manifestSpecs: ['array', 'string'],
  compareManifest: ['array', 'array', 'array'],
  bootManifest: ['array', 'string', 'object?'],
  parseKernelVersion: ['string'],
};

type Exemption = { reason: string; predicate?: true };
const PREDICATE = 'a predicate over any value: answers false for anything that is not what it asks about';
const NO_ARGS = 'takes no arguments';
const ERROR_CLASS = 'an error class: builds an error from any message (callers catch it, they do not feed it input)';
const CLASS = 'a class (new only): its constructor and static factories check their arguments (asserted below)';
const EXEMPT: Record<string, Exemption> = {
  isInfoblockError: { reason: PREDICATE, predicate: true },
  isUuid: { reason: PREDICATE, predicate: true },
  isProfileId: { reason: PREDICATE, predicate: true },
  isKernelSpec: { reason: PREDICATE, predicate: true },
  toJson: { reason: 'maps any value to its JSON form (bigint to "0x…", bytes to hex)' },
  toWire: { reason: 'maps any value to its wire form (snake_case keys, u64 as "0x…")' },
  fromWire: { reason: 'reads any JSON value back (the inverse of toWire): what it does not recognise it keeps' },
  parseU64: { reason: 'answers undefined for anything that is not a "0x…" u64 (asserted below)' },
  expectU64: { reason: 'is itself a guard: it refuses every non-bigint with invalid-argument (asserted below)' },
  randomUuid: { reason: NO_ARGS },
  packageVersion: { reason: NO_ARGS },
  cacheDir: { reason: NO_ARGS },
  emptyCoverage: { reason: NO_ARGS },
  InfoblockError: { reason: ERROR_CLASS },
  TruncatedError: { reason: ERROR_CLASS },
  InvalidFieldError: { reason: ERROR_CLASS },
  InvalidArgumentError: { reason: ERROR_CLASS },
  IoError: { reason: ERROR_CLASS },
  UntrustedPathError: { reason: ERROR_CLASS },
  KernelHarnessError: { reason: ERROR_CLASS },
  CorpusGenerator: { reason: CLASS },
  Prng: { reason: CLASS },
};

/** Every exported function once (a function re-exported by the root counts once), by its export name. */
function exportedFunctions(): Map<string, (...args: unknown[]) => unknown> {
  const byName = new Map<string, (...args: unknown[]) => unknown>();
  for (const mod of Object.values(MODULES)) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function') continue;
      const known = byName.get(name);
      if (known !== undefined && known !== value) throw new Error(`two different functions exported as ${name}`);
      byName.set(name, value as (...args: unknown[]) => unknown);
    }
  }
  return byName;
}

const WRONG: [string, unknown][] = [
  ['42', 42],
  ['null', null],
  ['undefined', undefined],
  ["'x'", 'x'],
  ['an ArrayBuffer', new ArrayBuffer(8)],
  ['{}', {}],
  ['[]', []],
  ['1.5', 1.5],
  ['-1n', -1n],
];

/** True when `value` is of `kind` (the kind alone: `{}` is an object, but not a record with required fields). */
function isKind(kind: string, value: unknown): boolean {
  const base = kind.replace(/\?$/, '').replace(/^record\??:.*/, 'record');
  switch (base) {
    case 'bytes':
      return value instanceof Uint8Array;
    case 'bigint':
      return typeof value === 'bigint';
    case 'string':
      return typeof value === 'string';
    case 'string|null':
      return typeof value === 'string' || value === null;
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'function':
      return typeof value === 'function';
    case 'path':
      return typeof value === 'string' || value instanceof Uint8Array;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ArrayBuffer);
    case 'record':
      return false; // {} lacks the required fields; the other wrong values are not objects
    case 'any':
      return true;
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/** A value of `kind` that passes its guard (the arguments before the one under test). */
function sample(kind: string): unknown {
  const record = /^record\??:(.*)$/.exec(kind);
  if (record !== null) {
    const fields = (record[1] ?? '').split(',').map((f) => f.split('='));
    return Object.fromEntries(fields.map(([field, fieldKind]) => [field, sample(fieldKind ?? 'any')]));
  }
  const samples: Record<string, unknown> = {
    bytes: new Uint8Array(4096),
    bigint: 0n,
    string: 'x',
    'string|null': null,
    number: 0,
    boolean: false,
    array: [],
    function: () => undefined,
    path: '/nonexistent/x',
    object: {},
    any: undefined,
  };
  return samples[kind.replace(/\?$/, '')];
}

/** What `f(...args)` throws or rejects with; `{ returned }` when it does neither. */
async function outcome(f: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> {
  try {
    const r = f(...args);
    if (r instanceof Promise) await r;
    return { returned: r };
  } catch (e) {
    return e;
  }
}

test('every exported function of every package.json subpath is either guarded or exempt, never both', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const codeSubpaths = Object.keys(pkg.exports).filter((k) => !k.includes('*') && k !== './package.json');
  expect(Object.keys(MODULES).sort()).toEqual(codeSubpaths.sort());
  const names = [...exportedFunctions().keys()].sort();
  const both = Object.keys(GUARDED).filter((n) => n in EXEMPT);
  expect(both).toEqual([]);
  expect(names).toEqual([...Object.keys(GUARDED), ...Object.keys(EXEMPT)].sort());
});

const functions = exportedFunctions();
const calls: [string, number, string, unknown[]][] = [];
for (const [name, kinds] of Object.entries(GUARDED)) {
  kinds.forEach((kind, i) => {
    if (kind === 'any') return;
    for (const [label, bad] of WRONG) {
      if (isKind(kind, bad) || (bad === undefined && kind.includes('?'))) continue;
      calls.push([name, i, label, [...kinds.slice(0, i).map(sample), bad]]);
    }
  });
}

test.each(calls)('%s: parameter %d given %s is refused with invalid-argument', async (name, i, _label, args) => {
  const f = functions.get(name);
  if (f === undefined) throw new Error(`${name} is not exported`);
  const got = await outcome(f, args);
  expect(got).toBeInstanceOf(InvalidArgumentError);
  expect((got as InvalidArgumentError).code).toBe('invalid-argument');
  // The error names the parameter (or the field of a record) that was wrong.
  expect((got as InvalidArgumentError).field).toMatch(/^\w+$/);
});

test('the table covers every parameter kind with at least one wrong value each', () => {
  expect(calls.length).toBeGreaterThan(1000);
  for (const [name, kinds] of Object.entries(GUARDED)) {
    expect(kinds.length).toBeGreaterThan(0);
    expect(calls.some((c) => c[0] === name)).toBe(true);
  }
});

test.each(Object.entries(EXEMPT).filter(([, e]) => e.predicate === true))(
  '%s answers false (not a throw, not true) for every wrong value',
  (name) => {
    const f = functions.get(name) as (v: unknown) => unknown;
    for (const [, bad] of WRONG) expect(f(bad)).toBe(false);
  },
);

test.each(WRONG.filter(([, v]) => typeof v !== 'bigint'))(
  'expectU64 refuses %s with invalid-argument',
  async (_l, v) => {
    const got = await outcome(rootApi.expectU64 as (...a: unknown[]) => unknown, [v, 'x']);
    expect(got).toBeInstanceOf(InvalidArgumentError);
  },
);

test.each(WRONG)('parseU64 answers undefined for %s', (_l, v) => {
  expect(rootApi.parseU64(v)).toBeUndefined();
});

test('decodeLabelArea(42) and decodePfnBlock(null) are typed errors (the cases #18 was filed with)', () => {
  expect(() => rootApi.decodeLabelArea(42 as never)).toThrow(InvalidArgumentError);
  expect(() => rootApi.decodePfnBlock(null as never)).toThrow(/must be a Uint8Array \(got null\)/);
  expect(() => rootApi.decodePfnBlock(new ArrayBuffer(4096) as never)).toThrow(
    /got an ArrayBuffer\): pass new Uint8Array/,
  );
});

test.each(WRONG.filter(([, v]) => typeof v !== 'bigint'))(
  'new CorpusGenerator(%s), Prng.of and Prng.ofWords given it are refused with invalid-argument',
  async (_l, v) => {
    for (const f of [
      () => new corpusApi.CorpusGenerator(v as never),
      () => new corpusApi.CorpusGenerator({ seed: v } as never),
      () => corpusApi.Prng.of(v as never),
      () => corpusApi.Prng.of(1n, (v === undefined ? null : v) as never),
    ]) {
      const got = await outcome(f, []);
      expect(got).toBeInstanceOf(InvalidArgumentError);
      expect((got as InvalidArgumentError).code).toBe('invalid-argument');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      const got = await outcome(() => corpusApi.Prng.ofWords(1, 2, v as never), []);
      expect(got).toBeInstanceOf(InvalidArgumentError);
    }
  },
);
