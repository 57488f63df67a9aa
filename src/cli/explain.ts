/**
 * `infoblock explain`: a picture of the namespace layout (info-block,
 * reserve, memmap, start_pad, data area, end_trunc) as text, SVG or JSON.
 */
import type { Command } from 'commander';
import type { Verdict } from '../validate/check';
import { checkHead } from '../validate/check';
import { explainLayout, type Region } from '../validate/explain';
import { checkRegularOrAbsent } from '../io/files';
import { writeFileDurably } from '../io/durable';
import { jsonText } from '../format/json';
import type { CliIo } from './io';
import { contextOf } from './hints';
import { tornFields, tornFirst, tornNotice } from './torn';
import { layoutAscii, layoutSvg } from './render';
import { addNamespaceOptions, assumedBaseConflict, baseFacts, loadNamespace, type NamespaceOpts } from './namespace';

export function registerExplain(program: Command, io: CliIo): void {
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
      const ns = loadNamespace(file, o);
      const { head, opts, offset } = ns;
      const v = checkHead(head, opts);
      const layout = explainLayout(head, v, opts);
      const torn = tornNotice(file, offset, head, contextOf(file, o));
      if (o.svg !== undefined) {
        checkRegularOrAbsent(o.svg, 'SVG output');
        writeFileDurably(o.svg, Buffer.from(layoutSvg(file, layout, v), 'utf8'), { replace: true, mode: 0o666 });
      }
      const body = {
        ...explainBody(file, offset, v, layout, baseFacts(ns, assumedBaseConflict(ns))),
        ...tornFields(torn),
      };
      io.stdout(
        o.json === true ? `${jsonText('explain', body)}\n` : `${tornFirst(torn, layoutAscii(file, layout, v))}\n`,
      );
    });
}

/** `explain --json`: the namespace, the verdict's outcome and data range, and the regions. */
function explainBody(
  file: string,
  offset: bigint,
  v: Verdict,
  regions: readonly Region[],
  base: ReturnType<typeof baseFacts>,
): object {
  const { profile, kernel, outcome, message, dataStart, dataSize } = v;
  return {
    file,
    offset,
    nsBase: v.nsBase,
    ...base,
    nsSize: v.nsSize,
    profile,
    kernel,
    outcome,
    message,
    dataStart,
    dataSize,
    regions,
  };
}
