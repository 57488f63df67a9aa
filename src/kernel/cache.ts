/**
 * The kernel harness's cache directory (downloaded packages, extracted kernels, built initramfs images
 * and programs), and whether a cached file is there.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The cache directory: $ND_INFOBLOCK_CACHE, else ~/.cache/nd-infoblock. */
export function cacheDir(): string {
  const env = process.env['ND_INFOBLOCK_CACHE'];
  if (env !== undefined && env !== '') return path.resolve(env);
  return path.join(os.homedir(), '.cache', 'nd-infoblock');
}

/** Whether a path exists (any kind of file). */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
