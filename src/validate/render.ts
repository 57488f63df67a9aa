/** Readable verdicts: a verdict line, the deciding rule with its numbers, hazards. */
import { hex, humanSize } from '../format/units';
import type { Verdict } from './check';

const ERRNO_NAMES: Record<number, string> = { 95: 'EOPNOTSUPP', 22: 'EINVAL', 16: 'EBUSY', 6: 'ENXIO' };

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
  for (const h of v.hazards) lines.push(`  HAZARD (${h.kind}${h.profile === null ? '' : `, ${h.profile}`}): ${h.message}`);
  return lines.join('\n');
}
