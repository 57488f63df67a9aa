/**
 * What to tell a user whose block is (or would be) unsafe under DAX: the
 * ways out, in the words of the commands that take them.
 */
import { blockOfHead } from '../format/head';
import { SZ_2M } from '../format/int64';
import { hex } from '../format/units';
import type { Verdict } from '../validate/check';
import { daxHazardOf, daxHazardText } from '../validate/dax-guard';
import { daxHazards, isDaxHazard, type DaxGuardOptions } from '../validate/dax-guard';
import { ExitCode } from './exit-code';
import { commandLine } from './hints';
import type { CliIo } from './io';

/**
 * The CLI's DAX guard before a write: nothing to say when the block is safe on the guard kernels; a
 * warning when `allow` (the head is written anyway); else the refusal line and exit status 1.
 */
export function guardOrRefuse(io: CliIo, block: Uint8Array, o: DaxGuardOptions, what: string, allow: boolean): void {
  const hazards = daxHazards(block, o);
  if (hazards.length === 0) return;
  const text = daxHazardText(hazards);
  if (allow) {
    io.stderr(`infoblock: warning: ${text}\n`);
    return;
  }
  const way = isDaxHazard(hazards) ? `; ${DAX_WAY_OUT}` : '';
  io.stderr(`infoblock: refusing to ${what}: ${text}; nothing written${way}; to write it anyway: --allow-hazard\n`);
  throw new ExitCode(1);
}

/** The way out of a start_pad block, in one clause. */
export const DAX_WAY_OUT = 'start_pad 0 is safe everywhere: place the namespace at a 2 MiB-aligned address';

/**
 * `check` on a label-less fsdax namespace the kernel would misplace or crash under DAX: nothing to realign
 * (its address is the platform's), and the safe choices.
 */
export function labellessDaxAdvice(file: string, v: Verdict, head: Uint8Array): string[] {
  const h = daxHazardOf(v, blockOfHead(head));
  if (h === null) return [];
  const up = v.nsBase + SZ_2M - (v.nsBase % SZ_2M);
  return [
    `  DAX: ${daxHazardText([h])}`,
    `  a label-less namespace at a fixed platform address: nothing to realign; the safe choices:`,
    `    mount without DAX: ext4 or xfs with -o dax=never (before Linux 5.8: leave out -o dax), ext2 without ` +
      `-o dax; read(2) and write(2) find the right bytes`,
    `    if the VM's NVDIMM address can change: ` +
      `${commandLine('rebase', { nsBase: hex(v.nsBase), toBase: hex(up) }, { target: file })}` +
      ` (then boot it at ${hex(up)})`,
    `    or use it as devdax (/dev/daxX.Y maps from the aligned base, as block I/O reads)`,
  ];
}

/** `check --label-size` on a labelled namespace with a DAX hazard: realign it. */
export function labelledDaxAdvice(
  file: string,
  v: Verdict,
  head: Uint8Array,
  labelSize: bigint,
  uuid: string,
): string[] {
  const h = daxHazardOf(v, blockOfHead(head));
  if (h === null) return [];
  return [
    `  DAX: ${daxHazardText([h])}`,
    `  realign: ${commandLine('realign', { labelSize: labelSize.toString(), namespace: uuid }, { target: file })}`,
  ];
}
