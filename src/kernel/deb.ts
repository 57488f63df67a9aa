/**
 * The Debian kernel package(s) a boot uses: found in the cache (or fetched with `apt-get download`),
 * then unpacked once with `dpkg-deb -x` into `<cache>/kernels/<deb name>/`: vmlinuz, the needed
 * modules decompressed, modules.builtin and the release name, built in a private directory and renamed
 * into place whole.
 */

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { cacheDir, exists } from './cache';
import { KERNEL_SETUP_HINT, KernelHarnessError } from './errors';
import { findOnPath, requireTool } from './host-tools';
import { cachedKernelDebs, DEFAULT_KERNEL, downloadKernelDebs, KERNEL_PACKAGES, type KernelVersion } from './kernels';
import {
  builtinModules,
  CRC32C_PROVIDERS,
  DAX_FILESYSTEMS,
  indexModules,
  REQUIRED_MODULES,
  resolveModules,
} from './modules';

const execFileP = promisify(execFile);

/** Where the kernel package comes from. */
export interface DebOptions {
  /** Overrides the cache directory. */
  cacheDir?: string;
  /** Called with one-line progress messages (downloads, extraction). */
  log?: (line: string) => void;
  /** Debian kernel version to boot (default 6.1). */
  kernel?: KernelVersion;
}

/** The packages of the kernel to boot (one .deb, or image + modules for kernels split in two). */
export interface KernelDebs {
  version: KernelVersion | null;
  debs: string[];
}

/**
 * Path(s) of the kernel package(s): $ND_INFOBLOCK_KERNEL_DEB (when no version
 * is asked for), else the newest cached package of the version (default 6.1)
 * in <cache>/debs, else one fetched there with `apt-get download` through a
 * private apt configuration.
 */
export async function locateKernelDebs(opts: DebOptions = {}): Promise<KernelDebs> {
  const envDeb = process.env['ND_INFOBLOCK_KERNEL_DEB'];
  if (opts.kernel === undefined && envDeb !== undefined && envDeb !== '') {
    if (!(await exists(envDeb)))
      throw new KernelHarnessError('kernel-missing', `ND_INFOBLOCK_KERNEL_DEB=${envDeb} does not exist`);
    return { version: null, debs: [path.resolve(envDeb)] };
  }
  const cache = opts.cacheDir ?? cacheDir();
  const debs = path.join(cache, 'debs');
  const version = opts.kernel ?? DEFAULT_KERNEL;
  let spec = KERNEL_PACKAGES[version];
  const envPkg = process.env['ND_INFOBLOCK_KERNEL_PKG'];
  if (opts.kernel === undefined && envPkg !== undefined && envPkg !== '') {
    spec = { ...spec, image: new RegExp(`^${envPkg.replace(/[.+]/g, '\\$&')}$`) };
  }
  const found = await cachedKernelDebs(debs, spec);
  if (found !== null) return { version, debs: found };
  const aptGet = await findOnPath('apt-get');
  const aptCache = await findOnPath('apt-cache');
  if (aptGet === null || aptCache === null) {
    throw new KernelHarnessError(
      'kernel-missing',
      `no Linux ${version} package in ${debs} and no apt-get to fetch it: ` +
        `run ${KERNEL_SETUP_HINT} --kernels ${version} on a Debian machine`,
    );
  }
  return { version, debs: await downloadKernelDebs(cache, debs, spec, aptGet, aptCache, opts.log) };
}

/** Path of the kernel .deb (the image package; see locateKernelDebs). */
export async function locateKernelDeb(opts: DebOptions = {}): Promise<string> {
  const { debs } = await locateKernelDebs(opts);
  return debs[0] ?? '';
}

/** The extracted kernel: its image, its modules directory and its release. */
export interface Extracted {
  kernelImage: string;
  modulesDir: string;
  release: string | null;
}

/** vmlinuz in an unpacked package: boot/vmlinuz-* (up to 6.12) or usr/lib/modules/<release>/vmlinuz* (7.x). */
async function findVmlinuz(root: string): Promise<string | null> {
  const boot = (await fs.readdir(path.join(root, 'boot')).catch(() => [] as string[])).find((n) =>
    n.startsWith('vmlinuz'),
  );
  if (boot !== undefined) return path.join(root, 'boot', boot);
  for (const tree of ['usr/lib/modules', 'lib/modules']) {
    for (const rel of await fs.readdir(path.join(root, tree)).catch(() => [] as string[])) {
      const v = (await fs.readdir(path.join(root, tree, rel)).catch(() => [] as string[])).find((n) =>
        n.startsWith('vmlinuz'),
      );
      if (v !== undefined) return path.join(root, tree, rel, v);
    }
  }
  return null;
}

