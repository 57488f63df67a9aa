/**
 * Kernel assets for the real-kernel harness: the Debian kernel package (found
 * in the cache or fetched with `apt-get download`), the vmlinuz and nvdimm
 * modules extracted from it, and the cached initramfs (static busybox + /init
 * + modules) that the guest boots. Nothing is installed into /boot.
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

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

import { writeCpioNewc, type CpioEntry } from './cpio';
import { daxProbeProgram } from './dax-probe';
import { findOnPath, isStaticElf } from './host-tools';

export { findOnPath, isStaticElf } from './host-tools';
import { APT_INSTALL_HINT, KERNEL_SETUP_HINT, KernelHarnessError } from './errors';
import { DAX_PROBE_PATH, guestInitScript } from './init-script';
import { cachedKernelDebs, DEFAULT_KERNEL, downloadKernelDebs, KERNEL_PACKAGES, type KernelVersion } from './kernels';

export { compareVersions } from './kernels';

const execFileP = promisify(execFile);

/** Modules the guest loads, in this order (their dependencies are added before them). */
export const REQUIRED_MODULES: readonly string[] = ['libnvdimm', 'nd_btt', 'nd_pmem', 'nfit', 'device_dax', 'dax_pmem'];
/**
 * The filesystems a DAX guest mounts (after REQUIRED_MODULES). ext4 must be there (as a module or built
 * in); xfs is loaded when the package has it.
 */
export const DAX_FILESYSTEMS: readonly string[] = ['ext4', 'xfs'];
/**
 * Providers of the crc32c algorithm that ext4 and xfs look up by name when they start (a soft dependency:
 * no symbol ties them, so a module's depends= list does not name them): loaded first where present.
 */
export const CRC32C_PROVIDERS: readonly string[] = ['crc32c_generic', 'crc32c_cryptoapi'];

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

export interface AssetOptions {
  /** A kernel image to boot instead of the Debian package's. Requires modulesDir. */
  kernelImage?: string;
  /** A directory searched recursively for the modules (.ko, .ko.xz, .ko.zst, .ko.gz). */
  modulesDir?: string;
  /** Overrides the cache directory. */
  cacheDir?: string;
  /** Called with one-line progress messages (downloads, extraction). */
  log?: (line: string) => void;
  /** Debian kernel version to boot (default 6.1). Ignored with kernelImage. */
  kernel?: KernelVersion;
  /** Build the DAX guest: the filesystem modules, the DAX probe program and the DAX section of /init. */
  dax?: boolean;
}

/** The cache directory: $ND_INFOBLOCK_CACHE, else ~/.cache/nd-infoblock. */
export function cacheDir(): string {
  const env = process.env['ND_INFOBLOCK_CACHE'];
  if (env !== undefined && env !== '') return path.resolve(env);
  return path.join(os.homedir(), '.cache', 'nd-infoblock');
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function requireTool(cmd: string, pkg: string): Promise<string> {
  const p = await findOnPath(cmd);
  if (p === null)
    throw new KernelHarnessError('tool-missing', `${cmd} not found: install it with apt-get install -y ${pkg}`);
  return p;
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
export async function locateKernelDebs(opts: AssetOptions = {}): Promise<KernelDebs> {
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
export async function locateKernelDeb(opts: AssetOptions = {}): Promise<string> {
  const { debs } = await locateKernelDebs(opts);
  return debs[0] ?? '';
}

/** Map module name (with '-' read as '_') → file, for every module under dir. */
async function indexModules(dir: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const ent of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else {
        const m = /^(.+)\.ko(\.(xz|zst|gz))?$/.exec(ent.name);
        if (m?.[1] !== undefined) {
          const name = m[1].replace(/-/g, '_');
          if (!index.has(name)) index.set(name, p);
        }
      }
    }
  };
  await walk(dir);
  return index;
}

// @internal: Node Buffers; kept out of the published type declarations.
/** The bytes of a module file, decompressed (.xz needs xz, .zst needs zstd). */
export async function readModule(file: string): Promise<Buffer> {
  if (file.endsWith('.ko')) return fs.readFile(file);
  if (file.endsWith('.gz')) return zlib.gunzipSync(await fs.readFile(file));
  const [tool, pkg] = file.endsWith('.xz') ? ['xz', 'xz-utils'] : ['zstd', 'zstd'];
  const bin = await requireTool(tool, pkg);
  const { stdout } = await execFileP(bin, ['-dc', file], { encoding: 'buffer', maxBuffer: 256 << 20 });
  return stdout;
}

// @internal: Node Buffers; kept out of the published type declarations.
/** The `depends=` list from a module's .modinfo strings. */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=', 'ascii');
  const at = ko.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = ko.indexOf(0, start);
  const list = ko.subarray(start, end < 0 ? undefined : end).toString('ascii');
  return list === ''
    ? []
    : list
        .split(',')
        .map((s) => s.trim().replace(/-/g, '_'))
        .filter((s) => s !== '');
}

// @internal: Node Buffers; kept out of the published type declarations.
/**
 * Resolve the required modules and their dependencies in `dir`, returning
 * decompressed bytes in load order (dependencies first).
 */
