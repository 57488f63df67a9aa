/**
 * Kernel versions as the validator's profiles: parsing kernel specs
 * (4.19 .. the newest known, X.Y or X.Y.Z, `linux-X.Y`, `linux-latest`,
 * `linux-4.x`, `map`), ordering them, and which of them were booted under
 * QEMU (their rule behaviour is observed; every other version's is
 * interpolated from reading the kernel's history).
 */
import { InvalidArgumentError } from '../format/errors';
import { expectString } from '../format/guard';

/** A kernel release series as numbers (the patch level never changes the info-block rules we model). */
export interface KernelSeries {
  major: number;
  minor: number;
}

/** Every series from 4.19 to the newest known, in order. */
export const KNOWN_SERIES: readonly string[] = [
  '4.19',
  '4.20',
  ...Array.from({ length: 20 }, (_, i) => `5.${i}`),
  ...Array.from({ length: 20 }, (_, i) => `6.${i}`),
  '7.0',
  '7.1',
  '7.2',
];
export const OLDEST_KERNEL = '4.19';
export const NEWEST_KERNEL = '7.2';
/**
 * The Debian kernels the project boots under QEMU (x86-64): their behaviour is observed. The one list: the
 * harness's `KERNEL_VERSIONS` (src/kernel/kernels.ts) is this.
 */
export const BOOTED_KERNELS = ['5.10', '6.1', '6.12', '7.2'] as const;
/** The kernel every operation judges with, and the harness boots, unless told otherwise. */
export const DEFAULT_KERNEL = '6.1' satisfies (typeof BOOTED_KERNELS)[number];
/** {@link DEFAULT_KERNEL} as a profile id: the default of every `kernel` option. */
export const DEFAULT_PROFILE = `linux-${DEFAULT_KERNEL}` as const;

const isBooted = (series: string): boolean => (BOOTED_KERNELS as readonly string[]).includes(series);

/** A resolved profile: a kernel version, or the project's map-meaning convention. */
export interface ResolvedKernel {
  /** Canonical profile name: `linux-X.Y` or `map`. */
  id: string;
  /** The series whose rules apply (the map convention builds on the newest). */
  version: string;
  /** True for the map convention: major 2 means the map meaning, majors above 2 are refused. */
  mapConvention: boolean;
  /** Booted on this machine's harness (x86-64), so its verdicts can be observed. */
  observed: boolean;
}

export const KERNEL_FORMS =
  `a kernel version ${OLDEST_KERNEL}..${NEWEST_KERNEL} (X.Y or X.Y.Z, optionally as linux-X.Y), ` +
  'linux-latest, linux-4.x or map';

export function parseVersion(s: string): KernelSeries {
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) throw new InvalidArgumentError(`malformed kernel version '${s}'`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Order of two series (negative: a is older). */
export function compareSeries(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major !== y.major ? x.major - y.major : x.minor - y.minor;
}

/** True when `v` is at least `since` (and, when given, at most `until`). */
export function inRange(v: string, since: string, until: string | null = null): boolean {
  return compareSeries(v, since) >= 0 && (until === null || compareSeries(v, until) <= 0);
}

/** The error for a kernel spec we cannot resolve; `nearest`: the known series closest to it, passed as a hint. */
function unknown(spec: string, why: string, nearest?: string): InvalidArgumentError {
  const hint = nearest === undefined ? {} : { hint: { pass: { kernel: nearest } } };
  return new InvalidArgumentError(`unknown kernel '${spec}' (${why}): use ${KERNEL_FORMS}`, hint);
}

/**
 * One kernel spec to a profile; bad or unknown values are InvalidArgumentError (code 'invalid-argument').
 * A version older or newer than every known one carries the nearest as its hint (`{ pass: { kernel: '7.2' } }`).
 */
export function resolveKernel(spec: string): ResolvedKernel {
  expectString(spec, 'spec');
  if (typeof spec !== 'string') {
    throw new InvalidArgumentError(`kernel must be a string, got ${typeof spec}: use ${KERNEL_FORMS}`);
  }
  const s = spec.trim().toLowerCase();
  if (s === 'map') return { id: 'map', version: NEWEST_KERNEL, mapConvention: true, observed: false };
  if (s === 'linux-latest' || s === 'latest') return named(NEWEST_KERNEL);
  if (s === 'linux-4.x') return named(OLDEST_KERNEL);
  const m = /^(?:linux-)?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?$/.exec(s);
  if (m === null) throw unknown(spec, 'not a version');
  const series = `${Number(m[1])}.${Number(m[2])}`;
  if (!KNOWN_SERIES.includes(series)) {
    if (compareSeries(series, OLDEST_KERNEL) < 0) throw unknown(spec, `older than ${OLDEST_KERNEL}`, OLDEST_KERNEL);
    if (compareSeries(series, NEWEST_KERNEL) > 0)
      throw unknown(spec, `newer than ${NEWEST_KERNEL}, the newest known`, NEWEST_KERNEL);
    throw unknown(spec, 'no such release');
  }
  return named(series);
}

function named(series: string): ResolvedKernel {
  return { id: `linux-${series}`, version: series, mapConvention: false, observed: isBooted(series) };
}

/**
 * A kernel list: comma-separated kernel specs, or `all` for the booted
 * kernels. Duplicates (e.g. 6.1 and linux-6.1) are kept once, in the given order.
 * With `param` (the caller's parameter name for the list, as `kernels`), an
 * entry older or newer than every known version gives the hint to pass the
 * list with that entry replaced by the nearest known one.
 */
export function resolveKernels(spec: string, param?: string): ResolvedKernel[] {
  expectString(spec, 'spec');
  if (param !== undefined) expectString(param, 'param');
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new InvalidArgumentError(`empty kernel list: use 'all' or a comma-separated list of ${KERNEL_FORMS}`);
  }
  const parts = spec.trim().toLowerCase() === 'all' ? [...BOOTED_KERNELS] : spec.split(',').map((p) => p.trim());
  const out: ResolvedKernel[] = [];
  for (const p of parts) {
    if (p === '') throw new InvalidArgumentError(`empty entry in the kernel list '${spec}'`);
    const k = resolveListed(p, parts, param);
    if (!out.some((o) => o.id === k.id)) out.push(k);
  }
  return out;
}

/** One entry of a kernel list: its error's hint, if any, names the whole list with the entry replaced. */
function resolveListed(entry: string, parts: readonly string[], param: string | undefined): ResolvedKernel {
  try {
    return resolveKernel(entry);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError) || e.hint?.pass?.['kernel'] === undefined) throw e;
    const nearest = e.hint.pass['kernel'];
    const hint =
      param === undefined
        ? {}
        : { hint: { pass: { [param]: parts.map((x) => (x === entry ? nearest : x)).join(',') } } };
    throw new InvalidArgumentError(e.message, hint);
  }
}
