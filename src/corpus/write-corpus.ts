/**
 * Writing a corpus to a directory: one file per input named by content hash,
 * and `manifest.jsonl` with one row per input (what it is, which seed and
 * mutation made it, and the validator's verdict). Also the coverage summary
 * (inputs per failing rule, outcome and message kind).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IoError } from '../format/errors';
import { ioError } from '../io/errors';
import { kindOf } from '../io/files';
import { StagedFile, writeFileDurably } from '../io/durable';
import { showPath } from '../io/path';
import { HEAD_SIZE, headWithBlock } from '../format/head';
import { jsonText } from '../format/json';
import { checkHead, type Verdict } from '../validate/check';
import type { DaxVerdict } from '../validate/dax-verdict';
import { BOOTED_KERNELS, compareSeries, resolveKernels, type ResolvedKernel } from '../validate/versions';
import { daxIsHazard } from '../validate/dax-verdict';
import { CorpusGenerator, HAZARD_TARGETS, verdictClass, type CorpusInput, type CorpusOptions } from './generate';
import { hex } from '../format/int64';
import { expectArray, expectFields, expectOptions, expectString } from '../format/guard';

export type CorpusFormat = 'head' | 'block' | 'image';
export const CORPUS_FORMATS: readonly CorpusFormat[] = ['head', 'block', 'image'];

/**
 * One input of a corpus: its file, how it was made, its namespace and the
 * validator's predicted verdict (the fields a booted kernel shows, so that
 * a manifest can be compared with one). Written as one `corpus-manifest`
 * document per line (schemas/corpus-manifest.schema.json): snake_case keys,
 * u64 values as "0x…" strings.
 */
export interface ManifestRow {
  /** File name inside the corpus directory. */
  file: string;
  index: number;
  seedIndex: number;
  mutation: string;
  target: string;
  /** The validator's kernel profile the prediction is for (`linux-6.1`). */
  kernel: string;
  nsBase: bigint;
  nsSize: bigint;
  checksumValid: boolean;
  outcome: Verdict['outcome'];
  kind: Verdict['kind'];
  mode: Verdict['mode'];
  errno: number | null;
  message: string | null;
  dataStart: bigint | null;
  dataSize: bigint | null;
  failedRule: string | null;
  /** For images: the `kernel-check` argument (`FILE@BASE`). */
  kernelCheck?: string;
  /**
   * The expected DAX verdict per kernel (the corpus kernel and the booted ones, by profile id): null where
   * that kernel does not claim the namespace as fsdax or devdax.
   */
  dax: Record<string, DaxVerdict | null>;
  /** The class filter the corpus was made with (null: every class). */
  only: string[] | null;
  /** The corpus let unaimed DAX hazards through (allowHazard). */
  allowHazard: boolean;
  /**
   * A DAX hazard under the corpus kernel (its DAX verdict misplaces or crashes): `aimed` on the rows aimed at
   * DAX hazard classes (the point of those rows), `allowed` elsewhere (only with allowHazard); null when none.
   */
  hazard: 'aimed' | 'allowed' | null;
}

/** The kernels whose DAX verdict a manifest row carries: the booted ones and the corpus kernel, oldest first. */
export function daxKernels(kernel: string): string[] {
  const ks = resolveKernels([...BOOTED_KERNELS, kernel].join(','));
  const key = (k: ResolvedKernel): number => (k.mapConvention ? 1 : 0);
  return ks.sort((x, y) => key(x) - key(y) || compareSeries(x.version, y.version)).map((k) => k.id);
}

/** Each kernel's DAX verdict on an input (null: that kernel does not claim it as fsdax/devdax). */
function daxByKernel(input: CorpusInput, v: Verdict): Record<string, DaxVerdict | null> {
  const out: Record<string, DaxVerdict | null> = {};
  for (const k of daxKernels(v.profile)) {
    const kv =
      k === v.profile
        ? v
        : checkHead(headWithBlock(input.block), {
            kernel: k,
            nsBase: input.nsBase,
            nsSize: input.nsSize,
            hazards: false,
          });
    out[k] = kv.dax ?? null;
  }
  return out;
}

export interface Coverage {
  inputs: number;
  files: number;
  outcome: Record<string, number>;
  failedRule: Record<string, number>;
  messageKind: Record<string, number>;
  /** Inputs per class (failing rule, 'S2' or outcome). */
  classes: Record<string, number>;
}

