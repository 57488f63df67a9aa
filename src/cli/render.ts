/**
 * Everything the CLI shows of a verdict, in one place: the readable verdict
 * (a verdict line, the deciding rule with its numbers, hazards), the
 * side-by-side table of `check --kernels`, the errno names, and the
 * namespace drawings of `explain` (ASCII and SVG) over the regions
 * `explainLayout` (src/validate/explain.ts) computes.
 */
import { escapeText } from '../format/escape';
import { hex, humanSize } from '../format/units';
import type { Hazard, Verdict } from '../validate/check';
import type { DaxVerdict } from '../validate/dax-verdict';
import { commandLine, type CommandContext } from './hints';
import type { Region } from '../validate/explain';
import type { BaseFit } from '../validate/geometry';
import type { KernelsReport } from '../validate/check-kernels';
import type { KernelCheckSpec, KernelVerdict } from '../kernel/index';
import { expectArray, expectBoolean, expectFields, expectNumber, expectOptions, expectString } from '../format/guard';

const ERRNO_NAMES: Record<number, string> = {
  95: 'EOPNOTSUPP',
  22: 'EINVAL',
  16: 'EBUSY',
  6: 'ENXIO',
  12: 'ENOMEM',
  19: 'ENODEV',
};

export function errnoName(errno: number): string {
  expectNumber(errno, 'errno');
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/**
 * The readable verdict on `file`. A hazard's repair is printed as a complete `infoblock` command on `file`
 * that carries `ctx.carry` (the placement options as the user gave them; default: the verdict's base).
 */
export function renderVerdict(file: string, v: Verdict, baseGiven: boolean, ctx?: CommandContext): string {
  expectString(file, 'file');
  expectOptions(v, 'v');
  expectBoolean(baseGiven, 'baseGiven');
  expectOptions(ctx, 'ctx', true);
  const lines: string[] = [];
  const lead = daxLead(v);
  if (lead !== null) lines.push(lead);
  const what = v.kind === null ? '' : ` as ${v.kind === 'pfn' ? 'fsdax' : v.kind === 'dax' ? 'devdax' : 'btt'}`;
  const failed = v.rules.find((r) => r.id === v.failedRule);
  if (v.outcome === 'claimed') {
    lines.push(
      `${escapeText(file)}: CLAIMED ` +
        `by ${v.profile}${what}${v.mode === null ? '' : ` (mode ${v.mode}, ${v.meaning ?? 'legacy'} meaning)`}`,
    );
    if (v.dataStart !== null && v.dataSize !== null) {
      lines.push(
        `  data: ${hex(v.dataStart)} .. ${hex(v.dataStart + v.dataSize)} (${humanSize(v.dataSize)}) ` +
          `from the namespace base`,
      );
      lines.push(
        `  map_base ${hex(v.mapBase ?? 0n)}, map_offset ${hex(v.mapOffset ?? 0n)}, align ${hex(v.align ?? 0n)}`,
      );
    }
  } else if (v.outcome === 'crashed') {
    lines.push(`${escapeText(file)}: CRASHES ${v.profile}${what}: the kernel oopses while it sets the namespace up`);
    if (v.message !== null) lines.push(`  kernel says: "${escapeText(v.message)}"`);
  } else if (v.outcome === 'refused') {
    lines.push(
      `${escapeText(file)}: REFUSED by ${v.profile}${what} ` +
        `(${errnoName(v.errno ?? 0)}, -${v.errno ?? '?'}): the probe ` +
        `fails, no device`,
    );
    if (v.message !== null) lines.push(`  kernel says: "${escapeText(v.message)}"`);
  } else {
    lines.push(
      `${escapeText(file)}: RAW under ${v.profile}: ` +
        (v.errno === null
          ? 'not an info-block, the namespace stays a plain disk'
          : `validation failed (${errnoName(v.errno)}) and this kernel leaves the namespace raw`),
    );
    if (v.message !== null) lines.push(`  kernel says: "${escapeText(v.message)}"`);
  }
  if (failed !== undefined) lines.push(`  rule ${failed.id} ${failed.name}: ${failed.detail}`);
  for (const m of v.messages) if (m !== v.message) lines.push(`  kernel also says: "${escapeText(m)}"`);
  lines.push(
    `  namespace: ${humanSize(v.nsSize)} ` +
      `at ${hex(v.nsBase)}${baseGiven ? '' : ' (assumed: an aligned base; give --ns-base for the real address)'}`,
  );
  lines.push(`  kernel: ${basisLine(v)}`);
  if (v.dax !== undefined) lines.push(...daxLines(v.dax));
  lines.push(...hazardLines(v.hazards, ctx ?? { target: file, carry: { nsBase: hex(v.nsBase) } }));
  return lines.join('\n');
}

/**
 * Why a namespace needs its real base: the bases the block's start_pad fits, and where to find the base
 * (the README's "Finding the namespace base").
 */
export function baseConflictLines(fit: BaseFit): string[] {
  return [
    `  start_pad ${hex(fit.modulus - fit.residue)}: the kernel pads a namespace's base up to a ` +
      `${hex(fit.modulus)} boundary, so this block was written for a base ${hex(fit.residue)} past one`,
    `  bases that fit: ${hex(fit.residue)} + k * ${hex(fit.modulus)} (e.g. ${hex(fit.example)}); give ` +
      '--ns-base ADDR',
    '  the base: QEMU -device nvdimm addr=, /sys/bus/nd/devices/namespaceX.Y/resource, ndctl list -N, ' +
      '/proc/iomem (README: "Finding the namespace base")',
  ];
}

/**
 * The line `check` leads with when a DAX mount would not be consistent:
 * `DAX: MISPLACED on linux-6.1: mmap sees data 0x100000 bytes below read(2); ...`.
 */
export function daxLead(v: Verdict): string | null {
  if (v.dax === undefined || v.dax.outcome === 'consistent') return null;
  return `DAX: ${v.dax.outcome.toUpperCase()} on ${v.profile}: ${v.dax.message}`;
}

/** A short DAX cell: consistent, refused, misplaced -0x100000, crashes. */
export function daxCell(d: DaxVerdict | undefined): string {
  if (d === undefined) return '-';
  return d.outcome === 'misplaced' || d.outcome === 'crashes' ? `${d.outcome} -${hex(d.shift)}` : d.outcome;
}

const FS_WORDS: Record<DaxVerdict['filesystems']['ext4'], string> = {
  dax: 'DAX',
  'mount-fails': 'mount fails',
  'mounts-without-dax': 'no DAX',
  'not-mountable': '-',
};

/** The verdict's DAX lines: outcome, where read(2) and mmap find page 0, the filesystems, what to do. */
function daxLines(d: DaxVerdict): string[] {
  const basis = d.basis === 'observed' ? 'observed on a booted kernel' : 'from the kernel source';
  const lines =
    d.filesystems.ext4 === 'not-mountable'
      ? [`  dax: ${d.outcome} (${basis}); /dev/daxX.Y maps data page 0 at ${hex(d.mmapAt)}`]
      : [
          `  dax: ${d.outcome} (${basis}); read(2) finds data page 0 at ${hex(d.readAt)}, ` +
            `a DAX mmap at ${hex(d.mmapAt)}`,
        ];
  if (d.filesystems.ext4 !== 'not-mountable') {
    lines.push(
      `  dax mount: ext4 ${FS_WORDS[d.filesystems.ext4]}, xfs ${FS_WORDS[d.filesystems.xfs]}, ` +
        `ext2 ${FS_WORDS[d.filesystems.ext2]}`,
    );
  }
  for (const r of d.crashes) lines.push(`  dax oops: device ${hex(r.start)} .. ${hex(r.end)}`);
  if (d.outcome === 'misplaced' || d.outcome === 'crashes') {
    lines.push(
      '  dax: mount it without DAX (no dax option, or dax=never), or give it start_pad 0 without moving data ' +
        '(realign a labelled namespace, rebase a label-less one); --no-dax states that it is never mounted with DAX',
    );
  }
  return lines;
}

/** One line per hazard, then each distinct repair once, as a command that works when pasted. */
function hazardLines(hazards: readonly Hazard[], ctx: CommandContext): string[] {
  const lines = hazards.map(
    (h) => `  HAZARD (${h.kind}${h.profile === null ? '' : `, ${h.profile}`}): ${escapeText(h.message)}`,
  );
  const fixes = new Set<string>();
  for (const h of hazards) if (h.fix !== undefined) fixes.add(commandLine(h.fix.operation, h.fix.params, ctx));
  for (const c of fixes) lines.push(`  repair: ${c}`);
  return lines;
}

/** Where a verdict's rules come from: a booted kernel, or the kernel's history only. */
function basisLine(v: Verdict): string {
  if (v.profile === 'map')
    return 'the map convention (this project), built on the newest kernel: not a kernel that exists';
  return v.observed
    ? `Linux ${v.kernel}, observed on a booted kernel (x86-64)`
    : `Linux ${v.kernel}, interpolated from source, not observed`;
}

const cell = (v: Verdict): [string, string, string, string] => {
  const outcome =
    v.outcome === 'claimed'
      ? `claimed${v.kind === null ? '' : ` ${v.kind === 'dax' ? 'devdax' : v.kind === 'pfn' ? 'fsdax' : 'btt'}`}`
      : v.outcome;
  const errno = v.errno === null ? '-' : `-${v.errno} ${errnoName(v.errno)}`;
  const data = v.dataStart === null || v.dataSize === null ? '-' : `${hex(v.dataStart)} +${humanSize(v.dataSize)}`;
  return [outcome, errno, data, escapeText(v.message ?? '')];
};

/** `check --kernels`: one row per kernel, then every hazard between neighbours. */
export function renderKernels(
  file: string,
  r: KernelsReport,
  ctx?: CommandContext,
  preamble: readonly string[] = [],
): string {
  expectString(file, 'file');
  expectFields(r, 'r', {
    kernels: 'array',
    verdicts: 'object',
    hazards: 'array',
    blockHazards: 'array',
    agree: 'boolean',
  });
  expectOptions(ctx, 'ctx', true);
  if (preamble !== undefined) expectArray(preamble, 'preamble');
  const head = ['kernel', 'basis', 'outcome', 'errno', 'data', 'dax', 'kernel says'];
  const rows = r.kernels.map((k) => {
    const v = r.verdicts[k] as Verdict;
    const [outcome, errno, data, says] = cell(v);
    const basis = v.profile === 'map' ? 'convention' : v.observed ? 'observed' : 'source';
    return [k, basis, outcome, errno, data, daxCell(v.dax), says];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]): string =>
    `  ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const title = r.agree
    ? `every kernel claims it at the same place${r.hazards.length > 0 ? `; ${r.hazards.length} DAX hazard(s)` : ''}`
    : `${r.hazards.length} upgrade hazard(s)`;
  const block = r.blockHazards.length === 0 ? '' : `, ${r.blockHazards.length} hazard(s) in the block`;
  const lines = [`${escapeText(file)}: ${title}${block}`, ...preamble, fmt(head), ...rows.map(fmt)];
  for (const h of r.hazards) lines.push(`  HAZARD (${h.kind}, ${h.from} -> ${h.to}): ${escapeText(h.message)}`);
  lines.push(...hazardLines(r.blockHazards, ctx ?? { target: file, carry: {} }));
  if (rows.some((row) => row[1] === 'source'))
    lines.push('  basis "source": interpolated from source, not observed on a booted kernel');
  return lines.join('\n');
}

export function layoutAscii(file: string, regions: readonly Region[], v: Verdict): string {
  expectString(file, 'file');
  expectArray(regions, 'regions');
  expectOptions(v, 'v');
  // As wide as the longest label (at least 44 columns): a label is never cut.
  const width = Math.max(44, ...regions.map((r) => r.label.length + 2));
  const rule = `  +${'-'.repeat(width)}+`;
  const lines = [
    `${escapeText(file)}: namespace of ${humanSize(v.nsSize)} ` +
      `at ${hex(v.nsBase)}; ${v.profile}: ${v.outcome}${v.message === null ? '' : ` ("${escapeText(v.message)}")`}`,
  ];
  for (const r of regions) {
    lines.push(`${rule} ${hex(r.start)}`);
    lines.push(`  | ${r.label.padEnd(width - 2)} | ${humanSize(r.size)}`);
  }
  lines.push(`${rule} ${hex(v.nsSize)}`);
  lines.push(...daxMarks(v));
  return lines.join('\n');
}

/** Where read(2) and a DAX mmap find data page 0 (namespace offsets), when the verdict has a DAX verdict. */
function daxMarks(v: Verdict): string[] {
  const d = v.dax;
  if (d === undefined || d.filesystems.ext4 === 'not-mountable') return [];
  const same = d.mmapAt === d.readAt;
  return [
    `  read(2) finds data page 0 at ${hex(d.readAt)}`,
    `  a DAX mmap finds it at ${hex(d.mmapAt)}` +
      (same ? ` (DAX ${d.outcome})` : `: ${hex(d.shift)} lower, DAX ${d.outcome.toUpperCase()} on ${v.profile}`),
  ];
}

const COLORS: Record<Region['kind'], string> = {
  head: '#d9d9d9',
  'info-block': '#f4a261',
  'start-pad': '#bdbdbd',
  reserve: '#e9c46a',
  memmap: '#8ab17d',
  slack: '#eeeeee',
  data: '#90caf9',
  'end-trunc': '#bdbdbd',
  raw: '#90caf9',
};

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The same picture as SVG: one box per region, heights on a log scale so 4 KiB and 1 TiB both show. */
export function layoutSvg(file: string, regions: readonly Region[], v: Verdict): string {
  expectString(file, 'file');
  expectArray(regions, 'regions');
  expectOptions(v, 'v');
  const heights = regions.map((r) => 28 + Math.round(6 * Math.log2(Math.max(1, Number(r.size) / 4096))));
  const total = heights.reduce((a, b) => a + b, 0);
  const h = total + 70 + (v.dax === undefined ? 0 : 36);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${h}" font-family="monospace" font-size="12">`,
    `<text x="10" y="20" font-size="14">` +
      `${esc(`${escapeText(file)}: ${humanSize(v.nsSize)} at ${hex(v.nsBase)}, ${v.profile}: ${v.outcome}`)}</text>`,
  ];
  let y = 40;
  regions.forEach((r, i) => {
    const hh = heights[i] ?? 28;
    parts.push(`<rect x="130" y="${y}" width="330" height="${hh}" fill="${COLORS[r.kind]}" stroke="#333"/>`);
    parts.push(`<text x="125" y="${y + 12}" text-anchor="end">${esc(hex(r.start))}</text>`);
    parts.push(
      `<text x="140" y="${y + hh / 2 + 4}">${esc(r.label.length > 44 ? `${r.label.slice(0, 41)}...` : r.label)}</text>`,
    );
    parts.push(
      `<text x="470" y="${y + hh / 2 + 4}">${esc(`${humanSize(r.size)}  [${hex(r.start)}, ${hex(r.end)})`)}</text>`,
    );
    y += hh;
  });
  parts.push(`<text x="125" y="${y + 4}" text-anchor="end">${esc(hex(v.nsSize))}</text>`);
  daxMarks(v).forEach((line, i) => parts.push(`<text x="10" y="${y + 24 + 16 * i}">${esc(line.trim())}</text>`));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One readable line per kernel-check verdict (errno names from the one table above). */
export function formatKernelVerdict(spec: KernelCheckSpec, v: KernelVerdict): string {
  const head = `${spec.path}@${hex(spec.base)}: ${v.outcome}`;
  const parts: string[] = [];
  if (v.kind !== null) parts.push(v.kind);
  if (v.mode !== null) parts.push(`mode=${v.mode}`);
  if (v.errno !== null) {
    const name = ERRNO_NAMES[v.errno];
    parts.push(`errno=${v.errno}${name !== undefined ? ` (${name})` : ''}`);
  }
  if (v.dataStart !== null) parts.push(`data_start=${hex(v.dataStart)}`);
  if (v.dataSize !== null) parts.push(`data_size=${hex(v.dataSize)}`);
  const msg = v.message !== null ? `: ${escapeText(v.message)}` : '';
  return `${head}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}${msg}`;
}
