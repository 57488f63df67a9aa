// The 8 KiB head of a kernel-matrix case, built without booting anything:
// recipe heads directly, ndctl-sourced ones with the real `ndctl
// write-infoblock` into a sparse temp file (as the matrix does for its images).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits, headOf, type MatrixCase } from '../kernel/matrix-cases';

export function caseHead(c: MatrixCase): Uint8Array {
  let head = headOf(c);
  if (head === null && 'ndctl' in c.source) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-case-'));
    const file = path.join(dir, 'ns.img');
    try {
      fs.writeFileSync(file, '');
      fs.truncateSync(file, Number(c.size));
      execFileSync('ndctl', ['write-infoblock', '-o', file, '-s', c.size.toString(), ...c.source.ndctl], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      head = new Uint8Array(8192);
      const fd = fs.openSync(file, 'r');
      try {
        fs.readSync(fd, head, 0, Math.min(8192, Number(c.size)), 0);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (head === null) throw new Error(`case ${c.id}: no head source`);
  return applyEdits(c, head);
}
