/**
 * The host's tools as the kernel harness needs them: an executable on PATH (or an error naming the
 * package to install), whether a program is statically linked (the initramfs has no C library), and a
 * command run for its exit code only. Below the asset pipeline (deb.ts, modules.ts, initramfs.ts) and
 * dax-probe.ts, which all use them.
 */

import { spawn } from 'node:child_process';
import { constants as fsc, promises as fs } from 'node:fs';
import * as path from 'node:path';

import { KernelHarnessError } from './errors';

/** Absolute path of an executable on PATH, or null. */
export async function findOnPath(cmd: string): Promise<string | null> {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    if (dir === '') continue;
    const p = path.join(dir, cmd);
    try {
      await fs.access(p, fsc.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

// @internal: Node Buffers; kept out of the published type declarations.
/** True when the ELF file has no PT_INTERP program header (statically linked). */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return false;
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) return false;
    if (buf.readUInt32LE(off) === 3) return false;
  }
  return true;
}

/** The path of an executable the harness needs, or a tool-missing error naming its apt package. */
export async function requireTool(cmd: string, pkg: string): Promise<string> {
  const p = await findOnPath(cmd);
  if (p === null)
    throw new KernelHarnessError('tool-missing', `${cmd} not found: install it with apt-get install -y ${pkg}`);
  return p;
}

/** Run a command, resolving with its exit code (used by the harness for cp). */
export function runQuiet(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
}