export async function resolveModules(
  dir: string,
  required: readonly string[] = REQUIRED_MODULES,
  builtin: ReadonlySet<string> = new Set(),
): Promise<{ name: string; data: Buffer }[]> {
  const index = await indexModules(dir);
  const out: { name: string; data: Buffer }[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = async (name: string, wantedBy: string | null): Promise<void> => {
    if (done.has(name) || visiting.has(name) || builtin.has(name)) return;
    const file = index.get(name);
    if (file === undefined) {
      const why = wantedBy === null ? '' : ` (needed by ${wantedBy})`;
      throw new KernelHarnessError('module-missing', `kernel module ${name}${why} not found under ${dir}`);
    }
    visiting.add(name);
    const data = await readModule(file);
    for (const dep of moduleDepends(data)) await visit(dep, name);
    visiting.delete(name);
    done.add(name);
    out.push({ name, data });
  };
  for (const m of required) await visit(m, null);
  return out;
}

// @internal: Node Buffers; kept out of the published type declarations.
/** The static busybox to put in the initramfs: $ND_INFOBLOCK_BUSYBOX or /bin/busybox. */
export async function locateBusybox(): Promise<Buffer> {
  const env = process.env['ND_INFOBLOCK_BUSYBOX'];
  const candidates =
    env !== undefined && env !== ''
      ? [env]
      : ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox'];
  for (const c of candidates) {
    let buf: Buffer;
    try {
      buf = await fs.readFile(c);
    } catch {
      continue;
    }
    if (isStaticElf(buf)) return buf;
  }
  throw new KernelHarnessError(
    'busybox-missing',
    `no statically linked busybox found (${candidates.join(', ')}): ${APT_INSTALL_HINT}`,
  );
}

async function writeAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

interface Extracted {
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

/** Module names (with '-' read as '_') listed in a modules.builtin file's text. */
export function builtinModules(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /([^/]+)\.ko$/.exec(line.trim());
    if (m?.[1] !== undefined) out.add(m[1].replace(/-/g, '_'));
  }
  return out;
}

/** The extracted kernel directory holds the DAX guest's modules too (older caches lack them). */
const DAX_READY = 'ready-dax';

/**
 * The modules a DAX guest adds, in load order: a crc32c provider where the package has one, then the
 * filesystems (each with its dependencies; built-in ones are skipped).
 */
async function daxModuleNames(modulesDir: string, builtin: ReadonlySet<string>): Promise<string[]> {
  const present = new Set((await indexModules(modulesDir)).keys());
  const has = (m: string): boolean => present.has(m) || builtin.has(m);
  if (!has('ext4'))
    throw new KernelHarnessError(
      'module-missing',
      `the kernel package has no ext4 module (neither a module file nor built in), which the DAX probe mounts: ` +
        `use a kernel package that has it`,
    );
  return [...CRC32C_PROVIDERS.filter((m) => present.has(m)), ...DAX_FILESYSTEMS.filter(has)];
}

/** Extract vmlinuz and the needed modules from the kernel .deb(s) (cached by the image package's name). */
async function extractDebs(debs: readonly string[], cache: string, log?: (line: string) => void): Promise<Extracted> {
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

/** The modules directory extracted beside a Debian package's kernel image. */
const modulesDirOf = (kernelImage: string): string => path.join(path.dirname(kernelImage), 'modules');

/** Build (or reuse) the initramfs for these modules. */
async function buildInitramfs(
  cache: string,
  modules: { name: string; data: Buffer }[],
  log?: (line: string) => void,
  daxProbe: Buffer | null = null,
): Promise<string> {
  const busybox = await locateBusybox();
  const init = guestInitScript(
    modules.map((m) => m.name),
    daxProbe !== null,
  );
  const h = createHash('sha256');
  h.update(init).update(busybox);
  if (daxProbe !== null) h.update(daxProbe);
  for (const m of modules) h.update(m.name).update(m.data);
  const dir = path.join(cache, 'initramfs');
  const file = path.join(dir, `${h.digest('hex').slice(0, 16)}.cpio.gz`);
  if (await exists(file)) return file;
  log?.('building initramfs...');
  const entries: CpioEntry[] = [
    { kind: 'dir', name: 'bin' },
    { kind: 'dir', name: 'dev' },
    { kind: 'chardev', name: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', name: 'proc' },
    { kind: 'dir', name: 'sys' },
    { kind: 'dir', name: 'tmp' },
    { kind: 'dir', name: 'mnt' },
    { kind: 'dir', name: 'lib' },
    { kind: 'dir', name: 'lib/modules' },
    { kind: 'file', name: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', name: 'bin/sh', target: 'busybox' },
    { kind: 'file', name: 'init', data: Buffer.from(init, 'utf8'), mode: 0o755 },
    ...modules.map((m): CpioEntry => ({ kind: 'file', name: `lib/modules/${m.name}.ko`, data: m.data })),
    ...(daxProbe === null
      ? []
      : [{ kind: 'file', name: DAX_PROBE_PATH.slice(1), data: daxProbe, mode: 0o755 } satisfies CpioEntry]),
  ];
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(file, zlib.gzipSync(writeCpioNewc(entries), { level: 6 }));
  return file;
}

/**
 * Everything a boot needs, fetched/extracted/built on first use and cached.
 * With kernelImage + modulesDir the Debian package is not used at all.
 */
export async function prepareKernelAssets(opts: AssetOptions = {}): Promise<KernelAssets> {
  const cache = opts.cacheDir ?? cacheDir();
  await fs.mkdir(cache, { recursive: true });
  if ((opts.kernelImage === undefined) !== (opts.modulesDir === undefined)) {
    const missing = opts.kernelImage === undefined ? { kernelImage: '<PATH>' } : { modulesDir: '<DIR>' };
    throw new KernelHarnessError('kernel-missing', 'a kernel image and its modules directory go together', {
      hint: { pass: missing },
    });
  }
  let kernelImage: string;
  let modules: { name: string; data: Buffer }[];
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

/** Run a command, resolving with its exit code (used by the harness for cp). */
export function runQuiet(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
}
