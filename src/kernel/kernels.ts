/**
 * The Debian kernels the harness knows by version (5.10, 6.1, 6.12, 7.2) and
 * how their packages are fetched: `apt-get download` through a private apt
 * configuration (own sources list, lists and cache under the harness cache),
 * so that suites the machine's apt sources lack can be used without touching
 * the system's apt setup. Nothing is installed.
 *
 * Cache layout (under the harness cache directory):
 *   apt/<version>/sources.list, parts/, lists/, cache/   the private apt state
 *   debs/<package>_<version>_amd64.deb                    the downloaded packages
 */

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { BOOTED_KERNELS, DEFAULT_KERNEL } from '../validate/versions';
import { KernelHarnessError } from './errors';
import { expectString } from '../format/guard';

const execFileP = promisify(execFile);

/** The kernel versions the harness can fetch by name: the validator's booted kernels. */
export const KERNEL_VERSIONS = BOOTED_KERNELS;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];
export { DEFAULT_KERNEL };

const DEBIAN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** How one kernel version is found in Debian's archive. */
export interface KernelPackageSpec {
  version: KernelVersion;
  /** apt source lines (URI and suite; component main). */
  suites: { uri: string; suite: string }[];
  /** The package holding vmlinuz (and, except for 7.2, the modules). */
  image: RegExp;
  /** The package name(s) as a person reads them, for messages. */
  label: string;
  /** For kernels split in two packages: the modules package's name for an image package name. */
  modulesPackage?: (imagePackage: string) => string;
}

export const KERNEL_PACKAGES: Record<KernelVersion, KernelPackageSpec> = {
  '5.10': {
    version: '5.10',
    suites: [
      { uri: DEBIAN, suite: 'bullseye' },
      { uri: SECURITY, suite: 'bullseye-security' },
    ],
    image: /^linux-image-5\.10\.0-\d+-amd64-unsigned$/,
    label: 'linux-image-5.10.0-*-amd64-unsigned',
  },
  '6.1': {
    version: '6.1',
    suites: [
      { uri: DEBIAN, suite: 'bookworm' },
      { uri: SECURITY, suite: 'bookworm-security' },
    ],
    image: /^linux-image-6\.1\.0-\d+-amd64-unsigned$/,
    label: 'linux-image-6.1.0-*-amd64-unsigned',
  },
  '6.12': {
    version: '6.12',
    suites: [
      { uri: DEBIAN, suite: 'bookworm' },
      { uri: SECURITY, suite: 'bookworm-security' },
    ],
    image: /^linux-image-6\.12\.\d+\+deb12-amd64-unsigned$/,
    label: 'linux-image-6.12.*+deb12-amd64-unsigned',
  },
  '7.2': {
    version: '7.2',
    suites: [{ uri: DEBIAN, suite: 'sid' }],
    image: /^linux-binary-unsigned-7\.2\.\d+\+deb\d+-amd64$/,
    label: 'linux-binary-unsigned-7.2.*-amd64 + linux-modules-7.2.*-amd64',
    modulesPackage: (img) => img.replace(/^linux-binary-unsigned-/, 'linux-modules-'),
  },
};

/** Parse a --kernel value; bad input is a `kernel-missing` error naming the known versions. */
export function parseKernelVersion(text: string): KernelVersion {
  expectString(text, 'text');
  const t = text.trim();
  const found = KERNEL_VERSIONS.find((v) => v === t);
  if (found === undefined) {
    throw new KernelHarnessError(
      'kernel-unknown',
      `unknown kernel version '${text}': use one of ${KERNEL_VERSIONS.join(', ')}`,
    );
  }
  return found;
}

/** Compare Debian-ish version strings segment by segment (numbers numerically). */
export function compareVersions(a: string, b: string): number {
  const sa = a.split(/(\d+)/);
  const sb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i] ?? '';
    const y = sb[i] ?? '';
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

const debPackage = (file: string): string => file.split('_')[0] ?? '';

/** The newest cached .deb of a package matching `re` (`pkg_ver_amd64.deb`), or null. */
export async function newestCachedDeb(debsDir: string, re: RegExp): Promise<string | null> {
  const names = await fs.readdir(debsDir).catch(() => [] as string[]);
  const hits = names.filter((n) => n.endsWith('_amd64.deb') && re.test(debPackage(n))).sort(compareVersions);
  const last = hits[hits.length - 1];
  return last === undefined ? null : path.join(debsDir, last);
}

/** The cached .debs of a kernel version (one, or image + modules for 7.2), or null. */
export async function cachedKernelDebs(debsDir: string, spec: KernelPackageSpec): Promise<string[] | null> {
  const image = await newestCachedDeb(debsDir, spec.image);
  if (image === null) return null;
  if (spec.modulesPackage === undefined) return [image];
  const mods = spec.modulesPackage(debPackage(path.basename(image)));
  const exact = new RegExp(`^${mods.replace(/[.+]/g, '\\$&')}$`);
  const modules = await newestCachedDeb(debsDir, exact);
  return modules === null ? null : [image, modules];
}

