/**
 * `ndctl read-infoblock -j/-u` output, character for character (facts
 * measured in docs/ndctl-76.md): json-c's pretty printer (two-space indent,
 * `"key":value`, `/` escaped), keys in the field table's order after "file",
 * the version as "M.m", u64 printed unsigned with -j; with -u every number
 * becomes a hex string ("0" for zero) and u64 values from 2^63 saturate to
 * 0x7fffffffffffffff; fields marked `json: 'int32'` (mode, BTT's u32
 * counts) are always signed 32-bit integers. ndctl drops blocks whose
 * version major or minor is 10 or more.
 */
import { BTT_FIELDS } from './btt';
import type { FoundBlock } from './head';
import { PFN_FIELDS, signatureText } from './pfn';
import type { FieldDef } from './struct';
import { expectArray, expectNumber, expectOptions } from './guard';

export interface NdctlJsonOptions {
  human?: boolean;
}

const I64_MAX = (1n << 63n) - 1n;

/** A JSON string as json-c writes it: `/` escaped, control characters as lower-case `\u00xx`. */
function jsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function numberText(f: FieldDef, v: bigint | number, human: boolean): string {
  if (f.json === 'int32') return BigInt.asIntN(32, BigInt(v)).toString();
  if (!human) return v.toString();
  let n = BigInt(v);
  if (f.kind === 'u64' && n > I64_MAX) n = I64_MAX;
  return `"${n === 0n ? '0' : `0x${n.toString(16)}`}"`;
}

function fieldsOf(block: FoundBlock): { table: readonly FieldDef[]; values: Record<string, unknown> } {
  return block.kind === 'btt'
    ? { table: BTT_FIELDS, values: block.btt.fields }
    : { table: PFN_FIELDS, values: block.pfn.fields };
}

/** Whether ndctl prints the block at all (it drops versions with a part of 10 or more). */
export function ndctlPrintsBlock(block: FoundBlock): boolean {
  const { values } = fieldsOf(block);
  return (values.versionMajor as number) < 10 && (values.versionMinor as number) < 10;
}

function blockLines(file: string, block: FoundBlock, human: boolean): string[] {
  const { table, values } = fieldsOf(block);
  const lines = [`"file":${jsonString(file)}`];
  for (const f of table) {
    if (f.name === 'versionMajor') {
      lines.push(`"version":${jsonString(`${String(values.versionMajor)}.${String(values.versionMinor)}`)}`);
    } else if (f.key !== undefined) {
      const v = values[f.name];
      const text =
        f.kind === 'sig16'
          ? jsonString(signatureText(v as Uint8Array))
          : f.kind === 'uuid'
            ? jsonString(v as string)
            : numberText(f, v as number | bigint, human);
      lines.push(`${jsonString(f.key)}:${text}`);
    }
  }
  return lines;
}

/** The JSON array ndctl prints for `blocks` (each paired with its file name). */
export function ndctlJson(blocks: readonly { file: string; block: FoundBlock }[], opts: NdctlJsonOptions = {}): string {
  expectArray(blocks, 'blocks');
  expectOptions(opts, 'opts', true);
  const human = opts.human ?? false;
  const shown = blocks.filter(({ block }) => ndctlPrintsBlock(block));
  if (shown.length === 0) return '[\n]\n';
  const objs = shown.map(
    ({ file, block }) =>
      `  {\n${blockLines(file, block, human)
        .map((l) => `    ${l}`)
        .join(',\n')}\n  }`,
  );
  return `[\n${objs.join(',\n')}\n]\n`;
}

/** ndctl's closing stderr line: it counts inputs read, not blocks found. */
export function readSummaryLine(inputsRead: number): string {
  expectNumber(inputsRead, 'inputsRead');
  return `read ${inputsRead} infoblock${inputsRead === 1 ? '' : 's'}`;
}
