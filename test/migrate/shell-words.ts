// Shell words of a pasted command line, as src/cli/hints.ts writes them: bare
// words and single-quoted ones ('it'\''s'). Names with control characters
// ($'…') are pasted into a real bash instead (test/adversarial/paths.slow.test.ts).
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] as string));
  }
  return words;
}
