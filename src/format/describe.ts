/**
 * Readable text for people: a summary of each block found in a head, with
 * decoded names, human sizes, checksum state and the values a minor-gated
 * reader actually sees where they differ from the raw ones. One line per
 * field of the block's table (PFN_FIELDS, BTT_FIELDS), in table order: the
 * signature, version and checksum are said in the first line instead.
 */
import type { FieldTable } from './struct';
import { BTT_FIELDS, type BttFields } from './btt';
import type { FoundBlock } from './head';
import { hex } from './int64';
import { PFN_FIELDS, PFN_MODE, signatureText, type EffectiveFields, type PfnFields } from './pfn';
import { humanSize } from './units';
import { expectOptions, expectString } from './guard';

const MODE_NAMES: Record<number, string> = {
  [PFN_MODE.none]: 'none',
  [PFN_MODE.ram]: 'ram (memmap in system RAM, map=mem)',
  [PFN_MODE.pmem]: 'pmem (memmap on the device, map=dev)',
};

const sized = (n: bigint): string => `${hex(n)} (${humanSize(n)})`;
const IN_HEADLINE = new Set(['signature', 'versionMajor', 'versionMinor', 'checksum']);

/** How a field's value reads, where it is not a plain decimal number or a uuid. */
type Shown<F> = { [K in keyof F]?: (v: F[K]) => string };

const PFN_SHOWN: Shown<PfnFields> = {
  flags: hex,
  mode: (m) => `${m} ${MODE_NAMES[m] ?? '(invalid)'}`,
  dataoff: sized,
  npfns: (n) => `${n} (${humanSize(n * 4096n)} of 4 KiB pages)`,
  startPad: sized,
  endTrunc: sized,
  align: sized,
  pageSize: sized,
  pageStructSize: (n) => `${n} B`,
};

const BTT_SHOWN: Shown<BttFields> = {
  flags: hex,
  externalLbasize: (n) => `${n} B`,
  internalLbasize: (n) => `${n} B`,
  infosize: (n) => `${n} B`,
  nextoff: sized,
  dataoff: sized,
  mapoff: sized,
  logoff: sized,
  info2off: sized,
};

function fieldLines<F extends object>(
  table: FieldTable,
  fields: F,
  shown: Shown<F>,
  asRead?: { effective: Partial<Record<string, bigint>>; version: string },
): string[] {
  const values = fields as Record<string, unknown>;
  const show = shown as Record<string, ((v: unknown) => string) | undefined>;
  const text = (name: string, v: unknown): string => show[name]?.(v) ?? String(v);
  return table
    .filter((f) => f.kind !== 'pad' && !IN_HEADLINE.has(f.name))
    .map((f) => {
      const raw = values[f.name];
      const eff = asRead?.effective[f.name];
      const gated =
        eff !== undefined && eff !== raw
          ? `  -> ${text(f.name, eff)} as read (version ${asRead?.version} predates it)`
          : '';
      return `  ${(f.key ?? f.name).padEnd(16)} ${text(f.name, raw)}${gated}`;
    });
}

/** The readable summary `infoblock read` prints for one block found in `file`. */
export function describeBlock(file: string, b: FoundBlock): string {
  expectString(file, 'file');
  expectOptions(b, 'b');
  const check = b.checksumValid ? 'ok' : 'BAD';
  if (b.kind === 'btt') {
    const f = b.btt.fields;
    return [
      `${file}: BTT arena info-block at ${b.offset}, version ${f.versionMajor}.${f.versionMinor}, checksum ${check}`,
      ...fieldLines(BTT_FIELDS, f, BTT_SHOWN),
      ...(b.checksumValid ? [] : [`  checksum stored ${hex(f.checksum)}, computed ${hex(b.btt.computedChecksum)}`]),
    ].join('\n');
  }
  const { fields: f, effective } = b.pfn;
  const what = b.kind === 'pfn' ? 'fsdax' : 'devdax';
  const version = `${f.versionMajor}.${f.versionMinor}`;
  return [
    `${file}: ${what} info-block (${signatureText(f.signature)}) at ${b.offset}, ` +
      `version ${version}${f.versionMajor >= 2 ? ' (map meaning)' : ''}, checksum ${check}`,
    ...fieldLines(PFN_FIELDS, f, PFN_SHOWN, { effective: effective satisfies EffectiveFields, version }),
    ...(b.checksumValid ? [] : [`  checksum stored ${hex(f.checksum)}, computed ${hex(b.pfn.computedChecksum)}`]),
  ].join('\n');
}
