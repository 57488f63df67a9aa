/** Option parsers shared by the commands: they throw our InvalidArgumentError. */
import { InvalidArgumentError } from '../format/errors';
import { parseSize } from '../format/units';
import { SZ_2M } from '../format/int64';
import { targetSize } from '../io/files';
import { showPath } from '../io/path';

/** A size or byte position: like parseSize, but an empty or blank value is an error, not 0. */
export function parsePosition(v: string, what: string): bigint {
  if (v.trim() === '')
    throw new InvalidArgumentError(`failed to parse ${what} '${v}': empty (give a number, e.g. 0 ` + `or 1M)`);
  return parseSize(v, what);
}

/**
 * A namespace's physical base: a position that is a multiple of 4 KiB, as every namespace resource the kernel
 * creates starts on a page; an unaligned one is a typo (or a device offset), refused before any I/O.
 */
export function parseNsBase(v: string): bigint {
  const base = parsePosition(v, 'namespace base');
  if (base % 4096n !== 0n) {
    throw new InvalidArgumentError(
      `namespace base '${v}' is not a multiple of 4 KiB: a namespace starts on a page boundary ` +
        `(nearest: 0x${(base - (base % 4096n)).toString(16)})`,
    );
  }
  return base;
}

export const sizeArg =
  (what: string) =>
  (v: string): bigint =>
    parsePosition(v, what);

export function choiceArg<T extends string>(what: string, choices: readonly T[]) {
  return (v: string): T => {
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`invalid ${what} '${v}' (expected ${choices.join(', ')})`);
  };
}

/**
 * The namespace size a command assumes when `--ns-size` is not given: the target's size from `offset` on. A
 * namespace the kernel could claim spans at least one 2 MiB granule, so anything smaller is a bare head (or a
 * head dump) whose file size would only mislead: refused with a hint to pass the size.
 */
export function impliedNamespaceSize(target: string, offset: bigint): bigint {
  const fileSize = targetSize(target);
  if (fileSize < offset)
    throw new InvalidArgumentError(`--offset ${offset} is past the end of ${showPath(target)} (${fileSize} bytes)`);
  const nsSize = fileSize - offset;
  if (nsSize < SZ_2M) {
    throw new InvalidArgumentError(
      `${showPath(target)} holds ${nsSize} bytes from offset ${offset}, less than any namespace with an ` +
        `info-block (2 MiB): it looks like a bare head; give the namespace's size`,
      { hint: { pass: { nsSize: '<BYTES>' } } },
    );
  }
  return nsSize;
}