export interface WriteCorpusOptions extends CorpusOptions {
  dir: string;
  count: number;
  format?: CorpusFormat;
  force?: boolean;
  /** Where the manifest goes (default `<dir>/manifest.jsonl`); its `file` column stays relative to `dir`. */
  manifest?: string;
  /** Called every `progressEvery` inputs and at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** A message with its numbers taken out: the kind of message it is. */
export function messageKind(message: string): string {
  expectString(message, 'message');
  // Tokens between blanks, colons, brackets and range dashes that are numbers
  // (decimal, 0x hex, or bare %lx hex such as "ffffffff").
  return message
    .split(/([\s:[\]]+|-(?=0x))/)
    .map((t) => (/^-?(0x[0-9a-f]+|[0-9a-f]*\d[0-9a-f]*|[a-f]{6,})$/i.test(t) ? '#' : t))
    .join('');
}

export function emptyCoverage(): Coverage {
  return { inputs: 0, files: 0, outcome: {}, failedRule: {}, messageKind: {}, classes: {} };
}

const bump = (r: Record<string, number>, k: string): void => void (r[k] = (r[k] ?? 0) + 1);

export function addToCoverage(c: Coverage, v: Verdict): void {
  expectOptions(c, 'c');
  expectOptions(v, 'v');
  c.inputs++;
  bump(c.outcome, v.outcome);
  if (v.failedRule !== null) bump(c.failedRule, v.failedRule);
  const msgs = v.message !== null ? [v.message] : [];
  for (const m of v.messages) if (!msgs.includes(m)) msgs.push(m);
  for (const m of msgs) bump(c.messageKind, messageKind(m));
  bump(c.classes, verdictClass(v));
}

/** The bytes of an input in a format (an image is its head; the file is extended sparsely). */
export function inputBytes(input: CorpusInput, format: CorpusFormat): Uint8Array {
  expectOptions(input, 'input');
  expectString(format, 'format');
  return format === 'block' ? input.block : headWithBlock(input.block);
}

/** sha256 prefix of the content; images also hash base and size (same head, different namespace). */
export function inputFileName(input: CorpusInput, format: CorpusFormat): string {
  expectOptions(input, 'input');
  expectString(format, 'format');
  const h = createHash('sha256').update(inputBytes(input, format));
  if (format === 'image') h.update(`\0${input.nsBase}:${input.nsSize}`);
  const id = h.digest('hex').slice(0, 16);
  if (format === 'image') return `${id}-${hex(input.nsBase)}.img`;
  return `${id}.${format}`;
}

function ensureEmptyDir(dir: string, force: boolean): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw ioError('use the directory', dir, e);
    if (fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() === true) {
      throw new IoError(`${showPath(dir)} is a dangling symbolic link; give a directory`);
    }
  }
  if (st !== undefined && !st.isDirectory())
    throw new IoError(`${showPath(dir)} is ${describeKind(st)}, not a ` + `directory; give a directory for the corpus`);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('read the directory', dir, e);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e2) {
      throw ioError('create the directory', dir, e2);
    }
    return;
  }
  if (entries.length > 0 && !force)
    throw new IoError(`${showPath(dir)} is not empty`, { hint: { pass: { force: true } } });
}

const describeKind = (st: fs.Stats): string => {
  const k = kindOf(st);
  return k === 'file' ? 'a regular file' : k === 'FIFO' ? 'a FIFO (named pipe)' : `a ${k}`;
};

/** An input file, whole or absent (temporary name, every byte checked, rename). */
function writeWhole(file: string, bytes: Uint8Array, extendTo?: bigint): void {
  const sparse = extendTo === undefined ? {} : { extendTo };
  try {
    writeFileDurably(file, bytes, { replace: true, sync: false, verify: false, mode: 0o666, ...sparse });
  } catch (e) {
    throw new IoError(`${(e as Error).message}; the corpus is incomplete`, { cause: e });
  }
}

function writeInput(file: string, input: CorpusInput, format: CorpusFormat): void {
  const bytes = inputBytes(input, format);
  if (format !== 'image') writeWhole(file, bytes);
  else writeWhole(file, bytes.subarray(0, HEAD_SIZE), input.nsSize); // sparse: the rest of the namespace is a hole
}

/** What a corpus was made with, as every manifest row records it. */
export interface CorpusFilter {
  only: readonly string[] | null;
  allowHazard: boolean;
}

