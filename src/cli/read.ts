/** `infoblock read`: ndctl read-infoblock's JSON, or a readable summary. */
import type { Command } from 'commander';
import { describeBlock } from '../format/describe';
import { findBlocks, type FoundBlock } from '../format/head';
import { ndctlJson, readSummaryLine } from '../format/ndctl-json';
import { ExitCode } from './exit-code';
import { readHead } from '../format/files';
import { readStdinHead, type CliIo } from './io';
import { sizeArg } from './options';

interface ReadOpts {
  json?: boolean;
  human?: boolean;
  verify?: boolean;
  offset?: bigint;
}

export function registerRead(program: Command, io: CliIo): void {
  program
    .command('read')
    .description(
      'Decode the info-blocks in the 8 KiB namespace head of each FILE (stdin when none):\n' +
        'BTT at 4096 and 0, PFN/DAX at 4096, as ndctl read-infoblock does.',
    )
    .argument('[FILE...]', 'image files or block devices; stdin when none')
    .option('-j, --json', "print ndctl read-infoblock's JSON (same keys, order and numbers)")
    .option('-u, --human', 'JSON with sizes as hex strings, as ndctl -u (implies --json)')
    .option('-V, --verify', 'drop blocks whose checksum fails')
    .option('--offset <BYTES>', 'byte offset of the namespace inside FILE (default 0)', sizeArg('offset'))
    .addHelpText('after', '\nstderr always ends with "read N infoblock(s)", N counting the inputs read (as ndctl). Exit 0 when every input was read, 2 on a bad input.')
    .action(async (files: string[], opts: ReadOpts) => {
      const found: { file: string; block: FoundBlock }[] = [];
      const inputs = files.length === 0 ? [null] : files;
      let inputsRead = 0;
      for (const file of inputs) {
        let head: Uint8Array;
        try {
          head = file === null ? await readStdinHead(io, opts.offset ?? 0n) : readHead(file, opts.offset ?? 0n);
        } catch (e) {
          // Like ndctl, the closing line still reports what was read.
          io.stderr(`infoblock: ${e instanceof Error ? e.message : String(e)}\n${readSummaryLine(inputsRead)}\n`);
          throw new ExitCode(2);
        }
        inputsRead++;
        for (const block of findBlocks(head)) {
          if (opts.verify === true && !block.checksumValid) continue;
          found.push({ file: file ?? '<stdin>', block });
        }
      }
      if (opts.json === true || opts.human === true) {
        io.stdout(ndctlJson(found, { human: opts.human === true }));
      } else if (found.length === 0) {
        io.stdout('no info-block found\n');
      } else {
        io.stdout(found.map(({ file, block }) => describeBlock(file, block)).join('\n\n') + '\n');
      }
      io.stderr(readSummaryLine(inputsRead) + '\n');
    });
}