/** The private apt configuration of one kernel version: directories and `-o` options. */
export async function privateApt(cache: string, spec: KernelPackageSpec): Promise<string[]> {
  const root = path.join(cache, 'apt', spec.version);
  for (const d of ['parts', 'lists/partial', 'cache/archives/partial'])
    await fs.mkdir(path.join(root, d), { recursive: true });
  const lines = spec.suites.map((s) => `deb [signed-by=${KEYRING}] ${s.uri} ${s.suite} main`);
  await fs.writeFile(path.join(root, 'sources.list'), `${lines.join('\n')}\n`);
  return [
    '-o',
    `Dir::Etc::sourcelist=${path.join(root, 'sources.list')}`,
    '-o',
    `Dir::Etc::sourceparts=${path.join(root, 'parts')}`,
    '-o',
    `Dir::State::lists=${path.join(root, 'lists')}`,
    '-o',
    `Dir::Cache=${path.join(root, 'cache')}`,
    '-o',
    'Acquire::Languages=none',
    // The private directories belong to the caller; apt's download sandbox user may not reach them.
    '-o',
    'APT::Sandbox::User=root',
  ];
}

const firstLine = (e: unknown): string => {
  const err = e as { stderr?: string | Buffer; message?: string };
  const text = (err.stderr?.toString() ?? '') || (err.message ?? String(e));
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(E:|W:|Err)/.test(l));
  return (lines[0] ?? text.split('\n')[0] ?? '').slice(0, 200);
};

/** The newest real (not virtual) package name matching `re` in the private apt lists. */
async function newestPackage(aptCache: string, opts: string[], re: RegExp): Promise<string | null> {
  const prefix = /^\^([a-z0-9-]+)/.exec(re.source)?.[1] ?? '';
  const { stdout } = await execFileP(aptCache, [...opts, 'pkgnames', prefix], { maxBuffer: 16 << 20 }).catch(() => ({
    stdout: '',
  }));
  const names = stdout
    .split('\n')
    .filter((n) => re.test(n))
    .sort(compareVersions)
    .reverse();
  for (const n of names) {
    const real = await execFileP(aptCache, [...opts, 'show', '--no-all-versions', n], { maxBuffer: 16 << 20 }).then(
      (r) => /^Package: /m.test(r.stdout),
      () => false,
    );
    if (real) return n;
  }
  return null;
}

/** apt-get update of the private lists; returns its first warning (apt exits 0 when a source cannot be reached). */
async function aptUpdate(aptGet: string, opts: string[], spec: KernelPackageSpec): Promise<string | null> {
  const { stderr } = await execFileP(aptGet, [...opts, '-q', 'update'], { maxBuffer: 16 << 20 }).catch((e: unknown) => {
    throw new KernelHarnessError(
      'kernel-missing',
      `cannot fetch the Linux ${spec.version} package list ` +
        `(${spec.suites.map((s) => s.suite).join(', ')}): ${firstLine(e)}; ` +
        `run bash scripts/kernel/setup.sh --kernels ${spec.version} where deb.debian.org is reachable`,
      { cause: e },
    );
  });
  const warning = stderr.split('\n').find((l) => /^(W|E): /.test(l));
  return warning === undefined ? null : warning.slice(0, 160);
}

/** Download the newest packages of a kernel version into debsDir; returns their paths. */
export async function downloadKernelDebs(
  cache: string,
  debsDir: string,
  spec: KernelPackageSpec,
  aptGet: string,
  aptCache: string,
  log?: (l: string) => void,
): Promise<string[]> {
  const opts = await privateApt(cache, spec);
  const hint = `run bash scripts/kernel/setup.sh --kernels ${spec.version} where deb.debian.org is reachable`;
  log?.(`apt-get update (private lists for Linux ${spec.version}: ${spec.suites.map((s) => s.suite).join(', ')})...`);
  const warning = await aptUpdate(aptGet, opts, spec);
  const image = await newestPackage(aptCache, opts, spec.image);
  if (image === null) {
    const why = warning ?? 'offline?';
    const from = spec.suites.map((s) => s.suite).join(', ');
    throw new KernelHarnessError(
      'kernel-missing',
      `cannot get the Linux ${spec.version} kernel package (${spec.label} from ${from}; ${why}): ${hint}`,
    );
  }
  const pkgs = spec.modulesPackage === undefined ? [image] : [image, spec.modulesPackage(image)];
  await fs.mkdir(debsDir, { recursive: true });
  // Download into a private directory and rename: parallel workers may fetch
  // at the same time, and a half-written .deb must never be visible.
  const tmp = await fs.mkdtemp(path.join(debsDir, 'download-'));
  try {
    log?.(`downloading ${pkgs.join(' + ')} into ${debsDir} (apt-get download; nothing is installed)...`);
    await execFileP(aptGet, [...opts, '-q', 'download', ...pkgs], { cwd: tmp, maxBuffer: 16 << 20 }).catch(
      (e: unknown) => {
        throw new KernelHarnessError(
          'kernel-missing',
          `apt-get download ${pkgs.join(' ')} failed: ${firstLine(e)}; ${hint}`,
          { cause: e },
        );
      },
    );
    for (const n of await fs.readdir(tmp))
      if (n.endsWith('.deb')) await fs.rename(path.join(tmp, n), path.join(debsDir, n));
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const got = await cachedKernelDebs(debsDir, spec);
  if (got === null)
    throw new KernelHarnessError(
      'kernel-missing',
      `apt-get download ${pkgs.join(' ')} left no .deb in ${debsDir}: ${hint}`,
    );
  return got;
}
