/**
 * `infoblock corpus`: write a deterministic fuzz corpus (8 KiB heads, bare
 * blocks or sparse namespace images) with a manifest of verdicts, and print
 * the coverage per rule, outcome and message kind on stderr.
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { InvalidArgumentError } from '../format/errors';
import { parseSize } from '../format/units';
import { parseSeed } from '../corpus/prng';
import { ONLY_CLASSES } from '../corpus/generate';
import { CORPUS_FORMATS, formatCoverage, writeCorpus, type CorpusFormat } from '../corpus/write-corpus';
import { profileForKernel } from '../validate/profiles';
import { DEFAULT_PROFILE, KERNEL_FORMS, resolveKernel } from '../validate/versions';
import { processIo, type CliIo } from './io';
import { choiceArg } from './options';

interface CorpusCliOptions {
  out: string;
  count: string;
  seed: string;
  format: CorpusFormat;
  nsSize?: string;
  kernel: string;
  force?: boolean;
  manifest?: string;
  only?: string;
  allowHazard?: boolean;
}

const MAX_COUNT = 100_000_000;
const ONLY_HELP =
  `generate only inputs of these classes, aiming every input at them: ${ONLY_CLASSES.join(', ')} ` +
  '(malformed: any block the kernel does not claim; consistent, dax-refused, misplaced, crashes: the ' +
  'DAX verdict of a claimed block under --kernel), a rule id (R1, S1, ...), S2 or a DAX target ' +
  '(dax-pad-below-ram, ...); a class the kernel or namespace size cannot give is refused with the reason';

/** The checked arguments of `corpus` (one clear line for each bad one). */
function parseArgs(o: CorpusCliOptions): {
  count: number;
  seed: bigint;
  kernel: string;
  nsSize: bigint | undefined;
  only: string[] | undefined;
} {
  if (!/^\d+$/.test(o.count) || Number(o.count) < 1 || Number(o.count) > MAX_COUNT)
    throw new InvalidArgumentError(`invalid count '${o.count}' (expected 1..${MAX_COUNT})`);
  const count = Number(o.count);
  const seed = parseSeed(o.seed);
  if (seed === null) throw new InvalidArgumentError(`invalid seed '${o.seed}' (expected a decimal or 0x hex u64)`);
  const kernel = resolveKernel(o.kernel).id; // one clear line for an unknown or malformed kernel
  const nsSize = o.nsSize === undefined ? undefined : parseSize(o.nsSize, 'namespace size');
  if (nsSize !== undefined && (nsSize < 8192n || nsSize % 4096n !== 0n))
    throw new InvalidArgumentError(`namespace size ${nsSize} must be a multiple of 4096, at least 8192`);
  if (nsSize !== undefined && o.format === 'image' && nsSize > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InvalidArgumentError(`namespace size ${nsSize} is too large for an image file`);

  const only = o.only === undefined ? undefined : o.only.split(',').map((c) => c.trim());
  if (only !== undefined && only.some((c) => c === ''))
    throw new InvalidArgumentError(`invalid class list '${o.only}' (expected CLASS[,CLASS...])`);
  return { count, seed, kernel, nsSize, only };
}

export function registerCorpus(program: Command, io: CliIo): void {
  program
    .command('corpus')
    .description(
      'Write a deterministic fuzz corpus aimed at every rule of a kernel profile, with manifest.jsonl ' +
        '(seed, mutation, namespace, verdict).',
    )
    .requiredOption('--out <DIR>', 'output directory (must be empty unless --force)')
    .option('--count <N>', 'number of inputs', '1000')
    .option('--seed <S>', 'corpus seed (decimal or 0x hex u64); the same seed gives the same bytes', '1')
    .option(
      '--format <FORMAT>',
      'head (8 KiB namespace head), block (bare 4 KiB) or image (sparse namespace of ns_size)',
      choiceArg('format', CORPUS_FORMATS),
      'head',
    )
    .option('--ns-size <BYTES>', 'one namespace size for every input (default: sizes from 16M to 2G+4M)')
    .option('--kernel <KERNEL>', `kernel to aim at and judge with: ${KERNEL_FORMS}`, DEFAULT_PROFILE)
    .option('--only <CLASS[,CLASS...]>', ONLY_HELP)
    .option(
      '--allow-hazard',
      'let inputs that --kernel would misplace or crash under DAX through outside the rows aimed at those ' +
        'hazards (default: such a draw is replaced by a DAX-safe one; the manifest marks every hazard row)',
    )
    .option('--force', 'write into a non-empty directory')
    .option(
      '--manifest <PATH>',
      'write the manifest to PATH instead of DIR/manifest.jsonl (its file column stays relative to DIR)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  infoblock corpus --out corpus --count 1000 --seed 7 --kernel linux-latest\n' +
        '  infoblock corpus --out bad --count 200 --only malformed',
    )
    .action((o: CorpusCliOptions) => {
      const { count, seed, kernel, nsSize, only } = parseArgs(o);
      const tty = io.stderr === processIo.stderr && process.stderr.isTTY === true && count >= 2000;
      const bar = tty
        ? new SingleBar(
            { format: 'corpus [{bar}] {value}/{total} {eta}s', stream: process.stderr },
            Presets.shades_classic,
          )
        : null;
      let lastLine = Date.now();
      const onProgress = (done: number, total: number): void => {
        if (bar !== null) bar.update(done);
        else if (count >= 10_000 && Date.now() - lastLine >= 2000) {
          lastLine = Date.now();
          io.stderr(`corpus: ${done}/${total}\n`);
        }
      };
      bar?.start(count, 0);
      let cov;
      try {
        cov = writeCorpus({
          dir: o.out,
          count,
          seed,
          kernel,
          format: o.format,
          force: o.force === true,
          ...(o.manifest === undefined ? {} : { manifest: o.manifest }),
          ...(nsSize === undefined ? {} : { nsSize }),
          ...(only === undefined ? {} : { only }),
          allowHazard: o.allowHazard === true,
          onProgress,
          progressEvery: 500,
        });
      } finally {
        bar?.stop();
      }
      const order = [...profileForKernel(kernel).rules.map((r) => r.id)];
      io.stderr(`${formatCoverage(cov, order)}\n`);
    });
}
