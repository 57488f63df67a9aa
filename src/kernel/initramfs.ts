/**
 * The initramfs the guest boots: a static busybox, the generated /init, the modules in load order and,
 * for a DAX guest, the probe program, as a gzip'ed newc archive cached under
 * `<cache>/initramfs/<sha256 prefix>.cpio.gz` and written there whole (io/durable.ts).
 */

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { writeFileDurably } from '../io/durable';
import { exists } from './cache';
import { writeCpioNewc, type CpioEntry } from './cpio';
import { APT_INSTALL_HINT, KernelHarnessError } from './errors';
import { isStaticElf } from './host-tools';
import { DAX_PROBE_PATH, guestInitScript } from './init-script';
import { type KernelModule } from './modules';

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

// @internal: Node Buffers; kept out of the published type declarations.
/** Build (or reuse) the initramfs for these modules. */
export async function buildInitramfs(
  cache: string,
  modules: KernelModule[],
  log?: (line: string) => void,
  daxProbe: Buffer | null = null,
): Promise<string> {
  const busybox = await locateBusybox();
  const init = guestInitScript(
    modules.map((m) => m.name),
    daxProbe !== null,
  );
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
  // The key covers every entry (kind, name, mode, link target, device numbers and content), so any change to
  // the archive's layout, not only to /init, busybox, the probe or the modules, builds a new one.
  const h = createHash('sha256');
  for (const e of entries) {
    const { data, ...meta } = e as CpioEntry & { data?: Uint8Array };
    h.update(JSON.stringify(meta)).update('\0');
    if (data !== undefined) h.update(data);
  }
  const dir = path.join(cache, 'initramfs');
  const file = path.join(dir, `${h.digest('hex').slice(0, 16)}.cpio.gz`);
  if (await exists(file)) return file;
  log?.('building initramfs...');
  await fs.mkdir(dir, { recursive: true });
  // Parallel workers may build the same image: each writes it whole and the last rename wins.
  writeFileDurably(file, zlib.gzipSync(writeCpioNewc(entries), { level: 6 }), { replace: true, mode: 0o644 });
  return file;
}
