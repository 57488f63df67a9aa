/**
 * `infoblock pack` and `infoblock unpack`: a filesystem image into a
 * DAX-ready NVDIMM image (printing the QEMU options that boot it and the
 * guest's mount line), and the data out again.
 */
import type { Command } from 'commander';
import { escapeText } from '../format/escape';
import { pathText } from '../io/path';
import { hex } from '../format/int64';
import { jsonText } from '../format/json';
import { InvalidArgumentError } from '../format/errors';
import { KERNEL_VERSIONS, parseKernelVersion, type KernelVersion } from '../kernel/kernels';
import { kataViewOf, packImage, unpackImage, type PackKernel, type PackResult, type UnpackResult } from '../pack/pack';
import { KATA_HEADER_SIZE } from '../format/kata';
import type { Verdict } from '../validate/check';
import { shellQuote } from '../pack/qemu-options';
import { verifyPacked, type PackVerification } from '../pack/verify';
import type { MapPlace, PackParams } from '../pack/layout';
import type { NsMode } from '../format/recipe';
import type { CliIo } from './io';
import { ExitCode } from './exit-code';
import { choiceArg, parsePosition, sizeArg } from './options';

/** The library's pack parameters (one home: src/pack/layout.ts), with commander's defaults and the CLI's own. */
interface PackOpts extends PackParams {
  output: string;
  mode: NsMode;
  map: MapPlace;
  force?: boolean;
  json?: boolean;
  verify?: boolean;
  kernels: string;
}

const MiB = 1n << 20n;
const human = (n: bigint): string =>
  n % MiB === 0n ? `${n / MiB} MiB` : `${(Number(n) / Number(MiB)).toFixed(1)} MiB`;

/** The `pack` document's body (schemas/pack.schema.json). */
export function packBody(r: PackResult, verify: PackVerification[] | null): object {
  const p = r.plan;
  return {
    input: {
      file: r.input,
      filesystem:
        r.filesystem === null
          ? null
          : { kind: r.filesystem.kind, blockSize: r.filesystem.blockSize, size: r.filesystem.size },
    },
    output: { file: r.output, size: p.fileSize, allocated: r.allocated, layout: p.layout, copy: r.copy },
    namespace: {
      mode: p.mode,
      map: p.map,
      align: p.align,
      nsBase: p.nsBase,
      nsSize: p.nsSize,
      dataStart: p.dataStart,
      dataSize: p.dataSize,
      startPad: 0n,
      contentOffset: p.contentOffset,
      labelSize: p.labelSize,
      uuid: p.namespaceUuid,
    },
    kernels: r.kernels,
    qemu: { args: r.qemu.args, command: qemuLine(r) },
    guest: r.guest,
    warnings: r.warnings,
    ...(verify === null ? {} : { verify }),
  };
}

/** The whole QEMU command line, shell-quoted (without a kernel or a root disk: the caller adds theirs). */
function qemuLine(r: PackResult): string {
  return ['qemu-system-x86_64', ...r.qemu.args].map(shellQuote).join(' ');
}

const FS_DAX_WORDS: Record<string, string> = {
  dax: 'mounts with DAX',
  'mount-fails': 'refuses to mount with DAX',
  'mounts-without-dax': 'mounts without DAX',
};

/** `, DAX consistent (ext4 mounts with DAX)`, with the validator's sentence when it is not consistent. */
function daxText(k: PackKernel, fs: string | null): string {
  if (k.dax === null) return '';
  const f = k.dax.filesystem;
  const fsWords = f === null || f === 'not-mountable' || fs === null ? '' : ` (${fs} ${FS_DAX_WORDS[f] ?? f})`;
  return `, DAX ${k.dax.outcome}${fsWords}${k.dax.outcome === 'consistent' ? '' : `: ${k.dax.message}`}`;
}

