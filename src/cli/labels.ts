/**
 * `infoblock labels read|write`: the namespace label area at the end of a
 * QEMU-style DIMM image (or a raw label dump with --lsa).
 */
import { escapeText } from '../format/escape';
import { showPath } from '../io/path';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../format/errors';
import { hex } from '../format/int64';
import { guidBytesText, interleaveSetCookie, qemuDimm, type LabelVersion } from '../format/labels';
import { decodeLabelArea, encodeLabelArea, type DecodedArea } from '../format/labels-area';
import { dimmLayout, parseNamespaceSpecs } from '../format/labels-spec';
import { closeQuietly, fsyncFd, openTarget, readExact, targetSize, writeAt, checkRegularOrAbsent } from '../io/files';
import { writeFileDurably } from '../io/durable';
import { checkWritablePath } from '../io/trust';
import { readSmallFile } from '../io/files';
import type { CliIo } from './io';
import { jsonText } from '../format/json';
import { choiceArg, parsePosition } from './options';

/**
 * The body of a `labels` document (schemas/labels.schema.json): ndctl read-labels -j keys where they apply,
 * plus which index is current and why, and each label's problems. camelCase with bigints; the one mapping
 * makes the JSON.
 */
export function areaBody(file: string, d: DecodedArea): object {
  return {
    file,
    version: d.version,
    currentIndex: d.current,
    why: d.why,
    index: d.indexes.map((ix, i) => ({
      index: i,
      signature: Buffer.from(ix.fields.signature).toString('latin1').replace(/\0.*$/s, ''),
      major: ix.fields.major,
      minor: ix.fields.minor,
      // A JSON number, as ndctl prints it (at most 256).
      labelsize: d.geometry === null ? null : Number(d.geometry.labelSize),
      seq: ix.fields.seq,
      nslot: ix.fields.nslot,
      usedSlots: ix.usedSlots,
      problems: ix.problems,
    })),
    label: d.labels.map((l) => ({
      uuid: l.fields.uuid,
      name: l.name,
      slot: l.fields.slot,
      position: l.fields.position,
      nlabel: l.fields.nlabel,
      isetcookie: l.fields.isetcookie,
      lbasize: l.fields.lbasize,
      dpa: l.fields.dpa,
      rawsize: l.fields.rawsize,
      flags: l.fields.flags,
      ...(d.version === '1.2'
        ? { typeGuid: guidBytesText(l.fields.typeGuid), abstractionGuid: guidBytesText(l.fields.abstractionGuid) }
        : {}),
      problems: l.problems,
    })),
  };
}

export function areaText(file: string, d: DecodedArea): string {
  const lines = [`${escapeText(file)}: labels v${d.version ?? '?'}, current index: ${d.current ?? 'none'} (${d.why})`];
  for (const l of d.labels) {
    const bad = l.problems.length === 0 ? '' : `  SKIPPED: ${l.problems.join(', ')}`;
    lines.push(
      `  slot ${l.fields.slot}: ${l.fields.uuid} dpa ${hex(l.fields.dpa)} size ${l.fields.rawsize}` +
        `${l.name === '' ? '' : ` name '${escapeText(l.name)}'`} cookie ${hex(l.fields.isetcookie)}${bad}`,
    );
  }
  if (d.current !== null && d.labels.length === 0) lines.push('  (no labels in use)');
  return lines.join('\n');
}

interface LabelOpts {
  offset?: string;
  labelSize?: string;
  lsa?: string;
  json?: boolean;
}

function labelSizeOf(o: LabelOpts): bigint {
  if (o.labelSize === undefined) throw new InvalidArgumentError('--label-size is required');
  return parsePosition(o.labelSize, 'label size');
}

/**
 * Where the DIMM lies in IMG: from `--offset` (default 0) to the end of IMG, its label area in its last
 * `labelSize` bytes (positions in IMG).
 */
function dimmIn(file: string, labelSize: bigint, o: { offset?: string }): { capacity: bigint; labelOffset: bigint } {
  const offset = o.offset === undefined ? 0n : parsePosition(o.offset, 'offset');
  const size = targetSize(file);
  if (offset >= size)
    throw new InvalidArgumentError(`--offset ${offset} is past the end of ${showPath(file)} (${size} bytes)`);
  const { capacity, labelOffset } = dimmLayout(size - offset, labelSize);
  return { capacity, labelOffset: offset + labelOffset };
}

