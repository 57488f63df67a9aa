/**
 * Upgrade hazards: one head judged by several kernels side by side. Every
 * difference between two kernels next to each other in version order is a
 * hazard: a claim that a newer kernel refuses or leaves raw, a claim an
 * older kernel refuses (a downgrade or an older host), a claim whose data
 * start or size moves, or a refusal whose errno differs.
 */
import { hex } from '../format/units';
import { checkHead, expectNamespace, type CheckOptions, type Hazard, type Verdict } from './check';
import { daxIsHazard } from './dax-verdict';
import { compareSeries, resolveKernels, type ResolvedKernel } from './versions';
import { expectBytes, expectFields } from '../format/guard';

export interface KernelHazard {
  /**
   * dax-misplacement: both kernels claim the namespace, one refuses DAX on it (or maps it consistently) and
   * the other enables DAX and misplaces or crashes: the worst upgrade hazard, listed first.
   */
  kind: 'dax-misplacement' | 'refused-by-newer' | 'refused-by-older' | 'data-moved' | 'outcome-differs';
  from: string;
  to: string;
  message: string;
}

/**
 * One head under several kernels. camelCase with bigint byte quantities; `toJson` (src/format/json.ts)
 * gives its snake_case JSON (`verdicts` keyed by profile id, as `linux-6.1`).
 */
export interface KernelsReport {
  kernels: string[];
  verdicts: Record<string, Verdict>;
  hazards: KernelHazard[];
  /**
   * What the block itself poses, as `checkHead` reports it under each listed kernel (an ndctl -O block, a
   * map-meaning block an older kernel misreads, ...), each once, with its repair: the union of the verdicts'
   * `hazards`.
   */
  blockHazards: Hazard[];
  /** Every listed kernel claims the namespace with the same data start and size. */
  agree: boolean;
}

const where = (v: Verdict): string =>
  v.outcome === 'claimed'
    ? `claimed${v.dataStart === null ? '' : ` at ${hex(v.dataStart)} (${hex(v.dataSize ?? 0n)} bytes)`}`
    : v.outcome === 'crashed'
      ? `crashes the kernel${v.message === null ? '' : ` "${v.message}"`}`
      : v.outcome === 'refused'
        ? `refused${v.errno === null ? '' : ` (-${v.errno})`}${v.message === null ? '' : ` "${v.message}"`}`
        : `raw${v.errno === null ? '' : ` (validation -${v.errno} falls back to raw)`}`;

function pairHazard(a: ResolvedKernel, va: Verdict, b: ResolvedKernel, vb: Verdict): KernelHazard | null {
  const base = { from: a.id, to: b.id };
  if (va.outcome === 'claimed' && vb.outcome === 'claimed') {
    if (va.dataStart === vb.dataStart && va.dataSize === vb.dataSize) return null;
    const message = `${a.id} ${where(va)} but ${b.id} ${where(vb)}: the data moves on upgrade`;
    return { ...base, kind: 'data-moved', message };
  }
  if (va.outcome === 'claimed') {
    const message = `${a.id} ${where(va)}; ${b.id} ${where(vb)}: upgrading loses the device`;
    return { ...base, kind: 'refused-by-newer', message };
  }
  if (vb.outcome === 'claimed') {
    const who = b.mapConvention ? 'every kernel without the map convention' : 'an older kernel (or a downgrade)';
    const message = `${b.id} ${where(vb)}; ${a.id} ${where(va)}: ${who} loses the device`;
    return { ...base, kind: 'refused-by-older', message };
  }
  if (va.outcome === vb.outcome && va.errno === vb.errno) return null;
  return { ...base, kind: 'outcome-differs', message: `${a.id} ${where(va)}; ${b.id} ${where(vb)}` };
}

const daxWords = (v: Verdict): string =>
  v.dax === undefined
    ? 'no DAX'
    : v.dax.outcome === 'refused'
      ? 'refuses DAX'
      : v.dax.outcome === 'consistent'
        ? 'maps it consistently under DAX'
        : v.dax.outcome === 'crashes'
          ? 'oopses on a DAX mmap'
          : `misplaces DAX mmaps by ${hex(v.dax.shift)} bytes`;

/** Both claim; one kernel's DAX is safe and the other's misplaces or crashes. */
function daxHazard(a: ResolvedKernel, va: Verdict, b: ResolvedKernel, vb: Verdict): KernelHazard | null {
  if (va.outcome !== 'claimed' || vb.outcome !== 'claimed') return null;
  const ha = daxIsHazard(va.dax);
  const hb = daxIsHazard(vb.dax);
  if (ha === hb) return null;
  const [safe, bad, vs, vbad] = hb ? [a, b, va, vb] : [b, a, vb, va];
  const where = hb ? 'upgrading' : 'downgrading';
  const message =
    `${safe.id} ${daxWords(vs)} but ${bad.id} ${daxWords(vbad)}: ${where} turns a safe DAX mount into ` +
    `${vbad.dax?.outcome === 'crashes' ? 'a kernel oops' : 'silent corruption through mmap'}`;
  return { from: a.id, to: b.id, kind: 'dax-misplacement', message };
}

/** Order: kernel versions oldest first, the map convention last. */
function ordered(ks: ResolvedKernel[]): ResolvedKernel[] {
  const key = (k: ResolvedKernel): number => (k.mapConvention ? 1 : 0);
  return [...ks].sort((x, y) => key(x) - key(y) || compareSeries(x.version, y.version));
}

/** Judge `head` under every kernel of `spec` ('all', or a comma list). */
export function checkKernels(
  head: Uint8Array,
  o: Omit<CheckOptions, 'kernel'>,
  spec: string | readonly ResolvedKernel[],
): KernelsReport {
  expectBytes(head, 'head');
  expectFields(o, 'o', { nsSize: 'bigint' });
  expectNamespace(o);
  const ks = ordered(typeof spec === 'string' ? resolveKernels(spec) : [...spec]);
  const verdicts: Record<string, Verdict> = {};
  for (const k of ks) verdicts[k.id] = checkHead(head, { ...o, kernel: k.id });
  const blockHazards = new Map<string, Hazard>();
  for (const v of Object.values(verdicts))
    for (const h of v.hazards) blockHazards.set(`${h.kind}\0${h.profile ?? ''}\0${h.message}`, h);
  const hazards: KernelHazard[] = [];
  for (let i = 0; i + 1 < ks.length; i++) {
    const a = ks[i] as ResolvedKernel;
    const b = ks[i + 1] as ResolvedKernel;
    const h = pairHazard(a, verdicts[a.id] as Verdict, b, verdicts[b.id] as Verdict);
    if (h !== null) hazards.push(h);
    const d = daxHazard(a, verdicts[a.id] as Verdict, b, verdicts[b.id] as Verdict);
    if (d !== null) hazards.push(d);
  }
  // The DAX hazards first: they lose data silently.
  hazards.sort((x, y) => Number(y.kind === 'dax-misplacement') - Number(x.kind === 'dax-misplacement'));
  const vs = Object.values(verdicts);
  const first = vs[0];
  const same = (v: Verdict): boolean => v.dataStart === first?.dataStart && v.dataSize === first?.dataSize;
  const agree = first !== undefined && vs.every((v) => v.outcome === 'claimed' && same(v));
  return { kernels: ks.map((k) => k.id), verdicts, hazards, blockHazards: [...blockHazards.values()], agree };
}
