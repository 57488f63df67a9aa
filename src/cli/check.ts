/**
 * `infoblock check` (a kernel's verdict on a namespace) and
 * `infoblock explain` (a picture of the namespace layout).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../format/errors';
import { HEAD_SIZE } from '../format/head';
import { SZ_2M } from '../format/int64';
import { toJsonDigits } from '../format/json';
import { isUuid } from '../format/uuid';
import { checkHead, type CheckOptions, type Verdict } from '../validate/check';
import { layoutAscii, layoutSvg, renderKernels, renderVerdict } from './render';
import { checkKernels } from '../validate/kernels';
import { KERNEL_FORMS, resolveKernel, resolveKernels } from '../validate/versions';
import { explainLayout } from '../validate/explain';
import { ARCH_NAMES, type Arch } from '../validate/profiles';
import { ExitCode } from './exit-code';
import { checkRegularOrAbsent, readExact, targetSize } from '../io/files';
import { writeFileDurably } from '../io/durable';
import { showPath } from '../io/path';
import type { CliIo } from './io';
import { choiceArg, parsePosition } from './options';
import { checkLabelledDimm, type LabelledCheck } from '../validate/labels';
import { dimmLayout } from '../format/labels-spec';
import { readLabelArea } from './labels';

export interface NamespaceOpts {
  offset?: string;
  nsBase?: string;
  nsSize?: string;
  kernel: string;
  arch: Arch;
  parentUuid?: string;
  expect: 'pfn' | 'dax' | 'any';
}

/** Read the head and build CheckOptions from the shared namespace options. */
export function loadNamespace(
  file: string,
  o: NamespaceOpts,
): { head: Uint8Array; opts: CheckOptions; baseGiven: boolean } {
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  const nsBase = o.nsBase === undefined ? 0n : parsePosition(o.nsBase, 'namespace base');
  resolveKernel(o.kernel); // an unknown or malformed kernel is one clear line, before any I/O
  if (o.parentUuid !== undefined && !isUuid(o.parentUuid))
    throw new InvalidArgumentError(`invalid uuid '${o.parentUuid}'`);
  const fileSize = targetSize(file);
  let nsSize: bigint;
  if (o.nsSize !== undefined) nsSize = parsePosition(o.nsSize, 'namespace size');
  else {
    if (fileSize < offset)
      throw new InvalidArgumentError(`--offset ${offset} is past the end of ${showPath(file)} (${fileSize} bytes)`);
    nsSize = fileSize - offset;
    // A namespace the kernel could claim spans at least one 2 MiB granule: anything smaller is a bare
    // head (or a head dump), and taking its file size as the namespace size would only mislead.
    if (nsSize < SZ_2M) {
      throw new InvalidArgumentError(
        `${showPath(file)} holds ${nsSize} bytes from --offset ${offset}, less than any namespace with an ` +
          `info-block (2 MiB): it looks like a bare head; pass --ns-size BYTES, the namespace's size`,
      );
    }
  }
  if (nsSize < BigInt(HEAD_SIZE))
    throw new InvalidArgumentError(`namespace size ${nsSize} is smaller than the 8 KiB head`);
  const head = readExact(file, offset, HEAD_SIZE);
  const opts: CheckOptions = {
    kernel: o.kernel,
    arch: o.arch,
    nsBase,
    nsSize,
    expect: o.expect,
    ...(o.parentUuid === undefined ? {} : { parentUuid: o.parentUuid }),
  };
  return { head, opts, baseGiven: o.nsBase !== undefined };
}

