// replaceInfoBlock after an interrupted run that meant to write the same
// block: the first run's backup (the true original) is kept, the rerun
// finishes the write, and restore brings back the original, not the torn
// head the rerun found. Anything else at the backup path is still refused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfoblockError } from '../../src/format/errors';
import type { Faults, FaultStep } from '../../src/io/faults';
import { decodeBackup } from '../../src/replace/backup';
import { replaceInfoBlock } from '../../src/replace/replace';
import { restoreTarget } from '../../src/migrate/apply';
import { smallImage } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

class Interrupted extends Error {}

const tmp = useTmpDir('replace-int');
let dir: string;
beforeAll(() => {
  dir = tmp.dir;
});

const newBlock = (seed: number): Uint8Array => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + seed) & 0xff);

/** Stops the run at `step` (as a kill would: nothing after it runs), tearing the write after `tear` bytes. */
function stopAt(step: FaultStep, tear?: number): Faults {
  return {
    at: (s) => {
      if (s === step) throw new Interrupted(step);
    },
    ...(tear === undefined ? {} : { tear: () => tear }),
  };
}

/** Runs until the hook stops it (replaceInfoBlock may wrap the stop in an IoError naming the backup). */
function interrupted(target: string, block: Uint8Array, faults: Faults): void {
  let thrown: unknown;
  try {
    replaceInfoBlock({ target, plan: () => block, faults });
  } catch (e) {
    thrown = e;
  }
  const stop = thrown instanceof Interrupted ? thrown : (thrown as { cause?: unknown } | undefined)?.cause;
  expect(stop).toBeInstanceOf(Interrupted);
}

test.each<[string, FaultStep, number | undefined]>([
  ['mid-write, torn after 2048 bytes', 'mid-write', 2048],
  ['mid-write, torn after 1 byte', 'mid-write', 1],
  ['after-write', 'after-write', undefined],
  ['after-fsync', 'after-fsync', undefined],
])('interrupted %s: the rerun keeps the first backup and restore gives the original back', (_n, step, tear) => {
  const target = path.join(dir, `${step}-${tear ?? 'whole'}.img`);
  const original = smallImage(target);
  const block = newBlock(3);
  interrupted(target, block, stopAt(step, tear));
  const firstBackup = fs.readFileSync(`${target}.infoblock-backup`);
  const torn = fs.readFileSync(target);
  expect(torn.subarray(4096, 8192).equals(original.subarray(4096, 8192))).toBe(false);
  const warnings: string[] = [];
  const r = replaceInfoBlock({ target, plan: () => block, warn: (l) => warnings.push(l) });
  expect({ written: r.written, reused: r.backupReused }).toEqual({ written: true, reused: true });
  expect(
    warnings.some((w) => /interrupted writing this same block; its backup .* of the original is kept/.test(w)),
  ).toBe(true);
  expect(fs.readFileSync(`${target}.infoblock-backup`).equals(firstBackup)).toBe(true);
  expect(Buffer.from(decodeBackup(firstBackup).head).equals(original.subarray(0, 8192))).toBe(true);
  const after = fs.readFileSync(target);
  expect(after.subarray(4096, 8192).equals(block)).toBe(true);
  expect(after.subarray(0, 4096).equals(original.subarray(0, 4096))).toBe(true);
  expect(after.subarray(8192).equals(original.subarray(8192))).toBe(true);
  expect(restoreTarget({ target }).status).toBe('restored');
  expect(fs.readFileSync(target).equals(original)).toBe(true);
});

function refused(f: () => unknown): InfoblockError {
  try {
    f();
  } catch (e) {
    if (e instanceof InfoblockError) return e as InfoblockError;
    throw e;
  }
  throw new Error('not refused');
}

/**
 * A write of newBlock(3) to a fresh image interrupted half-way, the image then changed by `change`, and a
 * rerun that means `rerunBlock`: the image and backup before the rerun, and the rerun's refusal.
 */
