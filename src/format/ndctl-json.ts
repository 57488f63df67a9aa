/**
 * `ndctl read-infoblock -j/-u` output, character for character: json-c's
 * pretty printer (two-space indent, `"key":value` with no space), keys in
 * the field table's order after "file", the version as "M.m", integers exact
 * (u64 printed unsigned, beyond 2^53), and with `human` every number but
 * mode as a hex string ("0x200000", "0" for zero).
 */
import { BTT_FIELDS } from './btt';
import type { FoundBlock } from './head';
import { PFN_FIELDS, signatureText } from './pfn';
import type { FieldDef } from './struct';

export interface NdctlJsonOptions {
  human?: boolean;
}

type JsonScalar = { raw: string };

function str(s: string): JsonScalar {
  return { raw: JSON.stringify(s).replace(/\//g, '\\/') };
}

function num(n: bigint | number, human: boolean, keyIsMode: boolean): JsonScalar {
  if (human && !keyIsMode) return { raw: `"${n === 0 || n === 0n ? '0' : `0x${n.toString(16)}`}"` };
  return { raw: n.toString() };
}

function blockEntries(file: string, block: FoundBlock, human: boolean): [string, JsonScalar][] {
  const table: readonly FieldDef[] = block.kind === 'btt' ? BTT_FIELDS : PFN_FIELDS;
  const fields = (block.kind === 'btt' ? block.btt.fields : block.pfn.fields) as unknown as Record<string, unknown>;
  const out: [string, JsonScalar][] = [['file', str(file)]];
  for (const f of table) {
    if (f.name === 'versionMajor') {
      out.push(['version', str(`${String(fields.versionMajor)}.${String(fields.versionMinor)}`)]);
      continue;
    }
    if (f.key === undefined) continue;
    const v = fields[f.name];
    if (f.kind === 'sig16') out.push([f.key, str(signatureText(v as Uint8Array))]);
    else if (f.kind === 'uuid') out.push([f.key, str(v as string)]);
    else out.push([f.key, num(v as number | bigint, human, f.key === 'mode')]);
  }
  return out;
}

/** The JSON array ndctl prints for `blocks` (each paired with its file name). */
export function ndctlJson(blocks: readonly { file: string; block: FoundBlock }[], opts: NdctlJsonOptions = {}): string {
  const human = opts.human ?? false;
  if (blocks.length === 0) return '[\n]\n';
  const objs = blocks.map(({ file, block }) => {
    const lines = blockEntries(file, block, human).map(([k, v]) => `    ${JSON.stringify(k)}:${v.raw}`);
    return `  {\n${lines.join(',\n')}\n  }`;
  });
  return `[\n${objs.join(',\n')}\n]\n`;
}

export function readSummaryLine(n: number): string {
  return `read ${n} infoblock${n === 1 ? '' : 's'}`;
}
