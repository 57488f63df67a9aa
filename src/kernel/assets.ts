/**
 * Kernel assets for the real-kernel harness: everything a boot needs, put together from the Debian
 * kernel package (deb.ts: found or fetched, then unpacked), the modules it needs (modules.ts) and the
 * cached initramfs the guest boots (initramfs.ts), or from a kernel image and modules directory of the
 * user's. Nothing is installed into /boot.
 *
 * Cache layout (default ~/.cache/nd-infoblock, env ND_INFOBLOCK_CACHE):
 *
 * ```
 * debs/linux-image-*.deb          downloaded packages (scripts/kernel/setup.sh uses the same place)
 * kernels/<deb name>/vmlinuz      extracted kernel
 * kernels/<deb name>/modules/*.ko the needed modules, decompressed
 * initramfs/<sha256 prefix>.cpio.gz
 * ```
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { cacheDir, exists } from './cache';
import { daxProbeProgram } from './dax-probe';
import { extractDebs, locateKernelDebs, type DebOptions } from './deb';
import { KERNEL_SETUP_HINT, KernelHarnessError } from './errors';
import { buildInitramfs } from './initramfs';
import { type KernelVersion } from './kernels';
import { builtinModules, daxModuleNames, resolveModules, type KernelModule } from './modules';
import { expectOptions } from '../format/guard';

/** Everything a boot needs. */
export interface KernelAssets {
  /** Path of the kernel image (bzImage) QEMU boots with -kernel. */
  kernelImage: string;
  /** Path of the gzip'ed newc initramfs. */
  initramfs: string;
  /** Module names in load order (dependencies first). */
  modules: string[];
  /** Where the kernel came from: the .deb path(s), or the user's kernel image. */
  source: string;
  /** The kernel release (`uname -r`, e.g. 6.1.0-56-amd64), from the modules tree; null when unknown. */
  release: string | null;
}

/** Where the kernel comes from (see DebOptions for the Debian package's) and which guest to build. */
export interface AssetOptions extends DebOptions {
  /** A kernel image to boot instead of the Debian package's. Requires modulesDir. */
  kernelImage?: string;
  /** A directory searched recursively for the modules (.ko, .ko.xz, .ko.zst, .ko.gz). */
  modulesDir?: string;
  /** Debian kernel version to boot (default 6.1). Ignored with kernelImage. */
  kernel?: KernelVersion;
  /** Build the DAX guest: the filesystem modules, the DAX probe program and the DAX section of /init. */
  dax?: boolean;
}

/** The modules directory extracted beside a Debian package's kernel image. */
const modulesDirOf = (kernelImage: string): string => path.join(path.dirname(kernelImage), 'modules');

/**
 * Everything a boot needs, fetched/extracted/built on first use and cached.
 * With kernelImage + modulesDir the Debian package is not used at all.
 */
export async function prepareKernelAssets(opts: AssetOptions = {}): Promise<KernelAssets> {
  expectOptions(opts, 'opts', true);
  const cache = opts.cacheDir ?? cacheDir();
  await fs.mkdir(cache, { recursive: true });
  if ((opts.kernelImage === undefined) !== (opts.modulesDir === undefined)) {
    const missing = opts.kernelImage === undefined ? { kernelImage: '<PATH>' } : { modulesDir: '<DIR>' };
    throw new KernelHarnessError('kernel-missing', 'a kernel image and its modules directory go together', {
      hint: { pass: missing },
    });
  }
  let kernelImage: string;
  let modules: KernelModule[];
  let source: string;
  let release: string | null = null;
  if (opts.kernelImage !== undefined && opts.modulesDir !== undefined) {
    kernelImage = path.resolve(opts.kernelImage);
    if (!(await exists(kernelImage)))
      throw new KernelHarnessError('kernel-missing', `kernel image ${kernelImage} does not exist`);
    if (!(await exists(opts.modulesDir)))
      throw new KernelHarnessError('module-missing', `modules directory ${opts.modulesDir} does not exist`);
    modules = await resolveModules(path.resolve(opts.modulesDir)).catch((e: unknown) => {
      if (!(e instanceof KernelHarnessError)) throw e;
      throw new KernelHarnessError(
        e.code,
        `${e.message}: the modules directory must be the lib/modules/<release> tree built with this kernel`,
        { cause: e, hint: { pass: { modulesDir: '<DIR>' } } },
      );
    });
    source = kernelImage;
  } else {
    const { version, debs } = await locateKernelDebs({ ...opts, cacheDir: cache });
    const ex = await extractDebs(debs, cache, opts.log);
    kernelImage = ex.kernelImage;
    modules = await resolveModules(ex.modulesDir).catch((e: unknown) => {
      if (!(e instanceof KernelHarnessError)) throw e;
      const again =
        version === null
          ? 'set ND_INFOBLOCK_KERNEL_DEB to a complete kernel package'
          : `remove ${path.dirname(ex.kernelImage)} and run ${KERNEL_SETUP_HINT} --kernels ${version}`;
      throw new KernelHarnessError(e.code, `${e.message}: ${again}`, { cause: e });
    });
    source = debs.join(' + ');
    release = ex.release;
  }
  let probe: Buffer | null = null;
  if (opts.dax === true) {
    const dir = opts.modulesDir !== undefined ? path.resolve(opts.modulesDir) : modulesDirOf(kernelImage);
    const builtinText = await fs.readFile(path.join(dir, 'modules.builtin'), 'utf8').catch(() => '');
    const builtin = builtinModules(builtinText);
    for (const m of await resolveModules(dir, await daxModuleNames(dir, builtin), builtin))
      if (!modules.some((x) => x.name === m.name)) modules.push(m);
    probe = await daxProbeProgram(cache, opts.log);
  }
  const initramfs = await buildInitramfs(cache, modules, opts.log, probe);
  return { kernelImage, initramfs, modules: modules.map((m) => m.name), source, release };
}
