// The one temp-dir fixture: a fresh directory per test file, removed after
// it (kept when ND_KEEP_TMP is set, for a post-mortem).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TmpDir {
  /** The directory (valid inside tests and hooks, after beforeAll ran). */
  readonly dir: string;
  /** A path inside it. */
  path(...parts: string[]): string;
  /** Write `bytes` to a file inside it and return its path. */
  file(name: string, bytes: Uint8Array | string): string;
}

/** Registers beforeAll/afterAll hooks that make and remove `$TMPDIR/ib-<label>-XXXXXX`. */
export function useTmpDir(label: string): TmpDir {
  let dir: string | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `ib-${label}-`));
  });
  afterAll(() => {
    if (dir !== undefined && process.env['ND_KEEP_TMP'] === undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  const here = (): string => {
    if (dir === undefined) throw new Error('useTmpDir: the directory exists only inside tests and hooks');
    return dir;
  };
  return {
    get dir() {
      return here();
    },
    path: (...parts) => path.join(here(), ...parts),
    file: (name, bytes) => {
      const p = path.join(here(), name);
      fs.writeFileSync(p, bytes);
      return p;
    },
  };
}
