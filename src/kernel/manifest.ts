/**
 * A corpus manifest against a real kernel: read the rows (each a
 * `corpus-manifest` document: the file, its namespace, the validator's
 * predicted verdict), boot the files, and compare the kernel's verdict with
 * each row's prediction (compareVerdicts: outcome, errno, the deciding
 * message, data_start, data_size; kind and mode when both claim). The
 * `kernel-check --compare` command and the corpus sweep
 * (scripts/kernel/corpus-sweep.js) both go through here.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { hex } from '../format/int64';
import { parseU64, schemaId } from '../format/json';
import { ioError } from '../io/errors';
import type { Outcome } from '../validate/check';
import { compareVerdicts, type PredictedVerdict } from './compare';
import { KernelHarnessError } from './errors';
import type { BootOptions, KernelObservation } from './types';
import { kernelCheckDetailed, type KernelCheckSpec } from './kernel-check';
import type { KernelVerdict } from './verdict';
import { expectArray, expectFields, expectOptions, expectString } from '../format/guard';

/** The `schema` member of every manifest row (schemas/corpus-manifest.schema.json). */
const MANIFEST_SCHEMA_ID = schemaId('corpus-manifest');

/** The validator names a label-less namespace this when the caller does not say otherwise. */
const PREDICTED_NAMESPACE = 'namespace0.0';

/** One manifest row as the comparison needs it: where the file is, its namespace, and the prediction. */
export interface ManifestPrediction extends PredictedVerdict {
  /** The row's `file`: relative to the manifest's corpus directory. */
  file: string;
  /** 1-based line of the row in the manifest. */
  line: number;
  mutation: string | null;
  nsBase: bigint;
  nsSize: bigint;
}

/** Where the harness put a namespace and what the kernel called it. */
export type Placement = Pick<KernelObservation, 'guestBase' | 'namespace'>;

/** One row against the kernel: its verdict and the differences (empty: they agree). */
export interface ManifestComparison {
  row: ManifestPrediction;
  verdict: KernelVerdict;
  observation: KernelObservation;
  differences: string[];
}

const OUTCOMES: readonly Outcome[] = ['claimed', 'raw', 'refused', 'crashed'];

function bad(source: string, line: number, what: string): KernelHarnessError {
  return new KernelHarnessError('bad-manifest', `${source} line ${line}: ${what}`);
}

type Wire = Record<string, unknown>;

function u64(r: Wire, key: string, nullable: boolean, fail: (w: string) => KernelHarnessError): bigint | null {
  const v = r[key];
  if (v === null && nullable) return null;
  const n = parseU64(v);
  if (n === undefined) throw fail(`${key} is not a "0x…" hex string`);
  return n;
}

function field<T>(r: Wire, key: string, ok: (v: unknown) => v is T, fail: (w: string) => KernelHarnessError): T {
  const v = r[key];
  if (!ok(v)) throw fail(`${key} is missing or of the wrong type`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isErrno = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isInteger(v));
const isOutcome = (v: unknown): v is Outcome => OUTCOMES.includes(v as Outcome);
const isKind = (v: unknown): v is 'pfn' | 'dax' | 'btt' | null =>
  v === null || v === 'pfn' || v === 'dax' || v === 'btt';
const isMode = (v: unknown): v is 'ram' | 'pmem' | null => v === null || v === 'ram' || v === 'pmem';

/** One JSON line of a manifest as a prediction. */
function parseRow(text: string, source: string, line: number): ManifestPrediction {
  const fail = (what: string): KernelHarnessError => bad(source, line, what);
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    throw fail('not JSON');
  }
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw fail('not a JSON object');
  const w = r as Wire;
  if (w['schema'] !== MANIFEST_SCHEMA_ID) throw fail(`not a corpus manifest row (schema is not ${MANIFEST_SCHEMA_ID})`);
  const file = field(w, 'file', isString, fail);
  if (file === '' || path.isAbsolute(file) || file.split(/[\\/]/).includes('..'))
    throw fail(`file '${file}' is not a name inside the corpus directory`);
  return {
    file,
    line,
    mutation: field(w, 'mutation', isStringOrNull, fail),
    nsBase: u64(w, 'ns_base', false, fail) ?? 0n,
    nsSize: u64(w, 'ns_size', false, fail) ?? 0n,
    outcome: field(w, 'outcome', isOutcome, fail),
    kind: field(w, 'kind', isKind, fail),
    mode: field(w, 'mode', isMode, fail),
    errno: field(w, 'errno', isErrno, fail),
    message: field(w, 'message', isStringOrNull, fail),
    dataStart: u64(w, 'data_start', true, fail),
    dataSize: u64(w, 'data_size', true, fail),
  };
}

