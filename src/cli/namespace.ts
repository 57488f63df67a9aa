/**
 * The namespace options `check` and `explain` share (--offset, --ns-base,
 * --ns-size, --kernel, --arch, --parent-uuid, --expect), and the namespace
 * they load: its head and the options of its verdict.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../format/errors';
import { findBlocks, HEAD_SIZE } from '../format/head';
import { isUuid } from '../format/uuid';
import type { CheckOptions } from '../validate/check';
import { DEFAULT_PROFILE, KERNEL_FORMS, resolveKernel } from '../validate/versions';
import { ARCH_NAMES, archParams, type Arch } from '../validate/arch';
import { basesFittingBlock, type BaseFit } from '../validate/geometry';
import { readExact } from '../io/files';
import { choiceArg, impliedNamespaceSize, parseNsBase, parsePosition } from './options';

export interface NamespaceOpts {
  offset?: string;
  nsBase?: string;
  nsSize?: string;
  kernel: string;
  arch: Arch;
  parentUuid?: string;
  expect: 'pfn' | 'dax' | 'any';
}

/** The namespace options parsed, before any I/O: a bad value is one clear line for every FILE at once. */
interface NamespaceParams {
  offset: bigint;
  nsBase: bigint;
  nsSize: bigint | undefined;
}

export function namespaceParams(o: NamespaceOpts): NamespaceParams {
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  const nsBase = o.nsBase === undefined ? 0n : parseNsBase(o.nsBase);
  const nsSize = o.nsSize === undefined ? undefined : parsePosition(o.nsSize, 'namespace size');
  resolveKernel(o.kernel); // an unknown or malformed kernel is one clear line, before any I/O
  if (o.parentUuid !== undefined && !isUuid(o.parentUuid))
    throw new InvalidArgumentError(`invalid uuid '${o.parentUuid}'`);
  if (nsSize !== undefined && nsSize < BigInt(HEAD_SIZE))
    throw new InvalidArgumentError(`namespace size ${nsSize} is smaller than the 8 KiB head`);
  return { offset, nsBase, nsSize };
}

/** A namespace read from FILE: its head and the options its verdict takes. */
export interface LoadedNamespace {
  head: Uint8Array;
  opts: CheckOptions;
  offset: bigint;
  baseGiven: boolean;
}

/** Read the head and build CheckOptions from the shared namespace options. */
export function loadNamespace(file: string, o: NamespaceOpts): LoadedNamespace {
  const { offset, nsBase, nsSize: given } = namespaceParams(o);
  // A given size below the 8 KiB head is refused by namespaceParams; an implied one is at least 2 MiB.
  const nsSize = given ?? impliedNamespaceSize(file, offset);
  const head = readExact(file, offset, HEAD_SIZE);
  const opts: CheckOptions = {
    kernel: o.kernel,
    arch: o.arch,
    nsBase,
    nsSize,
    expect: o.expect,
    ...(o.parentUuid === undefined ? {} : { parentUuid: o.parentUuid }),
  };
  return { head, opts, offset, baseGiven: o.nsBase !== undefined };
}

/**
 * No base given and the block's start_pad rules base 0 out (an ndctl -O pattern, or any block written for a
 * base off a section boundary): the bases it fits, to ask for the real one instead of blaming a rule. Null
 * when a base was given or 0 fits.
 */
export function assumedBaseConflict(ns: LoadedNamespace): BaseFit | null {
  if (ns.baseGiven) return null;
  const pfn = findBlocks(ns.head).find((b) => b.kind === 'pfn' || b.kind === 'dax');
  if (pfn === undefined || (pfn.kind !== 'pfn' && pfn.kind !== 'dax')) return null;
  return basesFittingBlock(pfn.pfn.effective.startPad, archParams(ns.opts.arch).compatAlign);
}

/** What a document says about the base: assumed (no --ns-base) and, when the block rules 0 out, what fits. */
export const baseFacts = (
  ns: LoadedNamespace,
  fit: BaseFit | null,
): { nsBaseAssumed: boolean; basesFitting: BaseFit | null } => ({
  nsBaseAssumed: !ns.baseGiven,
  basesFitting: fit,
});

export function addNamespaceOptions(cmd: Command): Command {
  return cmd
    .option('--offset <BYTES>', 'where the namespace starts inside FILE (default 0)')
    .option('--ns-base <ADDR>', 'physical address of the namespace (default 0, an aligned base)')
    .option('--ns-size <BYTES>', 'namespace size (default: file size minus --offset)')
    .option('--kernel <KERNEL>', `kernel: ${KERNEL_FORMS}`, DEFAULT_PROFILE)
    .option(
      '--arch <ARCH>',
      'x86_64 (4K pages, 2M compat align), ppc64-hash (64K, 16M), ppc64-radix (64K, 2M); ppc64 = ppc64-hash',
      choiceArg('arch', ARCH_NAMES),
      'x86_64',
    )
    .option('--parent-uuid <UUID>', 'the namespace uuid (default all-zero: label-less)')
    .option(
      '--expect <KIND>',
      'which personality probes: pfn, dax or any',
      choiceArg('kind', ['pfn', 'dax', 'any'] as const),
      'any',
    );
}
