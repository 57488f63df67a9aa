/**
 * Observation → verdict: turns what the kernel showed (KernelObservation) into
 * the same shape the offline validator produces, so the two can be compared
 * field by field.
 *
 *   probe failed (errno N)           → refused, errno N, message = the kernel's reason
 *   pfn/dax/btt device bound to it   → claimed, kind/mode from sysfs, data from its resource/size
 *   pmem block device on namespace   → raw, data_start 0, data_size = namespace size
 *   nothing at all                   → refused, errno null, message "no device"
 *   the guest kernel crashed on it   → crashed, errno null, message `kernel crashed: <BUG line>`
 */

import type { Verdict } from '../validate/check';
import type { KernelMessage, KernelObservation } from './harness';
import { expectBigint, expectOptions } from '../format/guard';

/**
 * The real kernel's verdict: the fields of the offline validator's Verdict
 * that a kernel shows (message: its most telling line for this namespace,
 * text after the device prefix; messages: all of them; errno positive).
 */
export type KernelVerdict = Pick<
  Verdict,
  'outcome' | 'kind' | 'mode' | 'errno' | 'message' | 'messages' | 'dataStart' | 'dataSize'
>;

// Both driver-core formats: "probe of X failed with error -N" (up to 6.1),
// "probe with driver D failed with error -N" (6.12 on).
const GENERIC_PROBE_FAILURE = /(?:probe of \S+|^probe with driver \S+) failed with error -\d+$/;
const DEVICE_KIND: [RegExp, 'pfn' | 'dax' | 'btt'][] = [
  [/^pfn\d/, 'pfn'],
  [/^dax\d/, 'dax'],
  [/^btt\d/, 'btt'],
];

function kindOfDevice(device: string | null): 'pfn' | 'dax' | 'btt' | null {
  if (device === null) return null;
  for (const [re, kind] of DEVICE_KIND) if (re.test(device)) return kind;
  return null;
}

function textOf(m: KernelMessage): string {
  return m.text;
}

/** Lines the kernel prints on success too: they never explain a refusal. */
const INFO_ONLY = /^number of pfns truncated from /;

/**
 * The line that explains the outcome: the first from a pfn/dax/btt device,
 * else the first non-generic one, else the probe failure. For a refusal,
 * informational lines are passed over (a devdax block can log the pfn
 * truncation and then fail its probe with -12).
 */
function pickMessage(messages: readonly KernelMessage[], refused: boolean): KernelMessage | null {
  const usable = refused ? messages.filter((m) => !INFO_ONLY.test(m.text)) : messages;
  const fromPersonality = usable.find((m) => kindOfDevice(m.device) !== null);
  if (fromPersonality !== undefined) return fromPersonality;
  const specific = usable.find((m) => !GENERIC_PROBE_FAILURE.test(m.text));
  return specific ?? usable[0] ?? messages[0] ?? null;
}

/**
 * The verdict for one observation. `base` is the namespace base the caller
 * asked about; data_start is measured from the guest base the namespace really
 * had (observation.guestBase), which the harness keeps congruent to `base`.
 */
export function observationToVerdict(obs: KernelObservation, base: bigint): KernelVerdict {
  expectOptions(obs, 'obs');
  expectBigint(base, 'base');
  void base; // data_start is relative, so the (possibly relocated) guest base is the right origin
  if (obs.crash !== null) {
    return {
      outcome: 'crashed',
      kind: null,
      mode: null,
      errno: null,
      message: `kernel crashed: ${obs.crash[0] ?? 'panic'}`,
      messages: [...obs.crash],
      dataStart: null,
      dataSize: null,
    };
  }
  const messages = obs.messages.map(textOf);
  const refused = obs.probeErrno !== null || obs.claim === null || obs.claim.driver === null;
  const picked = pickMessage(
    obs.messages,
    refused && !(obs.blockDevice !== null && obs.blockDevice.parent === obs.namespace),
  );
  const message = picked === null ? null : textOf(picked);
  const claimMode = (m: string | null): 'ram' | 'pmem' | null => (m === 'ram' || m === 'pmem' ? m : null);

  if (obs.probeErrno !== null) {
    return {
      outcome: 'refused',
      kind: obs.claim?.kind ?? kindOfDevice(picked?.device ?? null),
      mode: null,
      errno: obs.probeErrno,
      message,
      messages,
      dataStart: null,
      dataSize: null,
    };
  }
  if (obs.claim !== null && obs.claim.driver !== null) {
    return {
      outcome: 'claimed',
      kind: obs.claim.kind,
      mode: claimMode(obs.claim.mode),
      errno: null,
      message,
      messages,
      dataStart: obs.dataStart === null ? null : obs.dataStart - obs.guestBase,
      dataSize: obs.dataSize,
    };
  }
  if (obs.blockDevice !== null && obs.blockDevice.parent === obs.namespace) {
    return {
      outcome: 'raw',
      kind: null,
      mode: null,
      errno: null,
      message,
      messages,
      dataStart: 0n,
      dataSize: obs.blockDevice.size,
    };
  }
  return {
    outcome: 'refused',
    kind: obs.claim?.kind ?? kindOfDevice(picked?.device ?? null),
    mode: null,
    errno: null,
    message: message ?? (obs.region === null ? 'no region for this image' : 'no device'),
    messages,
    dataStart: null,
    dataSize: null,
  };
}
