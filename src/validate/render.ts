/** Readable verdicts: a verdict line, the deciding rule with its numbers, hazards. */
import { hex, humanSize } from '../format/units';
import type { Verdict } from './check';
import type { KernelsReport } from './kernels';

const ERRNO_NAMES: Record<number, string> = { 95: 'EOPNOTSUPP', 22: 'EINVAL', 16: 'EBUSY', 6: 'ENXIO', 12: 'ENOMEM', 19: 'ENODEV' };

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

export function renderVerdict(file: string, v: Verdict, baseGiven: boolean): string {
  const lines: string[] = [];
  const what = v.kind === null ? '' : ` as ${v.kind === 'pfn' ? 'fsdax' : v.kind === 'dax' ? 'devdax' : 'btt'}`;
  const failed = v.rules.find((r) => r.id === v.failed_rule);
  if (v.outcome === 'claimed') {
    lines.push(`${file}: CLAIMED by ${v.profile}${what}${v.mode === null ? '' : ` (mode ${v.mode}, ${v.meaning ?? 'legacy'} meaning)`}`);
    if (v.data_start !== null && v.data_size !== null) {
      lines.push(`  data: ${hex(v.data_start)} .. ${hex(v.data_start + v.data_size)} (${humanSize(v.data_size)}) from the namespace base`);
      lines.push(`  map_base ${hex(v.map_base ?? 0n)}, map_offset ${hex(v.map_offset ?? 0n)}, align ${hex(v.align ?? 0n)}`);
    }
  } else if (v.outcome === 'refused') {
    lines.push(`${file}: REFUSED by ${v.profile}${what} (${errnoName(v.errno ?? 0)}, -${v.errno ?? '?'}): the probe fails, no device`);
    if (v.message !== null) lines.push(`  kernel says: "${v.message}"`);
  } else {
    lines.push(`${file}: RAW under ${v.profile}: ${v.errno === null ? 'not an info-block, the namespace stays a plain disk' : `validation failed (${errnoName(v.errno)}) and this kernel leaves the namespace raw`}`);
    if (v.message !== null) lines.push(`  kernel says: "${v.message}"`);
  }
  if (failed !== undefined) lines.push(`  rule ${failed.id} ${failed.name}: ${failed.detail}`);
  for (const m of v.messages) if (m !== v.message) lines.push(`  kernel also says: "${m}"`);
  lines.push(`  namespace: ${humanSize(v.ns_size)} at ${hex(v.ns_base)}${baseGiven ? '' : ' (assumed: an aligned base; give --ns-base for the real address)'}`);
  lines.push(`  kernel: ${basisLine(v)}`);
  for (const h of v.hazards) lines.push(`  HAZARD (${h.kind}${h.profile === null ? '' : `, ${h.profile}`}): ${h.message}`);
  return lines.join('\n');
}

/** Where a verdict's rules come from: a booted kernel, or the kernel's history only. */
function basisLine(v: Verdict): string {
  if (v.profile === 'map') return 'the map convention (this project), built on the newest kernel: not a kernel that exists';
  return v.observed ? `Linux ${v.kernel}, observed on a booted kernel (x86-64)` : `Linux ${v.kernel}, interpolated from source, not observed`;
}

const cell = (v: Verdict): [string, string, string, string] => {
  const outcome = v.outcome === 'claimed' ? `claimed${v.kind === null ? '' : ` ${v.kind === 'dax' ? 'devdax' : v.kind === 'pfn' ? 'fsdax' : 'btt'}`}` : v.outcome;
  const errno = v.errno === null ? '-' : `-${v.errno} ${errnoName(v.errno)}`;
  const data = v.data_start === null || v.data_size === null ? '-' : `${hex(v.data_start)} +${humanSize(v.data_size)}`;
  return [outcome, errno, data, v.message ?? ''];
};

/** `check --kernels`: one row per kernel, then every hazard between neighbours. */
export function renderKernels(file: string, r: KernelsReport): string {
  const head = ['kernel', 'basis', 'outcome', 'errno', 'data', 'kernel says'];
  const rows = r.kernels.map((k) => {
    const v = r.verdicts[k] as Verdict;
    return [k, v.profile === 'map' ? 'convention' : v.observed ? 'observed' : 'source', ...cell(v)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]): string => `  ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const lines = [`${file}: ${r.agree ? 'every kernel claims it at the same place' : `${r.hazards.length} upgrade hazard(s)`}`, fmt(head), ...rows.map(fmt)];
  for (const h of r.hazards) lines.push(`  HAZARD (${h.kind}, ${h.from} -> ${h.to}): ${h.message}`);
  if (rows.some((row) => row[1] === 'source')) lines.push('  basis "source": interpolated from source, not observed on a booted kernel');
  return lines.join('\n');
}
