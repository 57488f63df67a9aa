/**
 * QEMU for the harness: the sparse copies of the images, the command line
 * (TCG, NVDIMMs at the planned guest addresses) and one run of the emulator
 * with a timeout.
 */

import { spawn } from 'node:child_process';
import { constants as fsc, promises as fs } from 'node:fs';

import { type KernelAssets } from './assets';
import { runQuiet } from './host-tools';
import { KernelHarnessError } from './errors';
import { REGIONS_PARAM } from './init-script';
import { DEVICE_MEMORY_BASE } from './plan';
import type { Placed } from './types';
import { hex } from '../format/int64';

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;
const alignUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;

/** A sparse copy: cp --sparse=always (reflink when possible), else a zero-skipping copy. */
export async function sparseCopy(src: string, dst: string): Promise<void> {
  if ((await runQuiet('cp', ['--sparse=always', '--reflink=auto', src, dst])) === 0) return;
  try {
    await fs.copyFile(src, dst, fsc.COPYFILE_FICLONE_FORCE);
    return;
  } catch {
    /* fall through to the manual copy */
  }
  const inp = await fs.open(src, 'r');
  const out = await fs.open(dst, 'w');
  try {
    const { size } = await inp.stat();
    await out.truncate(size);
    const buf = Buffer.alloc(1 << 20);
    for (let pos = 0; pos < size;) {
      const { bytesRead } = await inp.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (chunk.some((b) => b !== 0)) await out.write(chunk, 0, bytesRead, pos);
      pos += bytesRead;
    }
  } finally {
    await inp.close();
    await out.close();
  }
}

/** QEMU option values escape ',' by doubling it. */
const qemuEscape = (s: string): string => s.replace(/,/g, ',,');

export function qemuArgs(
  assets: KernelAssets,
  placed: readonly Placed[],
  files: readonly string[],
  extraAppend: readonly string[] = [],
): string[] {
  const bytes = placed.reduce((a, p) => a + p.size, 0n);
  // mode RAM keeps struct pages (64 B per 4 KiB page) in guest RAM; stay below 3 GiB so the device
  // window stays at 4 GiB.
  let ramMiB = 512n + alignUp(bytes / 64n / MiB + 1n, 64n);
  if (ramMiB > 3072n) ramMiB = 3072n;
  const end = placed.reduce((a, p) => (p.guestBase + p.size > a ? p.guestBase + p.size : a), DEVICE_MEMORY_BASE);
  const maxmemGiB = ramMiB / 1024n + 1n + alignUp(end - DEVICE_MEMORY_BASE, GiB) / GiB;
  const args = [
    '-accel',
    'tcg',
    '-machine',
    'pc,nvdimm=on',
    '-smp',
    '1',
    '-m',
    `${ramMiB}M,slots=${placed.length},maxmem=${maxmemGiB}G`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
    '-kernel',
    assets.kernelImage,
    '-initrd',
    assets.initramfs,
    '-append', // no_timer_check: under TCG on a loaded host the IO-APIC timer self-test can fail
    // and panic the boot before any module loads ("IO-APIC + timer doesn't work").
    // The lockup detectors turn a probe that hangs the guest into a panic (a crash we can report).
    `console=ttyS0 quiet loglevel=2 oops=panic panic=-1 log_buf_len=4M no_timer_check softlockup_panic=1 ` +
      `hung_task_panic=1 hung_task_timeout_secs=30 ${REGIONS_PARAM}=${placed.length}` +
      extraAppend.map((a) => ` ${a}`).join(''),
  ];
  placed.forEach((p, i) => {
    args.push('-object', `memory-backend-file,id=m${i},share=on,mem-path=${qemuEscape(files[i] ?? '')},size=${p.size}`);
    // The slot is explicit: a labelled DIMM's interleave-set cookie is derived from it (serial 0x123456 + slot).
    const label = p.image.labelSize === undefined ? '' : `,label-size=${p.image.labelSize}`;
    args.push('-device', `nvdimm,id=nv${i},memdev=m${i},addr=${hex(p.guestBase)},slot=${i}${label}`);
  });
  return args;
}

export interface BootResult {
  serial: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
  seconds: number;
}

export function runQemu(qemu: string, args: readonly string[], timeoutMs: number): Promise<BootResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new KernelHarnessError('qemu-failed', `cannot run ${qemu}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        serial: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        timedOut,
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}
