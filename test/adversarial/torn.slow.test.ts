// Item 6 of issue 18: after a `recover --write` torn a few bytes into its
// 4 KiB write, the block fails its checksum and the backup is the only copy
// of the original. Every command that sees it says it is torn, with the
// restore command that puts the original back (recover's rerun used to say
// "nothing was written, it still holds the original block: move the backup
// away"), and that command, pasted, restores it. One function decides
// (isTornWrite), one error says it (tornBlockError).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CASES, buildImage, haveTools } from '../recover/fs-images';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';
import { describeIf } from '../support/skip';
import type { Faults } from '../../src/io/faults';

const tmp = useTmpDir('torn');
const c = CASES[0];

/** A power cut `bytes` into the block write: the process stops there (the in-process run sees an exception). */
const cutAfter = (bytes: number): Faults => ({
  at: (step) => {
    if (step === 'mid-write') throw new Error('power cut');
  },
  tear: () => bytes,
});

const TORN =
  /the info-block at 0x1000 is torn: it fails its checksum and a backup exists, '.*\.infoblock-backup', that shows an earlier write of it was interrupted; that backup holds the only copy of the original: restore it; run: (infoblock restore .*)$/;

const suite = describeIf(
  haveTools() && c !== undefined,
  'needs mkfs.ext4, mkfs.xfs and ndctl (scripts/kernel/setup.sh installs them)',
);
suite('a recover --write torn mid-block', () => {
  test.each([8, 16, 31, 2048])('torn after %i bytes: every command says torn and how to restore', async (bytes) => {
    if (c === undefined) throw new Error('no case');
    const img = await buildImage(c, path.join(tmp.dir, `t${bytes}.img`));
    const damaged = fs.readFileSync(img.file);
    const args = ['recover', img.file, '--ns-base', String(c.base), '--write'];
    const cut = await run(args, undefined, { faults: cutAfter(bytes) });
    expect(cut.code).not.toBe(0);
    const torn = fs.readFileSync(img.file);
    expect(torn.subarray(4096, 8192).equals(damaged.subarray(4096, 8192))).toBe(false);

    // recover's rerun: the same block finishes the write (exit 0), another one is refused as torn (exit 1).
    const rerun = await run(args);
    expect(rerun.stderr).not.toMatch(/still holds the original block/);
    if (rerun.code !== 0) {
      expect(rerun.code).toBe(1);
      expect(rerun.errLines.at(-1)).toMatch(TORN);
      fs.writeFileSync(img.file, torn); // unchanged anyway; the others see the same torn block
    } else {
      fs.writeFileSync(img.file, torn);
    }

    const check = await run(['check', img.file, '--ns-base', String(c.base)]);
    // The first line says it (every reader: check, explain, read; see torn-readers.test.ts).
    const line = check.out.split('\n')[0];
    expect(line?.startsWith('TORN: ')).toBe(true);
    expect(line).toMatch(TORN);

    const migrate = await run(['migrate', img.file, '--ns-base', String(c.base), '--to', 'map']);
    expect(migrate.code).toBe(1);
    expect(migrate.errLines.at(-1)).toMatch(TORN);

    // The command as printed, pasted into a shell, puts the damaged original back.
    const cmd = TORN.exec(line ?? '')?.[1] ?? '';
    const sh = spawnSync('bash', ['-c', cmd.replace(/^infoblock /, `${process.execPath} dist/cli.js `)], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
    });
    expect(sh.status).toBe(0);
    expect(fs.readFileSync(img.file).equals(damaged)).toBe(true);
  });
});