/** The modules tree (lib/modules/<release>) of an unpacked package, and its release name. */
async function findModulesTree(root: string): Promise<{ tree: string; release: string } | null> {
  for (const cand of ['lib/modules', 'usr/lib/modules']) {
    for (const rel of await fs.readdir(path.join(root, cand)).catch(() => [] as string[])) {
      if (await exists(path.join(root, cand, rel, 'kernel'))) return { tree: path.join(root, cand, rel), release: rel };
    }
  }
  return null;
}

/** The extracted kernel directory holds the DAX guest's modules too (older caches lack them). */
const DAX_READY = 'ready-dax';

/** Extract vmlinuz and the needed modules from the kernel .deb(s) (cached by the image package's name). */
export async function extractDebs(
  debs: readonly string[],
  cache: string,
  log?: (line: string) => void,
): Promise<Extracted> {
  const first = debs[0] ?? '';
  const dir = path.join(cache, 'kernels', path.basename(first, '.deb'));
  const kernelImage = path.join(dir, 'vmlinuz');
  const modulesDir = path.join(dir, 'modules');
  const readRelease = async (): Promise<string | null> => {
    const r = (await fs.readFile(path.join(dir, 'release'), 'utf8').catch(() => '')).trim();
    return r === '' ? null : r;
  };
  const complete = async (): Promise<boolean> =>
    (await exists(path.join(dir, 'ready'))) && (await exists(path.join(dir, DAX_READY))) && exists(kernelImage);
  if (await complete()) return { kernelImage, modulesDir, release: await readRelease() };
  const dpkgDeb = await requireTool('dpkg-deb', 'dpkg');
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // Build the result in a private directory and rename it into place, so that
  // parallel workers never see (or delete) a half-built kernel directory.
  const tmp = await fs.mkdtemp(path.join(path.dirname(dir), 'extract-'));
  try {
    const root = path.join(tmp, 'root');
    const stage = path.join(tmp, 'stage');
    for (const deb of debs) {
      log?.(`extracting ${path.basename(deb)}...`);
      await execFileP(dpkgDeb, ['-x', deb, root], { maxBuffer: 16 << 20 });
    }
    const vmlinuz = await findVmlinuz(root);
    if (vmlinuz === null)
      throw new KernelHarnessError(
        'kernel-missing',
        `${debs.map((d) => path.basename(d)).join(' + ')} hold no vmlinuz`,
      );
    const tree = await findModulesTree(root);
    if (tree === null)
      throw new KernelHarnessError(
        'module-missing',
        `${debs.map((d) => path.basename(d)).join(' + ')} hold no lib/modules/<release>/kernel tree`,
      );
    const builtinText = await fs.readFile(path.join(tree.tree, 'modules.builtin'), 'utf8').catch(() => '');
    const builtin = builtinModules(builtinText);
    const mods = await resolveModules(tree.tree, REQUIRED_MODULES, builtin);
    // The DAX guest's filesystems, their dependencies and a crc32c provider, where the package has them.
    const index = await indexModules(tree.tree);
    const wanted = [...CRC32C_PROVIDERS, ...DAX_FILESYSTEMS].filter((m) => index.has(m));
    for (const m of await resolveModules(tree.tree, wanted, builtin).catch(() => []))
      if (!mods.some((x) => x.name === m.name)) mods.push(m);
    await fs.mkdir(path.join(stage, 'modules'), { recursive: true });
    await fs.writeFile(path.join(stage, 'modules.builtin'), builtinText);
    await fs.copyFile(vmlinuz, path.join(stage, 'vmlinuz'));
    for (const m of mods) await fs.writeFile(path.join(stage, 'modules', `${m.name}.ko`), m.data);
    await fs.writeFile(path.join(stage, 'release'), `${tree.release}\n`);
    await fs.writeFile(path.join(stage, 'ready'), `${debs.map((d) => path.basename(d)).join('\n')}\n`);
    await fs.writeFile(path.join(stage, DAX_READY), '');
    if (await exists(dir)) {
      // Another process won.
      if (await complete()) return { kernelImage, modulesDir, release: await readRelease() };
      await fs.rm(dir, { recursive: true, force: true }); // a stale, unfinished directory
    }
    try {
      await fs.rename(stage, dir);
    } catch (e: unknown) {
      if (!(await complete())) throw e;
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return { kernelImage, modulesDir, release: await readRelease() };
}
