/**
 * QEMU-style labelled DIMM images (the label area is the last `labelSize`
 * bytes of the backing file; the DIMM's capacity is what precedes it, down
 * to a 4 KiB page) and the `uuid=U,size=S[,name=N][,dpa=D][,claim=K]`
 * namespace specs of the CLI. Pure.
 */
import { InvalidArgumentError } from './errors';
import { ABSTRACTION_GUID, MAX_LABEL_SIZE, type Abstraction, type NamespaceSpec } from './labels';
import { parseSize } from './units';
import { isUuid } from './uuid';
import { expectArray, expectBigint } from './guard';

/** QEMU refuses smaller label areas. */
export const MIN_LABEL_SIZE = 128n * 1024n;
export { MAX_LABEL_SIZE };
const PAGE = 4096n;

/** Where the label area and the namespace capacity of a `fileSize`-byte DIMM image lie. */
export function dimmLayout(fileSize: bigint, labelSize: bigint): { capacity: bigint; labelOffset: bigint } {
  expectBigint(fileSize, 'fileSize');
  expectBigint(labelSize, 'labelSize');
  if (labelSize < MIN_LABEL_SIZE)
    throw new InvalidArgumentError(`label size ${labelSize} is below QEMU's ` + `minimum of 131072 bytes (128 KiB)`);
  if (labelSize > MAX_LABEL_SIZE)
    throw new InvalidArgumentError(`label size ${labelSize} is above ` + `${MAX_LABEL_SIZE} bytes`);
  const labelOffset = fileSize - labelSize;
  const capacity = labelOffset <= 0n ? 0n : (labelOffset / PAGE) * PAGE;
  if (capacity === 0n)
    throw new InvalidArgumentError(
      `a ${fileSize}-byte image leaves no capacity beside a ` + `${labelSize}-byte label area`,
    );
  return { capacity, labelOffset };
}

const KEYS = ['uuid', 'size', 'name', 'dpa', 'claim'] as const;

/**
 * One `--namespace` value. Without dpa the namespace follows the previous one (`nextDpa`). The name may
 * not hold a comma (it separates keys).
 */
export function parseNamespaceSpec(text: string, nextDpa: bigint): NamespaceSpec {
  const kv = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || !(KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        `malformed namespace spec '${text}': '${part}' is not one of ` + `${KEYS.map((k) => `${k}=`).join(', ')}`,
      );
    }
    if (kv.has(key)) throw new InvalidArgumentError(`malformed namespace spec '${text}': ${key}= given twice`);
    kv.set(key, part.slice(eq + 1));
  }
  const uuid = kv.get('uuid');
  const size = kv.get('size');
  if (uuid === undefined || size === undefined)
    throw new InvalidArgumentError(`malformed namespace spec '${text}': ` + `uuid= and size= are required`);
  if (!isUuid(uuid)) throw new InvalidArgumentError(`malformed namespace spec '${text}': invalid uuid '${uuid}'`);
  const spec: NamespaceSpec = { uuid: uuid.toLowerCase(), size: parseSize(size, 'namespace size'), dpa: nextDpa };
  const dpa = kv.get('dpa');
  if (dpa !== undefined) spec.dpa = parseSize(dpa, 'namespace dpa');
  const name = kv.get('name');
  if (name !== undefined) spec.name = name;
  const claim = kv.get('claim');
  if (claim !== undefined) {
    if (!(claim in ABSTRACTION_GUID)) {
      throw new InvalidArgumentError(
        `malformed namespace spec '${text}': claim '${claim}' is not one of ` +
          `${Object.keys(ABSTRACTION_GUID).join(', ')}`,
      );
    }
    spec.abstraction = claim as Abstraction;
  }
  return spec;
}

/** Every `--namespace` value in order, each without dpa= placed right after the previous one. */
export function parseNamespaceSpecs(texts: readonly string[]): NamespaceSpec[] {
  expectArray(texts, 'texts');
  const out: NamespaceSpec[] = [];
  let next = 0n;
  for (const t of texts) {
    const s = parseNamespaceSpec(t, next);
    out.push(s);
    next = s.dpa + s.size;
  }
  return out;
}
