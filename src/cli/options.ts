/** Option parsers shared by the commands: they throw our InvalidArgumentError. */
import { InvalidArgumentError } from '../format/errors';
import { parseSize } from '../format/units';

/** A size or byte position: like parseSize, but an empty or blank value is an error, not 0. */
export function parsePosition(v: string, what: string): bigint {
  if (v.trim() === '')
    throw new InvalidArgumentError(`failed to parse ${what} '${v}': empty (give a number, e.g. 0 ` + `or 1M)`);
  return parseSize(v, what);
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
