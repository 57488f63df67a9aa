/**
 * `infoblock restore`: put back what migrate, rebase, recover or realign
 * replaced, from the backup record each wrote first. Exit status: 0 restored
 * (or already the original), 1 refused (backup corrupt or foreign, other
 * offset, block or head changed since), 2 usage and I/O errors.
 */
import type { Command } from 'commander';
import { hex } from '../format/units';
import { restoreTarget, type RestoreResult } from '../migrate/apply';
import { escapeText } from '../format/escape';
import { pathText, type FilePath } from '../io/path';
import { checkRegularOrAbsent } from '../io/files';
import { defaultRealignBackupPath, isRealignBackupFile, restoreRealign } from '../migrate/realign';
import { contextOf, REFUSALS, refusing } from './hints';
import { jsonText } from '../format/json';
import { UsageError, type CliIo } from './io';
import { parseNsBase, parsePosition } from './options';

interface RestoreOpts {
  backup?: string;
  offset?: string;
  nsBase?: string;
  nsSize?: string;
  force?: boolean;
  json?: boolean;
}

function restoreText(target: string, r: RestoreResult): string {
  if (r.status === 'unchanged')
    return (
      `${pathText(target)}: the head at ${hex(r.record.offset)} already holds the backed-up bytes; ` +
      `nothing written\n`
    );
  return (
    `${pathText(target)}: restored ${r.bytes} bytes at ${hex(r.position)} from ${pathText(r.backupPath)} ` +
    `(taken ${r.record.created}), read back and verified\n`
  );
}

function restoreJson(target: string, r: RestoreResult): string {
  const body = {
    file: target,
    backup: pathText(r.backupPath),
    status: r.status,
    bytes: r.bytes,
    position: r.position,
    offset: r.record.offset,
    nsBase: r.record.nsBase,
    nsSize: r.record.nsSize,
    backupCreated: r.record.created,
    backupFrom: r.record.from,
    backupTo: r.record.to,
  };
  return `${jsonText('restore', body)}\n`;
}

/** Whether the backup restore would read is a realignment's record (given, or the only one beside TARGET). */
function realignBackupOf(target: string, o: RestoreOpts): FilePath | null {
  const given = o.backup;
  if (given !== undefined) return isRealignBackupFile(given) ? given : null;
  // The path itself, not its escaped text: a name with a quote or a newline must still be found.
  const realign = defaultRealignBackupPath(target);
  return !checkRegularOrAbsent(`${target}.infoblock-backup`, 'backup') && isRealignBackupFile(realign) ? realign : null;
}

function restoreRealignAction(io: CliIo, target: string, backup: FilePath, o: RestoreOpts): void {
  if (o.offset !== undefined || o.nsBase !== undefined || o.nsSize !== undefined)
    throw new UsageError('a realign backup names its own places: drop --offset, --ns-base and --ns-size');
  const r = refusing(
    io,
    contextOf(target, o),
    () =>
      restoreRealign({
        target,
        backup,
        force: o.force === true,
        warn: (line) => io.stderr(`infoblock: warning: ${line}\n`),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
      }),
    REFUSALS,
    o.json === true,
  );
  // The record's strings (uuid, date) are shown escaped like the paths: a record is read, not trusted to be tidy.
  const moved = r.record.namespaces.map((n) => `${escapeText(n.uuid)} back to dpa ${hex(n.dpa)} size ${hex(n.size)}`);
  if (o.json === true) {
    const body = {
      file: target,
      backup: typeof backup === 'string' ? backup : pathText(backup),
      status: r.status,
      bytes: r.bytes,
      position: r.record.writes[0]?.position ?? 0n,
      offset: 0n,
      nsBase: 0n,
      nsSize: r.record.target.size - r.record.labelSize,
      backupCreated: r.record.created,
      backupFrom: 'labelled namespaces with start_pad',
      backupTo: 'realigned',
    };
    io.stdout(`${jsonText('restore', body)}\n`);
  } else if (r.status === 'unchanged') {
    io.stdout(`${pathText(target)}: the labels and blocks already hold the backed-up bytes; nothing written\n`);
  } else {
    io.stdout(
      `${pathText(target)}: restored ${r.bytes} bytes of labels and blocks from ${pathText(backup)} ` +
        `(taken ${escapeText(r.record.created)}), ` +
        `index first, read back and verified: ${moved.join('; ')}\n`,
    );
  }
}

function restoreAction(io: CliIo, target: string, o: RestoreOpts): void {
  const realign = realignBackupOf(target, o);
  if (realign !== null) return restoreRealignAction(io, target, realign, o);
  const r = refusing(
    io,
    contextOf(target, o),
    () =>
      restoreTarget({
        target,
        force: o.force === true,
        warn: (line) => io.stderr(`infoblock: warning: ${line}\n`),
        ...(o.backup === undefined ? {} : { backup: o.backup }),
        ...(o.offset === undefined ? {} : { offset: parsePosition(o.offset, 'offset') }),
        ...(o.nsBase === undefined ? {} : { nsBase: parseNsBase(o.nsBase) }),
        ...(o.nsSize === undefined ? {} : { nsSize: parsePosition(o.nsSize, 'namespace size') }),
        ...(io.faults === undefined ? {} : { faults: io.faults }),
        ...(io.env === undefined ? {} : { env: io.env }),
      }),
    REFUSALS,
    o.json === true,
  );
  io.stdout(o.json === true ? restoreJson(target, r) : restoreText(target, r));
}

export function registerRestore(program: Command, io: CliIo): void {
  program
    .command('restore')
    .description(
      'Put the head saved by migrate back: checks the backup (CRC-32, belongs to TARGET) and that the block ' +
        'it replaces is the one migrate wrote, the original or a torn mix of the two; one positioned write, ' +
        'verified.',
    )
    .argument('<TARGET>', 'image file or block device')
    .option(
      '--backup <FILE>',
      "backup record written by migrate, rebase, recover or realign (default: migrate's default for TARGET, " +
        'else TARGET.realign-backup)',
    )
    .option('--offset <BYTES>', "where the namespace starts inside TARGET (default: the backup's; must match it)")
    .option('--ns-base <ADDR>', 'physical address of the namespace (optional; must match the backup)')
    .option('--ns-size <BYTES>', 'namespace size (optional; must match the backup)')
    .option(
      '--force',
      'restore even over a block that changed since the migration (and the whole 8 KiB head when its first ' +
        '4 KiB changed)',
    )
    .option('--json', 'print the result as JSON (schemas/restore.schema.json)')
    .addHelpText(
      'after',
      '\nExit status: 0 restored (or already the original), 1 refused (backup corrupt or foreign, other ' +
        'offset, block or head changed since), 2 usage or I/O error.',
    )
    .action((target: string, o: RestoreOpts) => restoreAction(io, target, o));
}
