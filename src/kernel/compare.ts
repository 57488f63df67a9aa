/**
 * Validator vs. real kernel: the comparison the acceptance matrix and the
 * corpus sweep both use. It compares outcome, errno, the deciding message,
 * data_start and data_size (and kind and mode when both claim).
 *
 * - The deciding message: for a refusal, the kernel's reason line; the driver
 *   core's bare "<driver>: probe of <dev> failed with error -N" is no reason
 *   (the validator says null there too). For a claim, the "number of pfns
 *   truncated" info line, if any.
 * - A kernel oops carries addresses and registers: a predicted crash matches
 *   when both are crashes with the same BUG headline.
 * - Messages with the namespace's name or address only match when the
 *   validator was given the kernel's (nsName, and the guest base as nsBase).
 */
import { hex } from '../format/int64';
import type { Verdict } from '../validate/check';
import type { KernelVerdict } from './verdict';
import { expectFields, expectOptions, expectString } from '../format/guard';

const GENERIC_PROBE_FAILURE = /^(?:(?:\S+: )?probe of \S+|probe with driver \S+) failed with error -\d+$/;
const TRUNCATED = /^number of pfns truncated from /;

/**
 * What the validator predicted, as far as a kernel can show it: a full
 * Verdict, or a corpus manifest row's prediction.
 */
export type PredictedVerdict = Pick<
  Verdict,
  'outcome' | 'kind' | 'mode' | 'errno' | 'message' | 'dataStart' | 'dataSize'
>;

/** The kernel's deciding message, in the validator's terms (from a verdict or a stored observation). */
export function kernelDecidingMessage(k: Pick<KernelVerdict, 'outcome' | 'message' | 'messages'>): string | null {
  expectFields(k, 'k', { outcome: 'string', messages: 'array' });
  if (k.message !== null) expectString(k.message, 'message');
  if (k.outcome === 'claimed') return k.messages.find((m) => TRUNCATED.test(m)) ?? null;
  if (k.outcome === 'crashed') return k.message;
  if (k.outcome === 'refused') return k.message === null || GENERIC_PROBE_FAILURE.test(k.message) ? null : k.message;
  return null;
}

/** An oops's headline without its addresses: what a predicted crash and an observed one must share. */
export const crashHeadline = (m: string): string =>
  m.replace(/^kernel crash(ed)?: /, '').replace(/ (for address|at|\().*$/, '');

/** The differences between the kernel's verdict and the validator's, one line each (empty: they agree). */
export function compareVerdicts(k: KernelVerdict, v: PredictedVerdict): string[] {
  expectOptions(k, 'k');
  expectOptions(v, 'v');
  const d: string[] = [];
  const show = (x: unknown): string => (x === null ? 'null' : typeof x === 'bigint' ? hex(x) : JSON.stringify(x));
  const eq = (name: string, kv: unknown, vv: unknown): void => {
    if (kv !== vv) d.push(`${name}: kernel ${show(kv)} / validator ${show(vv)}`);
  };
  eq('outcome', k.outcome, v.outcome);
  eq('errno', k.errno, v.errno);
  const km = kernelDecidingMessage(k);
  if (km !== null && k.outcome === 'crashed') {
    if (v.message === null || !v.message.startsWith('kernel crash: ') || crashHeadline(km) !== crashHeadline(v.message))
      d.push(`message: kernel ${show(km)} / validator ${show(v.message)}`);
  } else eq('message', km, v.message);
  eq('data_start', k.dataStart, v.dataStart);
  eq('data_size', k.dataSize, v.dataSize);
  if (k.outcome === 'claimed' && v.outcome === 'claimed') {
    eq('kind', k.kind, v.kind);
    eq('mode', k.mode, v.mode);
  }
  return d;
}
