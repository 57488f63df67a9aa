/** `infoblock read`: ndctl read-infoblock's JSON, or a readable summary. */
import { escapeText } from '../format/escape';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { describeBlock } from '../format/describe';
import { findBlocks, type FoundBlock } from '../format/head';
import { ndctlJson, readSummaryLine } from '../format/ndctl-json';
import { ExitCode } from './exit-code';
import { HEAD_SIZE } from '../format/head';
import { ioError, readExact, showPath } from '../io/index';
import { readStdinHead, UsageError, type CliIo } from './io';
import { sizeArg } from './options';
import { tornNotice } from './torn';
import { hex } from '../format/int64';
import type { CommandContext } from './hints';

/** The restore command's context: the FILE and, when given, its --offset. */
const readContext = (file: string, offset: bigint | undefined): CommandContext =>
  offset === undefined ? { target: file } : { target: file, carry: { offset: hex(offset) } };

interface ReadOpts {
  json?: boolean;
  human?: boolean;
  verify?: boolean;
  offset?: bigint;
  input: string[];
  output?: string;
  verbose?: boolean;
}

const collect = (v: string, all: string[]): string[] => [...all, v];

/** What -v says about one block: where it is, what it is, whether its checksum holds. */
function verboseLine(file: string, b: FoundBlock, dropped: boolean): string {
  const kind = b.kind === 'btt' ? 'BTT' : b.kind.toUpperCase();
  const sum = b.checksumValid ? 'checksum ok' : 'checksum BAD';
  const note = dropped ? ' (dropped by --verify)' : '';
  return `read: ${escapeText(file)}: ${kind} info-block at ${b.offset}, ${sum}${note}\n`;
}

/** Refuse an `-o` that would destroy data: one of the inputs, or a block device (text on a disk). */
function checkOutputTarget(output: string, inputs: readonly string[]): void {
  let out: fs.Stats;
  try {
    out = fs.statSync(output);
  } catch {
    return; // not there yet: it will be created
  }
  if (out.isBlockDevice()) throw new UsageError(`refusing to write text output to block device '${output}'`);
  for (const file of inputs) {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st !== undefined && st.dev === out.dev && st.ino === out.ino) {
      throw new UsageError(`refusing to overwrite input ${showPath(file)} with the output`);
    }
  }
}

/** `-o FILE`: the output goes to FILE (created or truncated) instead of standard output. */
function writeOutput(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw ioError('write', file, e);
  }
}

export function registerRead(program: Command, io: CliIo): void {
  program
    .command('read')
    .description(
      'Decode the info-blocks in the 8 KiB namespace head of each FILE (stdin when none):\n' +
        'BTT at 4096 and 0, PFN/DAX at 4096, as ndctl read-infoblock does.',
    )
    .argument('[FILE...]', 'image files or block devices; stdin when none')
    .option('-i, --input <FILE>', 'one more FILE to read (ndctl read-infoblock -i; may repeat)', collect, [])
    .option(
      '-o, --output <FILE>',
      'write what would go to standard output into FILE instead (never an input or a block device)',
    )
    .option('-v, --verbose', 'say on stderr which info-blocks each input holds')
    .option('-j, --json', "print ndctl read-infoblock's JSON (same keys, order and numbers)")
    .option('-u, --human', 'JSON with sizes as hex strings, as ndctl -u (implies --json)')
    .option('-V, --verify', 'drop blocks whose checksum fails')
    .option('--offset <BYTES>', 'byte offset of the namespace inside FILE (default 0)', sizeArg('offset'))
    .addHelpText(
      'after',
      '\nstderr always ends with "read N infoblock(s)", N counting the inputs read (as ndctl). Exit 0 when ' +
        'every input was read, 2 on a bad input.',
    )
    .action(async (args: string[], opts: ReadOpts) => {
      const found: { file: string; block: FoundBlock }[] = [];
      const files = [...opts.input, ...args];
      if (opts.output !== undefined) checkOutputTarget(opts.output, files);
      const inputs = files.length === 0 ? [null] : files;
      let inputsRead = 0;
      for (const file of inputs) {
        let head: Uint8Array;
        try {
          head =
            file === null ? await readStdinHead(io, opts.offset ?? 0n) : readExact(file, opts.offset ?? 0n, HEAD_SIZE);
        } catch (e) {
          // Like ndctl, the closing line still reports what was read.
          io.stderr(`infoblock: ${e instanceof Error ? e.message : String(e)}\n${readSummaryLine(inputsRead)}\n`);
          throw new ExitCode(2);
        }
        inputsRead++;
        // A block an interrupted write of ours tore is said first, with the restore command (stdout: ndctl's JSON).
        const torn = file === null ? null : tornNotice(file, opts.offset ?? 0n, head, readContext(file, opts.offset));
        if (torn !== null) io.stderr(`${torn.line}\n`);
        const blocks = findBlocks(head);
        if (opts.verbose === true && blocks.length === 0) io.stderr(`read: ${file ?? '<stdin>'}: no info-block\n`);
        for (const block of blocks) {
          const drop = opts.verify === true && !block.checksumValid;
          if (opts.verbose === true) io.stderr(verboseLine(file ?? '<stdin>', block, drop));
          if (!drop) found.push({ file: file ?? '<stdin>', block });
        }
      }
      let text: string;
      if (opts.json === true || opts.human === true) {
        text = ndctlJson(found, { human: opts.human === true });
      } else if (found.length === 0) {
        text = 'no info-block found\n';
      } else {
        text = found.map(({ file, block }) => describeBlock(file, block)).join('\n\n') + '\n';
      }
      if (opts.output === undefined) io.stdout(text);
      else {
        try {
          writeOutput(opts.output, text);
        } catch (e) {
          io.stderr(`infoblock: ${e instanceof Error ? e.message : String(e)}\n${readSummaryLine(inputsRead)}\n`);
          throw new ExitCode(2);
        }
      }
      io.stderr(readSummaryLine(inputsRead) + '\n');
    });
}
