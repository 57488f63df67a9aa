/**
 * `infoblock write`: a fresh info-block in ndctl write-infoblock's options,
 * in the legacy (default), map or ndctl meaning of dataoff.
 */
import type { Command } from 'commander';
import { encodePfnBlock } from '../format/pfn';
import { headWithBlock, HEAD_SIZE } from '../format/head';
import { recipeFields, type MapLocation, type NsMode, type WriteMeaning } from '../format/recipe';
import { randomUuid } from '../format/uuid';
import { InvalidArgumentError } from '../format/errors';
import { outputKind, closeQuietly, fsyncFd, openTarget, targetSize, writeAt } from '../io/files';
import { writeFileDurably } from '../io/durable';
import { checkWritablePath } from '../io/trust';
import { UsageError, type CliIo } from './io';
import { choiceArg } from './options';
import { parseSize } from '../format/units';
import { KERNEL_FORMS, resolveKernels } from '../validate/versions';
import { guardOrRefuse } from './advice';

interface WriteOpts {
  output?: string;
  stdout?: boolean;
  size?: string;
  mode: NsMode;
  map: MapLocation;
  align?: string;
  uuid?: string;
  parentUuid?: string;
  offset?: string;
  meaning: WriteMeaning;
  guardKernel?: string;
  allowHazard?: boolean;
}

// ndctl's util_nsmode spellings that denote fsdax / devdax.
const MODE_ALIASES: Record<string, NsMode> = { fsdax: 'fsdax', memory: 'fsdax', devdax: 'devdax', dax: 'devdax' };

function modeArg(v: string): NsMode {
  const m = MODE_ALIASES[v.toLowerCase()];
  if (m === undefined) throw new InvalidArgumentError(`unsupported mode '${v}' (expected fsdax or devdax)`);
  return m;
}

/**
 * Write the head at offset 0 of `path`, as ndctl does: an existing regular
 * file or block device is overwritten in its first 8 KiB only (never
 * truncated or extended); a new file is created complete (temp + link) or
 * not at all. FIFOs, character devices, directories and dangling symlinks
 * are refused before anything is written.
 */
function writeHeadToFile(path: string, head: Uint8Array): void {
  if (outputKind(path, 'output', true) === 'absent') {
    checkWritablePath(path, { what: 'the output' });
    writeFileDurably(path, head, { mode: 0o666 });
    return;
  }
  const fd = openTarget(path, 'write');
  try {
    writeAt(fd, path, head.subarray(0, HEAD_SIZE), 0n);
    fsyncFd(fd, path);
  } finally {
    closeQuietly(fd);
  }
}

export function registerWrite(program: Command, io: CliIo): void {
  program
    .command('write')
    .description(
      'Write a fresh 8 KiB namespace head (4 KiB of zeros, then the info-block), with ndctl write-infoblock options.',
    )
    .option(
      '-o, --output <FILE>',
      'image file or block device: only its first 8 KiB are written (a new file is 8 KiB, as with ndctl)',
    )
    .option('-c, --stdout', 'write the 8 KiB head to standard output (needs --size)')
    .option(
      '-s, --size <SIZE>',
      'namespace size (K/M/G/T suffixes, 0x hex, 0 octal); default (or 0): the size of --output',
    )
    .option('-m, --mode <MODE>', 'fsdax (NVDIMM_PFN_INFO) or devdax (NVDIMM_DAX_INFO)', modeArg, 'fsdax')
    .option(
      '-M, --map <WHERE>',
      'where the memmap lives: dev (mode PMEM) or mem (mode RAM)',
      choiceArg('map location', ['dev', 'mem'] as const),
      'dev',
    )
    .option('-a, --align <ALIGN>', 'alignment: a power of two >= 4096 (default 2M)')
    .option('-u, --uuid <UUID>', 'uuid of the pfn/dax instance (default: random)')
    .option('-p, --parent-uuid <UUID>', 'uuid of the namespace (default: all-zero, label-less)')
    .option(
      '-O, --offset <OFFSET>',
      'physical address of the namespace (start_pad/end_trunc are computed against it; default 0)',
    )
    .option(
      '--meaning <M>',
      'dataoff meaning: legacy (Linux today, v1.4), map (raw-base relative, v2.4) or ndctl (bytes identical ' +
        'to ndctl 76)',
      choiceArg('meaning', ['legacy', 'map', 'ndctl'] as const),
      'legacy',
    )
    .option(
      '--guard-kernel <KERNELS>',
      `kernel(s) the block must be safe on: ${KERNEL_FORMS}, a list, or all (default: all; map for --meaning map)`,
    )
    .option(
      '--allow-hazard',
      'write even a block a guard kernel would misplace data or crash under DAX with, or that every guard ' +
        'kernel refuses',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 written, 1 refused (a hazard on a guard kernel; with --meaning ndctl the hazard is ' +
        'printed and the head written), 2 usage or I/O error.' +
        '\nExamples:\n  infoblock write -c -s 1G > head.bin\n  infoblock write -o ns.img -s 16G -m devdax -a ' +
        '1G\n  infoblock write -o ns.img -O 0x100100000 --meaning map',
    )
    .action((opts: WriteOpts) => writeAction(io, opts));
}

function writeAction(io: CliIo, opts: WriteOpts): void {
  {
    if (opts.stdout === true && opts.output !== undefined)
      throw new UsageError('use only one of --output and --stdout');
    if (opts.stdout !== true && opts.output === undefined) throw new UsageError('specify --output FILE or --stdout');
    if (opts.stdout === true && opts.size === undefined) throw new UsageError('--size required with --stdout');
    if (opts.stdout === true && io.stdoutIsTTY?.() === true) {
      throw new UsageError('refusing to write binary to a terminal; redirect or use -o');
    }
    const output = opts.output;
    if (opts.guardKernel !== undefined) resolveKernels(opts.guardKernel);
    // Sign handling follows ndctl only where byte parity is the point.
    const num = (text: string, what: string): bigint => parseSize(text, what, { signs: opts.meaning === 'ndctl' });
    const created = output !== undefined && outputKind(output, 'output', true) === 'absent';
    let size = opts.size === undefined ? 0n : num(opts.size, 'namespace size');
    if (size === 0n && output !== undefined) {
      if (created) throw new UsageError(`'${output}' does not exist: give --size to create it`);
      size = targetSize(output);
    }
    const fields = recipeFields({
      size,
      mode: opts.mode,
      map: opts.map,
      ...(opts.align === undefined ? {} : { align: num(opts.align, 'namespace alignment') }),
      uuid: opts.uuid ?? randomUuid(),
      ...(opts.parentUuid === undefined ? {} : { parentUuid: opts.parentUuid }),
      offset: opts.offset === undefined ? 0n : num(opts.offset, 'physical offset'),
      meaning: opts.meaning,
    });
    const block = encodePfnBlock(fields);
    const nsBase = opts.offset === undefined ? 0n : num(opts.offset, 'physical offset');
    const kernels = opts.guardKernel ?? (opts.meaning === 'map' ? 'map' : 'all');
    const allow = opts.meaning === 'ndctl' || opts.allowHazard === true;
    guardOrRefuse(io, block, { kernels, nsBase, nsSize: size }, 'write', allow);
    const head = headWithBlock(block);
    if (output === undefined) io.stdout(head);
    else writeHeadToFile(output, head);
    io.stderr('wrote 1 infoblock\n');
  }
}