/** The rows of a manifest's text (JSON Lines); `source` names it in errors. */
export function parseManifest(text: string, source: string): ManifestPrediction[] {
  expectString(text, 'text');
  expectString(source, 'source');
  const rows: ManifestPrediction[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() !== '') rows.push(parseRow(l, source, i + 1));
  });
  if (rows.length === 0) throw new KernelHarnessError('bad-manifest', `${source} has no rows`);
  return rows;
}

/** The rows of the manifest file at `file`. */
export async function readManifest(file: string): Promise<ManifestPrediction[]> {
  expectString(file, 'file');
  return (await readManifestRows(file)).rows;
}

/**
 * The rows of a manifest with each row's whole JSON object beside it (for members this reader does
 * not type, such as the DAX predictions rows may carry).
 */
export async function readManifestRows(
  file: string,
): Promise<{ rows: ManifestPrediction[]; raw: Record<string, unknown>[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw ioError('read the manifest', file, e);
  }
  const rows = parseManifest(text, file);
  const raw = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { rows, raw };
}

/**
 * The row's prediction where the kernel saw the namespace: the validator
 * judged `namespace0.0` at ns_base, the harness may place it at a congruent
 * guest address and the kernel names it; so the message's namespace name and
 * the addresses inside the namespace move the same way. Everything else is
 * relative to the namespace and stays.
 */
export function placedPrediction(row: ManifestPrediction, at: Placement): PredictedVerdict {
  expectOptions(row, 'row');
  expectFields(at, 'at', { guestBase: 'bigint' });
  if (at.namespace !== null) expectString(at.namespace, 'namespace');
  if (row.message === null) return row;
  const shift = at.guestBase - row.nsBase;
  const end = row.nsBase + row.nsSize;
  let message = row.message.replace(/0x([0-9a-f]+)/g, (m: string, digits: string) => {
    const a = BigInt(`0x${digits}`);
    return a >= row.nsBase && a <= end ? hex(a + shift) : m;
  });
  if (at.namespace !== null) message = message.split(PREDICTED_NAMESPACE).join(at.namespace);
  return { ...row, message };
}

/** The boot specs of the rows (paths under `dir`); predicted crashes boot alone, first. */
export function manifestSpecs(rows: readonly ManifestPrediction[], dir: string): KernelCheckSpec[] {
  expectArray(rows, 'rows');
  expectString(dir, 'dir');
  return rows.map((r) => ({
    path: path.join(dir, r.file),
    base: r.nsBase,
    ...(r.outcome === 'crashed' ? { isolate: true } : {}),
  }));
}

/** Each row against what the kernel did with its file (pure: verdicts and observations in row order). */
export function compareManifest(
  rows: readonly ManifestPrediction[],
  verdicts: readonly KernelVerdict[],
  observations: readonly KernelObservation[],
): ManifestComparison[] {
  expectArray(rows, 'rows');
  expectArray(verdicts, 'verdicts');
  expectArray(observations, 'observations');
  return rows.map((row, i) => {
    const verdict = verdicts[i];
    const observation = observations[i];
    if (verdict === undefined || observation === undefined)
      throw new KernelHarnessError('bad-report', `no kernel verdict for ${row.file} (row ${i + 1})`);
    return { row, verdict, observation, differences: compareVerdicts(verdict, placedPrediction(row, observation)) };
  });
}

/** Boot the files of a manifest's rows (in `dir`) and compare each with its row. */
export async function bootManifest(
  rows: readonly ManifestPrediction[],
  dir: string,
  opts: BootOptions = {},
): Promise<ManifestComparison[]> {
  expectArray(rows, 'rows');
  expectString(dir, 'dir');
  expectOptions(opts, 'opts', true);
  const { verdicts, observations } = await kernelCheckDetailed(manifestSpecs(rows, dir), opts);
  return compareManifest(rows, verdicts, observations);
}