function rerunAfterInterrupt(
  name: string,
  change: (target: string) => void,
  rerunBlock: Uint8Array,
): { target: string; before: Buffer; backup: Buffer; e: InfoblockError } {
  const target = path.join(dir, name);
  smallImage(target);
  interrupted(target, newBlock(3), stopAt('mid-write', 2048));
  change(target);
  const before = fs.readFileSync(target);
  const backup = fs.readFileSync(`${target}.infoblock-backup`);
  return { target, before, backup, e: refused(() => replaceInfoBlock({ target, plan: () => rerunBlock })) };
}

// The block is still the torn mix of the first run (the backup proves it): a rerun that means another block,
// or finds another first 4 KiB, is refused as torn, with restore as the way out, not as "a different backup"
// over a block said to still hold the original.
test.each([
  ['the rerun means a different block', (t: string) => void t, newBlock(9)],
  [
    'the first 4 KiB of the head changed since',
    (t: string) => {
      const fd = fs.openSync(t, 'r+');
      fs.writeSync(fd, Buffer.from('changed'), 0, 7, 100);
      fs.closeSync(fd);
    },
    newBlock(3),
  ],
])('after an interrupted write, %s: the block is torn, restore it; nothing written', (name, change, rerunBlock) => {
  const { target, before, backup, e } = rerunAfterInterrupt(`torn-${name.length}.img`, change, rerunBlock);
  expect(e.code).toBe('precondition');
  expect(e.message).toMatch(
    /^the info-block at 0x1000 is torn: it fails its checksum and a backup exists, .* that shows an earlier write of it was interrupted; that backup holds the only copy of the original: restore it$/,
  );
  expect(e.message).not.toMatch(/still holds the original/);
  expect(e.hint).toEqual({ run: { operation: 'restore', params: { backup: `${target}.infoblock-backup` } } });
  expect(fs.readFileSync(target).equals(before)).toBe(true);
  expect(fs.readFileSync(`${target}.infoblock-backup`).equals(backup)).toBe(true);
});

test.each([
  [
    'the block is neither the original, the intended one nor a mix of the two',
    (t: string) => {
      const fd = fs.openSync(t, 'r+');
      fs.writeSync(fd, Buffer.alloc(16, 0xee), 0, 16, 4096 + 3000);
      fs.closeSync(fd);
    },
    newBlock(3),
  ],
])('after an interrupted write, %s: the other backup is refused, nothing written', (name, change, rerunBlock) => {
  const { target, before, backup, e } = rerunAfterInterrupt(`refuse-${name.length}.img`, change, rerunBlock);
  expect(e.code).toBe('backup');
  expect(e.message).toMatch(/a different backup already exists/);
  expect(fs.readFileSync(target).equals(before)).toBe(true);
  expect(fs.readFileSync(`${target}.infoblock-backup`).equals(backup)).toBe(true);
});

test(
  'killed after the backup, a rerun that plans another block (a fresh uuid) reseals the backup; restore still ' +
    'undoes it',
  () => {
    const target = path.join(dir, 'after-backup.img');
    const original = smallImage(target);
    interrupted(target, newBlock(3), stopAt('after-backup'));
    expect(fs.readFileSync(target).equals(original)).toBe(true);
    const warnings: string[] = [];
    const r = replaceInfoBlock({ target, plan: () => newBlock(5), warn: (l) => warnings.push(l) });
    expect({ written: r.written, reused: r.backupReused }).toEqual({ written: true, reused: false });
    expect(warnings.some((w) => /for a block that was never written; it is rewritten/.test(w))).toBe(true);
    const rec = decodeBackup(fs.readFileSync(`${target}.infoblock-backup`));
    expect(Buffer.from(rec.head).equals(original.subarray(0, 8192))).toBe(true);
    expect(Buffer.from(rec.intended ?? []).equals(newBlock(5))).toBe(true);
    expect(restoreTarget({ target }).status).toBe('restored');
    expect(fs.readFileSync(target).equals(original)).toBe(true);
  },
);
