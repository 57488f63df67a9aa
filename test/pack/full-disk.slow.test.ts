// pack and unpack on a full file system (a real tmpfs, root): exit 2 with one
// line, no output under its name and no temporary file left, whichever copy
// ran out of room (the system's cp, then the zero-skipping fallback).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRoot, mountTmpfs, unavailable, unmount } from '../support/adversarial';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('pack-full');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) unmount(m);
});

/** An ext4 image with 12 MiB of data that does not compress to holes. */
function denseExt4(): string {
  const root = tmp.path('root');
  fs.mkdirSync(root, { recursive: true });
  const blob = Buffer.alloc(12 << 20);
  for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
  fs.writeFileSync(path.join(root, 'blob'), blob);
  const img = tmp.path('dense.ext4');
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, img, '32M'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return img;
}

test.each([['pack'], ['unpack']])('%s onto a full tmpfs: exit 2, nothing under any name', async (cmd) => {
  const m = mountTmpfs('8m');
  if (m === null) {
    unavailable(isRoot() ? 'a tmpfs mount' : 'root (tmpfs mounts)');
    return;
  }
  mounts.push(m);
  const ext4 = denseExt4();
  let input = ext4;
  if (cmd === 'unpack') {
    input = tmp.path('dense.pmem');
    expect((await run(['pack', ext4, '-o', input, '--force'])).code).toBe(0);
  }
  const out = path.join(m, 'out.img');
  const r = await run([cmd, input, '-o', out]);
  expect([r.code, r.errLines.length]).toEqual([2, 1]);
  expect(r.errLines[0]).toMatch(
    /^infoblock: cannot write '.*out\.img': no space left on the device .*; free some space and try again$/,
  );
  expect(fs.readdirSync(m)).toEqual([]);
});
