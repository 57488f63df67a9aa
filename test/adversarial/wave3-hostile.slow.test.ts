// Issue 18's second hostile pass, the part that needs a real process: pack
// and unpack under a file-size limit (bash's ulimit -f, the brief's stand-in
// for a full file system when no tmpfs can be mounted). The built CLI must
// say why in one line, exit 2, and leave neither the output nor a temporary
// file behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { CLI, cli } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('wave3-hostile-slow');
let ext4 = '';
let pmem = '';

beforeAll(() => {
  ext4 = tmp.path('fs.ext4');
  const r = spawnSync('mkfs.ext4', ['-q', '-F', '-b', '4096', ext4, '8M'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfs.ext4: ${r.stderr}`);
  pmem = tmp.path('fs.pmem');
  expect(cli(['pack', ext4, '-o', pmem]).status).toBe(0);
});

/** The CLI run by bash with a file-size limit of `kib` KiB. */
function limited(kib: number, args: string[]): { status: number | null; lines: string[] } {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kib}; exec "$@"`, 'bash', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, lines: (r.stderr ?? '').split('\n').filter((l) => l !== '') };
}

// Before: the line blamed the file system alone ("the largest size the file system allows") and its fix
// did not name the limit that was hit.
test.each([
  ['pack', () => ['pack', ext4, '-o', tmp.path('limited.pmem')], 'limited.pmem'],
  ['unpack', () => ['unpack', pmem, '-o', tmp.path('limited.ext4')], 'limited.ext4'],
])('%s under ulimit -f 1024: exit 2, one line naming the limit, nothing left', (_n, args, out) => {
  const r = limited(1024, args());
  expect(r.status).toBe(2);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(
    new RegExp(
      `^infoblock: cannot write '.*${out.replace('.', '\\.')}': the file would exceed the largest size the file ` +
        `system allows \\(or the file-size limit of this process\\)[; ].*raise the limit \\(ulimit -f\\)$`,
    ),
  );
  expect(fs.readdirSync(tmp.dir).filter((n) => n.startsWith('limited') || n.includes('.tmp-'))).toEqual([]);
});
