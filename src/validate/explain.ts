/**
 * A picture of the namespace: which byte ranges are the info-block, the
 * metadata reserve, the memmap (mode PMEM: npfns x page_struct_size),
 * start_pad, the data area and end_trunc. Regions come from cutting the
 * namespace at every boundary and naming each piece by what covers it.
 */
import { findBlocks } from '../format/head';
import { signatureText } from '../format/pfn';
import { expectNamespace, type CheckOptions, type Verdict } from './check';
import { gateFields, geometryOf } from './geometry';
import { knowsMinor4, reserveBytes } from './history';
import { archParams } from './arch';
import { expectBytes, expectFields, expectOptions } from '../format/guard';

/** One byte range of the namespace, `start` inclusive and `end` exclusive, from the namespace base. */
export interface Region {
  start: bigint;
  end: bigint;
  size: bigint;
  kind: 'head' | 'info-block' | 'start-pad' | 'reserve' | 'memmap' | 'slack' | 'data' | 'end-trunc' | 'raw';
  label: string;
}

interface Span {
  start: bigint;
  end: bigint;
  kind: Region['kind'];
  label: string;
}

/**
 * The namespace cut into named byte ranges (from the namespace base), as the verdict `v` of `head` reads
 * it. `toJson` (src/format/json.ts) gives the regions' snake_case JSON.
 */
export function explainLayout(head: Uint8Array, v: Verdict, o: CheckOptions): Region[] {
  expectBytes(head, 'head');
  expectOptions(v, 'v');
  expectFields(o, 'o', { nsSize: 'bigint' });
  expectNamespace(o);
  const size = o.nsSize;
  const pfn = findBlocks(head).find((b) => b.kind === 'pfn' || b.kind === 'dax');
  if (pfn === undefined || pfn.kind === 'btt') {
    return [
      {
        start: 0n,
        end: size,
        size,
        kind: 'raw',
        label: v.kind === 'btt' ? 'BTT namespace (arena layout not drawn)' : 'raw namespace: no pfn/dax info-block',
      },
    ];
  }
  const f = pfn.pfn.fields;
  const arch = archParams(o.arch);
  const version = v.kernel;
  const e = gateFields(f, { pageSize: arch.pageSize, knowsMinor4: knowsMinor4(version) });
  const g = geometryOf({ fields: f, effective: e, base: o.nsBase ?? 0n, size, meaning: v.meaning ?? 'legacy' });
  const { startPad, dataStart } = { startPad: g.startPad, dataStart: g.dataStart };
  const reserve = reserveBytes(version, arch.pageSize, pfn.pfn.kind);
  const dataEnd = size - g.endTrunc;
  const npfns = dataEnd > dataStart ? (dataEnd - dataStart) / arch.pageSize : 0n;
  const memmapEnd = startPad + reserve + (f.mode === 2 ? npfns * e.pageStructSize : 0n);
  // Highest priority first: a piece takes the first span that covers it.
  const spans: Span[] = [
    {
      start: 4096n,
      end: 8192n,
      kind: 'info-block',
      label: `info-block ${signatureText(f.signature)} v${f.versionMajor}.${f.versionMinor}`,
    },
    { start: 0n, end: 4096n, kind: 'head', label: 'first 4 KiB (not read by pfn/dax; BTT copy slot)' },
    { start: 0n, end: startPad, kind: 'start-pad', label: 'start_pad (below the aligned map base)' },
    { start: dataEnd, end: size, kind: 'end-trunc', label: 'end_trunc (past the aligned end)' },
    { start: startPad, end: startPad + reserve, kind: 'reserve', label: 'metadata reserve' },
    {
      start: startPad + reserve,
      end: memmapEnd,
      kind: 'memmap',
      label: `memmap: ${npfns} pages x ${e.pageStructSize} B`,
    },
    {
      start: dataStart,
      end: dataEnd,
      kind: 'data',
      label: `data (${v.outcome === 'claimed' ? 'as the kernel maps it' : `would start here; ${v.outcome}`})`,
    },
    { start: startPad, end: dataStart, kind: 'slack', label: 'alignment slack before the data' },
  ];
  const cuts = new Set<bigint>([0n, size]);
  for (const s of spans) for (const x of [s.start, s.end]) if (x > 0n && x < size) cuts.add(x);
  const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const regions: Region[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as bigint;
    const b = points[i + 1] as bigint;
    const s = spans.find((sp) => sp.start <= a && b <= sp.end && sp.start < sp.end);
    const kind = s?.kind ?? 'raw';
    const label = s?.label ?? 'unused';
    const last = regions.at(-1);
    if (last !== undefined && last.kind === kind && last.label === label && last.end === a) {
      last.end = b;
      last.size = b - last.start;
    } else regions.push({ start: a, end: b, size: b - a, kind, label });
  }
  return regions;
}