export function addNamespaceOptions(cmd: Command): Command {
  return cmd
    .option('--offset <BYTES>', 'where the namespace starts inside FILE (default 0)')
    .option('--ns-base <ADDR>', 'physical address of the namespace (default 0, an aligned base)')
    .option('--ns-size <BYTES>', 'namespace size (default: file size minus --offset)')
    .option('--kernel <KERNEL>', `kernel: ${KERNEL_FORMS}`, 'linux-6.1')
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

export function registerCheck(program: Command, io: CliIo): void {
  addNamespaceOptions(
    program
      .command('check')
      .description(
        'Predict what a kernel does with a namespace: claim it (and where the data lands), leave it raw, or ' +
          "refuse it, in the kernel's own words.",
      )
      .argument('<FILE>', 'image file or block device holding the namespace'),
  )
    .option('--json', 'print the verdict as JSON')
    .option(
      '--label-size <BYTES>',
      'FILE is a labelled DIMM image with a label area in its last BYTES: judge every namespace its labels define',
    )
    .option('--slot <N>', "QEMU memory slot of the DIMM (its labels' interleave-set cookie), with --label-size", '0')
    .option(
      '--kernels <LIST>',
      "judge under several kernels side by side and flag every difference: 'all' (5.10, 6.1, 6.12, 7.2) or " +
        'a comma list',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 claimed (--kernels: every kernel claims it at the same place), 1 otherwise, 2 usage ' +
        'or I/O error.\n' +
        ('Examples: infoblock check ns.img --ns-base 0x100100000 --kernel 6.12\n          infoblock check ' +
          'ns.img --kernels all'),
    )
    .action((file: string, o: NamespaceOpts & { json?: boolean; kernels?: string } & LabelledOpts) => {
      if (o.labelSize !== undefined) {
        const r = checkLabelledFile(file, o);
        const rows = r.namespaces.map((n) => ({ uuid: n.uuid, name: n.name, dpa: n.dpa, size: n.size, ...n.verdict }));
        io.stdout(o.json === true ? `${toJsonDigits(rows)}\n` : `${renderLabelled(file, r)}\n`);
        const allClaimed = r.namespaces.length > 0 && r.namespaces.every((n) => n.verdict.outcome === 'claimed');
        if (!allClaimed) throw new ExitCode(1);
        return;
      }
      if (o.kernels !== undefined) {
        const ks = resolveKernels(o.kernels);
        const { head, opts } = loadNamespace(file, o);
        const r = checkKernels(head, opts, ks);
        io.stdout(o.json === true ? `${toJsonDigits(r)}\n` : `${renderKernels(file, r)}\n`);
        if (!r.agree) throw new ExitCode(1);
        return;
      }
      const { head, opts, baseGiven } = loadNamespace(file, o);
      const v: Verdict = checkHead(head, opts);
      io.stdout(o.json === true ? `${toJsonDigits(v)}\n` : `${renderVerdict(file, v, baseGiven)}\n`);
      if (v.outcome !== 'claimed') throw new ExitCode(1);
    });

  addNamespaceOptions(
    program
      .command('explain')
      .description(
        'Draw the namespace: info-block, reserve, memmap, start_pad, data area, end_trunc, with byte ranges and sizes.',
      )
      .argument('<FILE>', 'image file or block device holding the namespace'),
  )
    .option('--svg <FILE>', 'also write the picture as an SVG file')
    .option('--json', 'print the regions as JSON')
    .action((file: string, o: NamespaceOpts & { svg?: string; json?: boolean }) => {
      const { head, opts } = loadNamespace(file, o);
      const v = checkHead(head, opts);
      const layout = explainLayout(head, v, opts);
      if (o.svg !== undefined) {
        checkRegularOrAbsent(o.svg, 'SVG output');
        writeFileDurably(o.svg, Buffer.from(layoutSvg(file, layout, v), 'utf8'), { replace: true, mode: 0o666 });
      }
      io.stdout(
        o.json === true
          ? `${toJsonDigits({ verdict: v.outcome, regions: layout })}\n`
          : `${layoutAscii(file, layout, v)}\n`,
      );
    });
}

/** `check --label-size`: the labelled DIMM's namespaces, each judged with its label's uuid as parent. */
interface LabelledOpts {
  labelSize?: string;
  slot: string;
}

function checkLabelledFile(file: string, o: NamespaceOpts & LabelledOpts): LabelledCheck {
  const labelSize = parsePosition(o.labelSize ?? '', 'label size');
  if (o.offset !== undefined || o.nsSize !== undefined || o.parentUuid !== undefined) {
    throw new InvalidArgumentError(
      '--label-size takes the namespaces from the labels: drop --offset, --ns-size and --parent-uuid',
    );
  }
  if (!/^\d{1,3}$/.test(o.slot) || Number(o.slot) > 255) {
    throw new InvalidArgumentError(`invalid slot '${o.slot}' (0 to 255)`);
  }
  resolveKernel(o.kernel);
  const { capacity } = dimmLayout(targetSize(file), labelSize);
  const area = readLabelArea(file, labelSize);
  const dimmBase = o.nsBase === undefined ? 0n : parsePosition(o.nsBase, 'namespace base');
  const read = (offset: bigint, length: number): Uint8Array => readExact(file, offset, length);
  const opts = { kernel: o.kernel, arch: o.arch, expect: o.expect, dimmBase, slot: Number(o.slot) };
  return checkLabelledDimm(area, capacity, read, opts);
}

function renderLabelled(file: string, r: LabelledCheck): string {
  const head = r.fallback
    ? `${file}: no valid label index (${r.labels.why}): the kernel falls back to one label-less namespace`
    : `${file}: labels v${r.labels.version ?? '?'}, index ${r.labels.current ?? '-'} current; ` +
      `${r.namespaces.length} namespace(s)`;
  const lines = [head];
  for (const s of r.skipped) lines.push(`  label in slot ${s.slot} (${s.uuid}) skipped: ${s.reasons.join('; ')}`);
  for (const n of r.namespaces) {
    const name = n.name === '' ? '' : ` '${n.name}'`;
    lines.push(`  ${n.uuid ?? '(label-less)'}${name} dpa 0x${n.dpa.toString(16)} size ${n.size}:`);
    lines.push(
      renderVerdict(file, n.verdict, true)
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  }
  return lines.join('\n');
}
