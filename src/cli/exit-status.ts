/**
 * What each command's exit status means: one table that the man page, the
 * README's table and the tests read, so the documentation cannot drift from
 * what the commands do. Every command also exits 3 on an internal error.
 */
export interface ExitMeanings {
  0: string;
  1?: string;
  2: string;
}

export const EXIT_STATUS: Readonly<Record<string, ExitMeanings>> = {
  read: { 0: 'every input was read', 2: 'usage error, or an input that cannot be read or is shorter than 8 KiB' },
  write: { 0: 'the head was written', 2: 'usage or I/O error; binary output refused on a terminal' },
  check: {
    0: 'the kernel claims every namespace, and DAX would map it where read(2) reads it',
    1:
      'the kernel leaves one raw, refuses it or crashes on it, or would misplace or crash under DAX ' +
      '(not with --no-dax)',
    2: 'usage error, or a FILE that cannot be read (the others are still judged)',
  },
  explain: { 0: 'the layout was drawn', 2: 'usage or I/O error' },
  migrate: {
    0: 'migrated, or nothing to migrate',
    1: 'refused: a hazard, an ambiguous or failed precondition, or the target is locked',
    2: 'usage or I/O error',
  },
  restore: {
    0: 'restored, or already the original',
    1: 'backup refused: corrupt, foreign, for another offset, or the head changed since',
    2: 'usage or I/O error',
  },
  'kernel-check': {
    0:
      'the kernel claimed every image; with --dax: and none is misplaced or crashes under DAX; with --compare: ' +
      'every row agrees with the kernel',
    1:
      'an image left raw, refused, or crashing the kernel; with --dax: also a namespace DAX misplaces or crashes ' +
      'on, or one the probe could not prove; with --compare: a row the kernel disagrees with',
    2:
      'usage error, a missing tool, an unreadable manifest, or a boot that failed; with --dax: a namespace that ' +
      'is not fsdax or devdax, or has no ext4 or xfs at its data start',
  },
  corpus: { 0: 'the corpus and its manifest were written', 2: 'usage or I/O error' },
  scan: { 0: 'at least one structure was found', 1: 'nothing found', 2: 'usage or I/O error' },
  recover: {
    0: 'a block was proposed or written, or nothing to recover',
    1: 'nothing found, ambiguous (candidates listed), or refused (head changed, backup, lock)',
    2: 'usage or I/O error',
  },
  realign: {
    0: 'realigned, planned (dry run), or no namespace with start_pad',
    1:
      'refused: no valid labels, overlapping labels, no free label slot, a result a guard kernel would not ' +
      'claim, a backup in the way, or the image is locked',
    2: 'usage or I/O error',
  },
  rebase: {
    0: 'rebased, planned (dry run), or already for that base',
    1:
      'refused: a base that is not 2 MiB aligned, a block that cannot be rebased, a result a kernel would not ' +
      'claim, a backup in the way, or the target is locked',
    2: 'usage or I/O error',
  },
  labels: {
    0: 'the label area was read or written',
    2: 'usage or I/O error, or labels the kernel or QEMU would refuse',
  },
};

/** Exit status of `infoblock` with no command, `--help` and `--version`, and of internal errors. */
export const EXIT_STATUS_GENERAL: readonly [number, string][] = [
  [0, '`--help`, `--version`, `help COMMAND`'],
  [2, 'no command, an unknown command or option, a missing or bad argument'],
  [3, 'internal error (a bug: please report it)'],
];

/** One command's exit statuses as its `--help` says them: `Exit status: 0 the layout was drawn, 2 usage ...`. */
export function exitStatusLine(command: string): string | undefined {
  const m = EXIT_STATUS[command];
  if (m === undefined) return undefined;
  const parts = [`0 ${m[0]}`, ...(m[1] === undefined ? [] : [`1 ${m[1]}`]), `2 ${m[2]}`];
  return `Exit status: ${parts.join('; ')}.`;
}
