/**
 * `infoblock write`: a fresh info-block in ndctl write-infoblock's options,
 * in the legacy (default), map or ndctl meaning of dataoff.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { encodePfnBlock } from '../format/pfn';
import { headWithBlock, HEAD_SIZE } from '../format/head';
import { recipeFields, type MapLocation, type Meaning, type NsMode } from '../format/recipe';
import { randomUuid } from '../format/uuid';
import { InvalidArgumentError } from '../format/errors';
import { ioError, targetSize, UsageError, type CliIo } from './io';
import { choiceArg, sizeArg } from './options';

interface WriteOpts {
  output?: string;
  stdout?: boolean;
  size?: bigint;
  mode: NsMode;
  map: MapLocation;
  align?: bigint;
  uuid?: string;
  parentUuid?: string;
  offset: bigint;
  meaning: Meaning;
}

// ndctl's util_nsmode spellings that denote fsdax / devdax.
const MODE_ALIASES: Record<string, NsMode> = { fsdax: 'fsdax', memory: 'fsdax', devdax: 'devdax', dax: 'devdax' };

function modeArg(v: string): NsMode {
  const m = MODE_ALIASES[v];
  if (m === undefined) throw new InvalidArgumentError(`unsupported mode '${v}' (expected fsdax or devdax)`);
  return m;
}

/** Write the head at offset 0 of `path`: never truncates; a new file is made `size` bytes long (sparse). */
function writeHeadToFile(path: string, head: Uint8Array, size: bigint, created: boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(path, created ? 'wx' : 'r+');
  } catch (e) {
    throw ioError('open', path, e);
  }
  try {
    const n = fs.writeSync(fd, head, 0, HEAD_SIZE, 0);
    if (n !== HEAD_SIZE) throw new Error(`short write (${n} bytes)`);
    if (created && size > BigInt(HEAD_SIZE)) fs.ftruncateSync(fd, Number(size));
    fs.fsyncSync(fd);
  } catch (e) {
    throw ioError('write', path, e);
  } finally {
    fs.closeSync(fd);
  }
}

export function registerWrite(program: Command, io: CliIo): void {
  program
    .command('write')
    .description('Write a fresh 8 KiB namespace head (4 KiB of zeros, then the info-block), with ndctl write-infoblock options.')
    .option('-o, --output <FILE>', 'image file or block device: only its first 8 KiB are written (a new file is created SIZE bytes long, sparse)')
    .option('-c, --stdout', 'write the 8 KiB head to standard output (needs --size)')
    .option('-s, --size <SIZE>', 'namespace size (K/M/G/T suffixes, 0x hex); default: the size of --output', sizeArg('namespace size'))
    .option('-m, --mode <MODE>', 'fsdax (NVDIMM_PFN_INFO) or devdax (NVDIMM_DAX_INFO)', modeArg, 'fsdax')
    .option('-M, --map <WHERE>', 'where the memmap lives: dev (mode PMEM) or mem (mode RAM)', choiceArg('map location', ['dev', 'mem'] as const), 'dev')
    .option('-a, --align <ALIGN>', 'alignment: a power of two >= 4096 (default 2M)', sizeArg('namespace alignment'))
    .option('-u, --uuid <UUID>', 'uuid of the pfn/dax instance (default: random)')
    .option('-p, --parent-uuid <UUID>', 'uuid of the namespace (default: all-zero, label-less)')
    .option('-O, --offset <OFFSET>', 'physical address of the namespace (start_pad/end_trunc are computed against it)', sizeArg('physical offset'), 0n)
    .option(
      '--meaning <M>',
      'dataoff meaning: legacy (Linux today, v1.4), map (raw-base relative, v2.4) or ndctl (bytes identical to ndctl 76)',
      choiceArg('meaning', ['legacy', 'map', 'ndctl'] as const),
      'legacy',
    )
    .addHelpText('after', '\nExamples:\n  infoblock write -c -s 1G > head.bin\n  infoblock write -o ns.img -s 16G -m devdax -a 1G\n  infoblock write -o ns.img -O 0x100100000 --meaning map')
    .action((opts: WriteOpts) => {
      if (opts.stdout === true && opts.output !== undefined) throw new UsageError('use only one of --output and --stdout');
      if (opts.stdout !== true && opts.output === undefined) throw new UsageError('specify --output FILE or --stdout');
      if (opts.stdout === true && opts.size === undefined) throw new UsageError('--size required with --stdout');
      const output = opts.output;
      const created = output !== undefined && !fs.existsSync(output);
      if (created && opts.size === undefined) throw new UsageError(`'${output}' does not exist: give --size to create it`);
      const size = opts.size ?? targetSize(output as string);
      const fields = recipeFields({
        size,
        mode: opts.mode,
        map: opts.map,
        ...(opts.align === undefined ? {} : { align: opts.align }),
        uuid: opts.uuid ?? randomUuid(),
        ...(opts.parentUuid === undefined ? {} : { parentUuid: opts.parentUuid }),
        offset: opts.offset,
        meaning: opts.meaning,
      });
      const head = headWithBlock(encodePfnBlock(fields));
      if (output === undefined) io.stdout(head);
      else writeHeadToFile(output, head, size, created);
      io.stderr('wrote 1 infoblock\n');
    });
}
