/** What every reader of a namespace says first when an interrupted write of ours tore its info-block. */
import { HEAD_SIZE } from '../format/head';
import { showPath } from '../io/path';
import { tornBackupOf, tornBlockError } from '../replace/replace';
import { failureText, type CommandContext } from './hints';

/**
 * What a reader says first when the backup beside FILE proves its block torn (an interrupted write of ours):
 * the line `TORN: …; run: infoblock restore …` and the backup path (for --json's `torn_backup`); null when
 * it is not.
 */
export function tornNotice(
  file: string,
  offset: bigint,
  head: Uint8Array,
  ctx: CommandContext,
): { line: string; backup: string } | null {
  const backup = tornBackupOf(file, offset, head.subarray(HEAD_SIZE - 4096));
  if (backup === null) return null;
  return {
    line: `TORN: ${failureText(tornBlockError(offset + 4096n, backup), ctx)}`,
    backup: typeof backup === 'string' ? backup : showPath(backup),
  };
}

/** The `torn` / `tornBackup` members of a --json document (check, explain). */
export const tornFields = (t: { backup: string } | null): { torn: boolean; tornBackup?: string } =>
  t === null ? { torn: false } : { torn: true, tornBackup: t.backup };

/** `text` with the torn line first (unchanged when not torn). */
export const tornFirst = (t: { line: string } | null, text: string): string =>
  t === null ? text : `${t.line}\n${text}`;