function packText(r: PackResult, verify: PackVerification[] | null): string {
  const p = r.plan;
  const fsText =
    r.filesystem === null ? 'unknown content' : `${r.filesystem.kind}, ${r.filesystem.blockSize}-byte blocks`;
  const lines = [
    `packed ${pathText(r.input)} (${fsText}) into ${pathText(r.output)}: ${human(p.fileSize)}, ` +
      `${human(r.allocated)} allocated (${r.copy === 'extents' ? 'extent copy' : 'zero-skipping copy'})`,
    `  namespace: ${p.mode}, memmap in ${p.map === 'ram' ? 'RAM' : 'the namespace'}, ${human(p.nsSize)} at ` +
      `${hex(p.nsBase)}, data start ${hex(p.dataStart)}, start_pad 0` +
      (p.labelSize === null ? ', label-less' : `, labelled (${p.namespaceUuid ?? ''})`),
    `  ${p.layout === 'kata' ? 'partition' : 'filesystem'} at file offset ${hex(p.contentOffset)}` +
      (p.layout === 'kata' ? ' (Kata layout: MBR at 0 for a disk, MBR at the data start for the NVDIMM)' : ''),
    ...r.kernels.map((k) => `  Linux ${k.kernel}: ${k.outcome}${daxText(k, r.filesystem?.kind ?? null)}`),
    ...r.warnings.map((w) => `  warning: ${w}`),
    'boot it with (add your kernel and root disk):',
    `  ${escapeText(qemuLine(r))}`,
    'in the guest:',
    `  ${r.guest.mount ?? `${r.guest.device} (a character device: mmap it, it cannot be mounted)`}`,
  ];
  if (r.guest.diskDevice !== null) {
    lines.push(
      `as a plain disk (-drive file=${escapeText(shellQuote(r.output))},format=raw,if=virtio): ${r.guest.diskDevice}`,
    );
  }
  for (const v of verify ?? []) {
    lines.push(
      `verified on Linux ${v.release ?? v.kernel}: ` +
        (v.ok ? `${v.outcome} (${v.device ?? '?'}), the data in place` : `FAILED: ${v.problems.join('; ')}`) +
        (v.ok && v.dax !== null
          ? `; DAX ${v.dax.outcome ?? '?'}: ${v.dax.mount === 'dax' ? 'mounted with DAX, ' : ''}` +
            `${v.dax.files} file(s), ${v.dax.pagesCompared} page(s) the same through read(2) and mmap`
          : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What `check` adds for a Kata-style image: where the partition is in both
 * views, and what each kernel's verdict means for it (claimed: the
 * partition on /dev/pmem0p1, with the DAX word of the verdict; raw: the
 * whole file as /dev/pmem0 whose MBR #1 shows the same partition, without
 * DAX, since a raw namespace has no memmap; refused: no device at all).
 */
export function kataLines(file: string, offset: bigint, verdicts: readonly Verdict[]): string[] {
  const claimed = verdicts.find((v) => v.outcome === 'claimed' && v.dataStart !== null);
  const k = kataViewOf(file, offset, claimed?.dataStart ?? KATA_HEADER_SIZE);
  if (k === null) return [];
  const lines = [
    `  Kata-style image: partition at file offset ${hex(k.fileOffset)} (${human(k.nvdimm.size)}), ` +
      `/dev/pmem0p1 through the NVDIMM, /dev/vda1 as a plain disk` +
      (k.consistent ? '; both views agree' : `; ${k.problems.join('; ')}`),
  ];
  for (const v of verdicts) {
    const what =
      v.outcome === 'claimed'
        ? `/dev/pmem0p1 is the partition; DAX ${v.dax?.outcome ?? 'unknown'} ` +
          `(ext4: ${v.dax?.filesystems.ext4 ?? '?'}, xfs: ${v.dax?.filesystems.xfs ?? '?'})`
        : v.outcome === 'raw'
          ? '/dev/pmem0 is the whole file, its first MBR shows the same partition, without DAX (no memmap)'
          : 'no device: the partition is reachable only as a plain disk';
    lines.push(`  Linux ${v.kernel} with this Kata image: ${what}`);
  }
  return lines;
}

function kernelList(text: string): KernelVersion[] {
  if (text.trim().toLowerCase() === 'all') return [...KERNEL_VERSIONS];
  return text.split(',').map((k) => parseKernelVersion(k.trim()));
}

function unpackText(r: UnpackResult): string {
  const what =
    r.what === 'data area'
      ? 'the data area'
      : `the ${r.filesystem?.kind ?? 'data'} ${r.what === 'partition' ? "in Kata's partition" : 'at the data start'}`;
  const from = `${pathText(r.input)} (${human(r.length)} at ${hex(r.from)})`;
  return `unpacked ${what} of ${from} into ${pathText(r.output)}\n`;
}

export function registerPack(program: Command, io: CliIo): void {
  registerPackCommand(program, io);
  registerUnpackCommand(program, io);
}

function registerPackCommand(program: Command, io: CliIo): void {
  program
    .command('pack')
    .description(
      'Pack a filesystem image into a DAX-ready NVDIMM image: the info-block (no start_pad), the filesystem at ' +
        'the data start (sparse), sized for QEMU; print the QEMU options and the guest mount line.',
    )
    .argument(
      '<FS_IMAGE>',
      'ext2/3/4 or xfs image with 4096-byte blocks (mkfs.ext4 -b 4096 -d DIR, mkfs.xfs -m reflink=0)',
    )
    .requiredOption('-o, --output <PMEM_IMAGE>', 'the NVDIMM image to create (written whole or not at all)')
    .option(
      '--mode <MODE>',
      'fsdax (/dev/pmem0) or devdax (/dev/dax0.0)',
      choiceArg('mode', ['fsdax', 'devdax'] as const),
      'fsdax',
    )
    .option(
      '--map <WHERE>',
      'memmap in guest ram or on the pmem itself',
      choiceArg('map', ['ram', 'pmem'] as const),
      'ram',
    )
    .option('--align <ALIGN>', 'info-block alignment (power of two, default 2M)', sizeArg('alignment'))
    .option(
      '--ns-base <ADDR>',
      "the DIMM's guest address (default 0x100000000, QEMU's first)",
      sizeArg('namespace base'),
    )
    .option(
      '--ns-size <SIZE>',
      'namespace size (default: the smallest that holds the image)',
      sizeArg('namespace size'),
    )
    .option(
      '--label-size <BYTES>',
      'labelled DIMM: a label area of this size (QEMU label-size=, >= 128K)',
      sizeArg('label size'),
    )
    .option('--uuid <UUID>', "labelled: the namespace's uuid; label-less: the info-block's (default random)")
    .option('--kata', "Kata Containers' layout: boots as an NVDIMM (/dev/pmem0p1) and as a plain disk (MBR)")
    .option('--force', 'replace an existing output; pack content that is no filesystem pack can check')
    .option('--json', 'print a pack document (schemas/pack.schema.json)')
    .option('--verify', 'boot the image on each of --kernels under QEMU and check the guest sees it in place')
    .option('--kernels <LIST>', `kernels for --verify: all or a comma list of ${KERNEL_VERSIONS.join(', ')}`, 'all')
    .addHelpText(
      'after',
      '\nExamples:\n  mkfs.ext4 -b 4096 -d rootfs/ rootfs.ext4 1G\n  infoblock pack rootfs.ext4 -o rootfs.pmem\n' +
        '  infoblock pack rootfs.ext4 -o kata.img --kata\n  infoblock pack data.xfs -o data.pmem --mode devdax ' +
        '--verify --kernels 6.1\n\nExit status: 0 packed (and verified), 1 --verify found a kernel that does not ' +
        'see the image in place, 2 usage or I/O error, or a filesystem DAX cannot use.',
    )
    .action(async (input: string, o: PackOpts) => {
      const kernels = o.verify === true ? kernelList(o.kernels) : [];
      if (o.verify !== true && o.kernels !== 'all') throw new InvalidArgumentError('--kernels needs --verify');
      const r = packImage(input, o.output, {
        mode: o.mode,
        map: o.map,
        ...(o.align === undefined ? {} : { align: o.align }),
        ...(o.nsBase === undefined ? {} : { nsBase: o.nsBase }),
        ...(o.nsSize === undefined ? {} : { nsSize: o.nsSize }),
        ...(o.labelSize === undefined ? {} : { labelSize: o.labelSize }),
        ...(o.uuid === undefined ? {} : { uuid: o.uuid }),
        ...(o.kata === true ? { kata: true } : {}),
        ...(o.force === true ? { force: true } : {}),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
      });
      const verify =
        o.verify === true
          ? await verifyPacked(r.output, r.plan, kernels, {
              onProgress: (l) => {
                if (o.json !== true) io.stderr(`${l}\n`);
              },
            })
          : null;
      io.stdout(o.json === true ? `${jsonText('pack', packBody(r, verify))}\n` : packText(r, verify));
      if (verify !== null && verify.some((v) => !v.ok)) throw new ExitCode(1);
    });
}

function registerUnpackCommand(program: Command, io: CliIo): void {
  program
    .command('unpack')
    .description(
      'Write the data of an NVDIMM image out again, sparse: the filesystem at the data start (or in a Kata ' +
        "image's partition), else the whole data area.",
    )
    .argument('<PMEM_IMAGE>', 'NVDIMM image with an fsdax or devdax info-block')
    .requiredOption('-o, --output <FS_IMAGE>', 'the file to create (written whole or not at all)')
    .option('--offset <OFFSET>', 'where the namespace starts in PMEM_IMAGE (default 0)', (v: string) =>
      parsePosition(v, 'offset'),
    )
    .option(
      '--ns-base <ADDR>',
      "the namespace's guest address, for the kernel's reading of the block",
      sizeArg('namespace base'),
    )
    .option(
      '--ns-size <SIZE>',
      'namespace size (default: the image from --offset to its end)',
      sizeArg('namespace size'),
    )
    .option('--force', 'replace an existing output')
    .addHelpText(
      'after',
      '\nExamples:\n  infoblock unpack rootfs.pmem -o rootfs.ext4\n\nExit status: 0 unpacked, 2 usage or I/O ' +
        'error, or no namespace Linux would claim.',
    )
    .action(
      (input: string, o: { output: string; offset?: bigint; nsBase?: bigint; nsSize?: bigint; force?: boolean }) => {
        const r = unpackImage(input, o.output, {
          ...(o.offset === undefined ? {} : { offset: o.offset }),
          ...(o.nsBase === undefined ? {} : { nsBase: o.nsBase }),
          ...(o.nsSize === undefined ? {} : { nsSize: o.nsSize }),
          ...(o.force === true ? { force: true } : {}),
          ...(io.faults === undefined ? {} : { faults: io.faults }),
        });
        io.stdout(unpackText(r));
      },
    );
}
