/**
 * The kernel modules a guest loads: which ones (the nvdimm stack, and for a DAX guest its filesystems
 * and a crc32c provider), found by name in a modules tree, decompressed, and ordered with their
 * `depends=` dependencies first; modules built into the kernel (modules.builtin) are skipped.
 */

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

import { KernelHarnessError } from './errors';
import { requireTool } from './host-tools';

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

// @internal: Node Buffers; kept out of the published type declarations.
/** A module's name and its decompressed bytes. */
export interface KernelModule {
  name: string;
  data: Buffer;
}

/** Map module name (with '-' read as '_') → file, for every module under dir. */
export async function indexModules(dir: string): Promise<Map<string, string>> {
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
): Promise<KernelModule[]> {
  const index = await indexModules(dir);
  const out: KernelModule[] = [];
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

/** Module names (with '-' read as '_') listed in a modules.builtin file's text. */
export function builtinModules(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /([^/]+)\.ko$/.exec(line.trim());
    if (m?.[1] !== undefined) out.add(m[1].replace(/-/g, '_'));
  }
  return out;
}

/**
 * The modules a DAX guest adds, in load order: a crc32c provider where the package has one, then the
 * filesystems (each with its dependencies; built-in ones are skipped).
 */
export async function daxModuleNames(modulesDir: string, builtin: ReadonlySet<string>): Promise<string[]> {
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
