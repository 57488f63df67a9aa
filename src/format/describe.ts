/**
 * Readable text for people: a summary of each block found in a head, with
 * decoded names, human sizes, checksum state and the values a minor-gated
 * reader actually sees where they differ from the raw ones.
 */
import type { FoundBlock } from './head';
import { PFN_MODE, signatureText } from './pfn';
import { hex, humanSize } from './units';

const MODE_NAMES: Record<number, string> = {
  [PFN_MODE.none]: 'none',
  [PFN_MODE.ram]: 'ram (memmap in system RAM, map=mem)',
  [PFN_MODE.pmem]: 'pmem (memmap on the device, map=dev)',
};

const sized = (n: bigint | number): string => `${hex(n)} (${humanSize(BigInt(n))})`;

/** The readable summary `infoblock read` prints for one block found in `file`. */
export function describeBlock(file: string, b: FoundBlock): string {
  const lines: string[] = [];
  const check = b.checksumValid ? 'ok' : 'BAD';
  if (b.kind === 'btt') {
    const f = b.btt.fields;
    lines.push(
      `${file}: BTT arena info-block at ${b.offset}, version ${f.versionMajor}.${f.versionMinor}, checksum ${check}`,
    );
    lines.push(`  uuid ${f.uuid}  parent_uuid ${f.parentUuid}  flags ${hex(f.flags)}`);
    lines.push(
      `  external: ${f.externalNlba} x ${f.externalLbasize} B   internal: ${f.internalNlba} ` +
        `x ${f.internalLbasize} B   nfree ${f.nfree}   infosize ${f.infosize}`,
    );
    lines.push(
      `  nextoff ${sized(f.nextoff)}  dataoff ${sized(f.dataoff)}  mapoff ${sized(f.mapoff)}  ` +
        `logoff ${sized(f.logoff)}  info2off ${sized(f.info2off)}`,
    );
    if (!b.checksumValid) lines.push(`  checksum stored ${hex(f.checksum)}, computed ${hex(b.btt.computedChecksum)}`);
    return lines.join('\n');
  }
  const { fields: f, effective: e } = b.pfn;
  const what = b.kind === 'pfn' ? 'fsdax' : 'devdax';
  lines.push(
    `${file}: ${what} info-block (${signatureText(f.signature)}) at ${b.offset}, ` +
      `version ${f.versionMajor}.${f.versionMinor}${f.versionMajor >= 2 ? ' (map meaning)' : ''}, ` +
      `checksum ${check}`,
  );
  lines.push(`  uuid         ${f.uuid}`);
  lines.push(`  parent_uuid  ${f.parentUuid}`);
  lines.push(`  flags        ${hex(f.flags)}`);
  lines.push(`  mode         ${f.mode} ${MODE_NAMES[f.mode] ?? '(invalid)'}`);
  lines.push(`  dataoff      ${sized(f.dataoff)}`);
  lines.push(`  npfns        ${f.npfns} (${humanSize(f.npfns * 4096n)} of 4 KiB pages)`);
  const gated = (name: string, raw: number, eff: number, fmt: (n: number) => string): string =>
    `  ${name.padEnd(12)} ${fmt(raw)}` +
    (raw !== eff ? `  -> ${fmt(eff)} as read (version ${f.versionMajor}.${f.versionMinor} predates it)` : '');
  lines.push(gated('start_pad', f.startPad, e.startPad, sized));
  lines.push(gated('end_trunc', f.endTrunc, e.endTrunc, sized));
  lines.push(gated('align', f.align, e.align, sized));
  lines.push(gated('page_size', f.pageSize, e.pageSize, sized));
  lines.push(gated('page_struct', f.pageStructSize, e.pageStructSize, (n) => `${n} B`));
  if (!b.checksumValid) lines.push(`  checksum stored ${hex(f.checksum)}, computed ${hex(b.pfn.computedChecksum)}`);
  return lines.join('\n');
}
