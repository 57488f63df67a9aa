/**
 * The DAX probe program the DAX guest runs (C source: src/kernel/guest/dax-probe.c, our own code): built
 * once with the host's C compiler (`cc -static -O2`) into `<cache>/bin/ndib-dax-probe-<source hash>`, by
 * scripts/kernel/setup.sh or here on first use. Statically linked, because the initramfs has no C library.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { findOnPath, isStaticElf } from './host-tools';
import { KernelHarnessError } from './errors';

const execFileP = promisify(execFile);

/** What installs a C compiler and the static C library on Debian. */
export const COMPILER_INSTALL_HINT = 'apt-get install -y gcc libc6-dev';

/** Where the C source is: beside this module in src/, or under src/ from dist/. */
export async function daxProbeSource(): Promise<string | null> {
  for (const cand of [
    path.join(__dirname, 'guest', 'dax-probe.c'),
    path.join(__dirname, '..', '..', 'src', 'kernel', 'guest', 'dax-probe.c'),
  ]) {
    try {
      await fs.access(cand);
      return cand;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The cached program's file name for a source text: `ndib-dax-probe-` and the first 16 hex digits of its sha256. */
export function daxProbeName(source: string | Buffer): string {
  return `ndib-dax-probe-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`;
}

// @internal: Node Buffers; kept out of the published type declarations.
/** The static probe program's bytes: cached, else compiled now (a KernelHarnessError naming what is missing). */
export async function daxProbeProgram(cache: string, log?: (line: string) => void): Promise<Buffer> {
  const src = await daxProbeSource();
  if (src === null)
    throw new KernelHarnessError(
      'tool-missing',
      'the DAX probe program is not built and its C source (src/kernel/guest/dax-probe.c) is not installed: ' +
        'reinstall nd-infoblock',
    );
  const text = await fs.readFile(src);
  const bin = path.join(cache, 'bin', daxProbeName(text));
  const cached = await fs.readFile(bin).catch(() => null);
  if (cached !== null && isStaticElf(cached)) return cached;
  const cc = (await findOnPath('cc')) ?? (await findOnPath('gcc'));
  if (cc === null)
    throw new KernelHarnessError(
      'tool-missing',
      `no C compiler (cc) to build the DAX probe program: install one with ${COMPILER_INSTALL_HINT}`,
    );
  log?.('building the DAX probe program...');
  await fs.mkdir(path.dirname(bin), { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await execFileP(cc, ['-static', '-O2', '-o', tmp, src], { maxBuffer: 4 << 20 });
  } catch (e: unknown) {
    await fs.rm(tmp, { force: true });
    const stderr = (e as { stderr?: string }).stderr ?? '';
    const first = stderr.split('\n').find((l) => /error/.test(l)) ?? stderr.split('\n')[0] ?? '';
    throw new KernelHarnessError(
      'tool-missing',
      `cc -static could not build the DAX probe program (${first.trim() || 'no message'}): the static C ` +
        `library is missing? install it with ${COMPILER_INSTALL_HINT}`,
      { cause: e },
    );
  }
  await fs.rename(tmp, bin);
  const built = await fs.readFile(bin);
  if (!isStaticElf(built))
    throw new KernelHarnessError(
      'tool-missing',
      `${cc} -static built a dynamically linked program: ${COMPILER_INSTALL_HINT}`,
    );
  return built;
}