/** The label area bytes of IMG (the last N bytes of the DIMM at `offset`, default 0) or of the --lsa dump. */
export function readLabelArea(file: string, labelSize: bigint, o: { offset?: string } = {}): Uint8Array {
  return readExact(file, dimmIn(file, labelSize, o).labelOffset, Number(labelSize));
}

export function registerLabels(program: Command, io: CliIo): void {
  const labels = program
    .command('labels')
    .description('Read or write the namespace labels of a QEMU-style NVDIMM image (label area in its last bytes).');
  labels
    .command('read')
    .description('Decode the label area: which index is current and why, and every label in use.')
    .argument('[IMG]', 'DIMM image whose last --label-size bytes are the label area')
    .option('--label-size <BYTES>', 'size of the label area (QEMU: label-size=, at least 128K)')
    .option('--offset <BYTES>', 'where the DIMM starts inside IMG (default 0); it runs to the end of IMG')
    .option('--lsa <FILE>', 'read a raw label area dump instead of an image')
    .option('--json', 'print JSON (ndctl read-labels -j keys where they apply)')
    .action((img: string | undefined, o: LabelOpts) => {
      let area: Uint8Array;
      let name: string;
      if (o.lsa !== undefined) {
        area = readSmallFile(o.lsa, 2 ** 31, 'label area dump');
        name = o.lsa;
      } else {
        if (img === undefined) throw new InvalidArgumentError('give IMG or --lsa FILE');
        area = readLabelArea(img, labelSizeOf(o), o);
        name = img;
      }
      const d = decodeLabelArea(area);
      io.stdout(o.json === true ? `${jsonText('labels', areaBody(name, d))}\n` : `${areaText(name, d)}\n`);
    });
  labels
    .command('write')
    .description('Write a fresh label area (both index blocks, one label per namespace) at the end of IMG.')
    .argument('<IMG>', 'DIMM image (its size sets the capacity); its last --label-size bytes are replaced')
    .option('--label-size <BYTES>', 'size of the label area (QEMU: label-size=, at least 128K)')
    .option('--offset <BYTES>', 'where the DIMM starts inside IMG (default 0); it runs to the end of IMG')
    .option(
      '--namespace <SPEC>',
      'uuid=U,size=S[,name=NAME][,dpa=OFFSET][,claim=btt|pfn|dax] (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--label-version <V>',
      'label format: 1.1 (128-byte labels) or 1.2 (256-byte)',
      choiceArg('label version', ['1.1', '1.2'] as const),
      '1.2',
    )
    .option(
      '--slot <N>',
      "QEMU memory slot the DIMM boots in: its labels' cookie (kernel-check moves slot 0's cookie to its slot)",
      '0',
    )
    .option('--lsa <FILE>', 'write the label area to FILE (created) instead of into IMG')
    .action((img: string, o: LabelOpts & { namespace: string[]; labelVersion: LabelVersion; slot: string }) => {
      if (o.lsa === undefined) checkWritablePath(img, { what: 'the target' });
      const labelSize = labelSizeOf(o);
      if (!/^\d{1,3}$/.test(o.slot) || Number(o.slot) > 255)
        throw new InvalidArgumentError(`invalid slot ` + `'${o.slot}' (0 to 255)`);
      const specs = parseNamespaceSpecs(o.namespace);
      const { capacity, labelOffset } = dimmIn(img, labelSize, o);
      const cookie = interleaveSetCookie(qemuDimm(Number(o.slot)), o.labelVersion);
      const area = encodeLabelArea(specs, { areaSize: labelSize, version: o.labelVersion, cookie, capacity });
      if (o.lsa !== undefined) {
        checkRegularOrAbsent(o.lsa, 'label area dump');
        checkWritablePath(o.lsa, { what: 'the label area dump' });
        writeFileDurably(o.lsa, area, { replace: true, mode: 0o666 });
      } else {
        const fd = openTarget(img, 'write', 'open for writing');
        try {
          writeAt(fd, img, area, labelOffset);
          fsyncFd(fd, img);
        } finally {
          closeQuietly(fd);
        }
      }
      io.stderr(
        `wrote ${specs.length} label${specs.length === 1 ? '' : 's'} (v${o.labelVersion}, cookie ` +
          `${hex(cookie)}) ` +
          `for a ${capacity}-byte DIMM\n`,
      );
    });
}
