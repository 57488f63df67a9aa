/**
 * JSON for machines with exact integers: bigints are written as bare digits
 * (JSON numbers of any size), never rounded through `number`.
 */
export function toJson(value: unknown, indent = 2): string {
  const marks = new Map<string, string>();
  let n = 0;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      const mark = `\u0000big${n++}\u0000`;
      marks.set(mark, v.toString());
      return mark;
    },
    indent,
  );
  if (marks.size === 0) return text;
  return text.replace(/"\\u0000big\d+\\u0000"/g, (m) => marks.get(JSON.parse(m) as string) ?? m);
}
