/** Option parsers shared by the commands: they throw our InvalidArgumentError. */
import { InvalidArgumentError } from '../format/errors';
import { parseSize } from '../format/units';

export const sizeArg = (what: string) => (v: string): bigint => parseSize(v, what);

export function choiceArg<T extends string>(what: string, choices: readonly T[]) {
  return (v: string): T => {
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`invalid ${what} '${v}' (expected ${choices.join(', ')})`);
  };
}
