/**
 * Observation → verdict: turns what the kernel showed (KernelObservation) into
 * the same shape the offline validator produces, so the two can be compared
 * field by field.
 *
 *   probe failed (errno N)           → refused, errno N, message = the kernel's reason
 *   pfn/dax/btt device bound to it   → claimed, kind/mode from sysfs, data from its resource/size
 *   pmem block device on namespace   → raw, data_start 0, data_size = namespace size
 *   nothing at all                   → refused, errno null, message "no device"
 */

import type { KernelMessage, KernelObservation } from './harness';

export interface KernelVerdict {
  outcome: 'claimed' | 'raw' | 'refused';
  kind: 'pfn' | 'dax' | 'btt' | null;
  mode: 'ram' | 'pmem' | null;
  /** Positive errno of the failed probe (95 EOPNOTSUPP, 22 EINVAL, ...), else null. */
  errno: number | null;
  /** The kernel's most telling line for this namespace, text after the device prefix. */
  message: string | null;
  /** Every kernel line for this namespace, text after the device prefix. */
  messages: string[];
  /** Bytes from the namespace base to the first data byte. */
  data_start: bigint | null;
  /** Bytes of data exposed. */
  data_size: bigint | null;
}

const GENERIC_PROBE_FAILURE = /probe of \S+ failed with error -\d+$/;
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

/** The line that explains the outcome: the first from a pfn/dax/btt device, else the first non-generic one, else the probe failure. */
function pickMessage(messages: readonly KernelMessage[]): KernelMessage | null {
  const fromPersonality = messages.find((m) => kindOfDevice(m.device) !== null);
  if (fromPersonality !== undefined) return fromPersonality;
  const specific = messages.find((m) => !GENERIC_PROBE_FAILURE.test(m.text));
  return specific ?? messages[0] ?? null;
}

/**
 * The verdict for one observation. `base` is the namespace base the caller
 * asked about; data_start is measured from the guest base the namespace really
 * had (observation.guestBase), which the harness keeps congruent to `base`.
 */
export function observationToVerdict(obs: KernelObservation, base: bigint): KernelVerdict {
  void base; // data_start is relative, so the (possibly relocated) guest base is the right origin
  const messages = obs.messages.map(textOf);
  const picked = pickMessage(obs.messages);
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
      data_start: null,
      data_size: null,
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
      data_start: obs.dataStart === null ? null : obs.dataStart - obs.guestBase,
      data_size: obs.dataSize,
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
      data_start: 0n,
      data_size: obs.blockDevice.size,
    };
  }
  return {
    outcome: 'refused',
    kind: obs.claim?.kind ?? kindOfDevice(picked?.device ?? null),
    mode: null,
    errno: null,
    message: message ?? (obs.region === null ? 'no region for this image' : 'no device'),
    messages,
    data_start: null,
    data_size: null,
  };
}