export function manifestRow(
  input: CorpusInput,
  file: string,
  v: Verdict,
  format: CorpusFormat,
  filter: CorpusFilter = { only: null, allowHazard: false },
): ManifestRow {
  expectOptions(input, 'input');
  expectString(file, 'file');
  expectOptions(v, 'v');
  expectString(format, 'format');
  if (filter !== undefined) {
    expectFields(filter, 'filter', { allowHazard: 'boolean' });
    if (filter.only !== null) expectArray(filter.only, 'only');
  }
  const row: ManifestRow = {
    file,
    index: input.index,
    seedIndex: input.seedIndex,
    mutation: input.mutation,
    target: input.target,
    kernel: v.profile,
    nsBase: input.nsBase,
    nsSize: input.nsSize,
    checksumValid: input.checksumValid,
    outcome: v.outcome,
    kind: v.kind,
    mode: v.mode,
    errno: v.errno,
    message: v.message,
    dataStart: v.dataStart,
    dataSize: v.dataSize,
    failedRule: v.failedRule,
    dax: daxByKernel(input, v),
    only: filter.only === null ? null : [...filter.only],
    allowHazard: filter.allowHazard,
    hazard: daxIsHazard(v.dax) ? (HAZARD_TARGETS.includes(input.target) ? 'aimed' : 'allowed') : null,
  };
  if (format === 'image') row.kernelCheck = `${file}@${hex(input.nsBase)}`;
  return row;
}

/** A row as one JSON line: a `corpus-manifest` document (snake_case, u64 as "0x…", led by its schema and version). */
export function manifestRowText(row: ManifestRow): string {
  expectOptions(row, 'row');
  return jsonText('corpus-manifest', row, 0);
}

/** Generate `count` inputs into `dir` with a manifest; returns the coverage. Every file is whole or absent. */
export function writeCorpus(o: WriteCorpusOptions): Coverage {
  expectFields(o, 'o', { dir: 'string', count: 'number', seed: 'bigint' });
  const format = o.format ?? 'head';
  const gen = new CorpusGenerator(o);
  // A filter whose class cannot be made says so before anything is written.
  if (gen.only !== null && o.count > 0) gen.input(0);
  ensureEmptyDir(o.dir, o.force === true);
  const manifest = new StagedFile(o.manifest ?? path.join(o.dir, 'manifest.jsonl'));
  const append = (lines: string[]): void => {
    if (lines.length > 0) manifest.append(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
  };
  const cov = emptyCoverage();
  const written = new Set<string>();
  const every = o.progressEvery ?? 1000;
  try {
    let lines: string[] = [];
    for (const input of gen.inputs(o.count)) {
      const file = inputFileName(input, format);
      if (!written.has(file)) {
        writeInput(path.join(o.dir, file), input, format);
        written.add(file);
      }
      const judge = { kernel: gen.kernel, nsBase: input.nsBase, nsSize: input.nsSize, hazards: false };
      const v = input.verdict ?? checkHead(headWithBlock(input.block), judge);
      addToCoverage(cov, v);
      lines.push(manifestRowText(manifestRow(input, file, v, format, gen)));
      if (lines.length >= 256) {
        append(lines);
        lines = [];
      }
      if (o.onProgress !== undefined && cov.inputs % every === 0) o.onProgress(cov.inputs, o.count);
    }
    append(lines);
    manifest.commit();
  } catch (e) {
    manifest.abandon();
    if (e instanceof IoError && !/the corpus is incomplete$/.test(e.message)) {
      throw new IoError(`${e.message}; no manifest was written, the corpus is incomplete`, { cause: e });
    }
    throw e;
  }
  cov.files = written.size;
  return cov;
}

const sortKeys = (r: Record<string, number>, order: readonly string[] = []): [string, number][] =>
  Object.entries(r).sort(([a], [b]) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? 1e9 : ia) - (ib === -1 ? 1e9 : ib);
    return a.localeCompare(b, 'en', { numeric: true });
  });

/** Human-readable coverage summary (several lines, no trailing newline). */
export function formatCoverage(c: Coverage, ruleOrder: readonly string[] = []): string {
  expectOptions(c, 'c');
  if (ruleOrder !== undefined) expectArray(ruleOrder, 'ruleOrder');
  const lines = [`corpus: ${c.inputs} inputs, ${c.files} files`];
  lines.push(
    `  outcome: ` +
      `${sortKeys(c.outcome, ['claimed', 'raw', 'refused', 'crashed'])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
  );
  lines.push(
    `  failing rule: ${
      sortKeys(c.failedRule, ruleOrder)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  lines.push('  messages:');
  for (const [k, n] of sortKeys(c.messageKind)) lines.push(`    ${String(n).padStart(6)}  ${k}`);
  return lines.join('\n');
}
