/**
 * kernelCheckDax: the DAX probe for the images a caller names. Before any boot each image is judged by
 * the validator under the kernel to boot: the probe maps fsdax and devdax namespaces only, and an fsdax
 * namespace needs ext4 or xfs at its data start (or the scratch mode, which makes a scratch ext4 with
 * one file of labelled pages in the booted copy's data area). Bad input is a KernelHarnessError naming
 * what is missing; nothing is booted then. The caller's images are never written: every boot works on
 * sparse copies (bootDaxImages refuses in-place boots).
 */

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { hex } from '../format/int64';
import { decodeMbr, SECTOR } from '../format/kata';
import { readExact, targetSize } from '../io/files';
import { checkHead, type Verdict } from '../validate/check';
import { findOnPath } from './host-tools';
import { labelledPages } from './dax';
import { KernelHarnessError } from './errors';
import { bootDaxImages, type DaxImageResult, type DaxRun } from './harness';
import { DEFAULT_KERNEL } from './kernels';
import { observationToVerdict, type KernelVerdict } from './verdict';
import type { BootOptions } from './types';
import type { DaxProbeMode } from './dax';
import type { KernelCheckSpec } from './kernel-check';

const execFileP = promisify(execFile);

/** The filesystem at an fsdax namespace's data start, by its superblock magic. */
export type DataFilesystem = 'ext4' | 'xfs' | 'none' | 'unknown';

/** The superblock at the start of `bytes` (at least 2 KiB): ext4 (0xef53 at 1080), xfs ("XFSB"), none (zeros). */
export function filesystemAt(bytes: Uint8Array): DataFilesystem {
  if (bytes[0] === 0x58 && bytes[1] === 0x46 && bytes[2] === 0x53 && bytes[3] === 0x42) return 'xfs';
  if (bytes[1080] === 0x53 && bytes[1081] === 0xef) return 'ext4';
  return bytes.every((b) => b === 0) ? 'none' : 'unknown';
}

/**
 * The filesystem at a data start, or (a Kata-style image: an MBR there) in the first partition that holds
 * one: the guest probes it through the partition's block device (pmemNpM).
 */
export function filesystemIn(file: string, dataStart: bigint): DataFilesystem {
  const head = readExact(file, dataStart, 2048);
  const at = filesystemAt(head);
  if (at !== 'unknown') return at;
  for (const part of decodeMbr(head) ?? []) {
    const inPart = filesystemAt(readExact(file, dataStart + part.startLba * SECTOR, 2048));
    if (inPart === 'ext4' || inPart === 'xfs') return inPart;
  }
  return at;
}

/** What the validator expects of one image before the boot. */
export interface DaxPreflight {
  spec: KernelCheckSpec;
  /** null for a labelled DIMM: the kernel creates its namespaces from the labels, and the probe maps each. */
  verdict: Verdict | null;
  /** fsdax: the filesystem at the data start; devdax: null. */
  filesystem: DataFilesystem | null;
}

/** The validator's profile for the kernel to boot (a caller's own kernel image: the newest). */
const profileOf = (opts: BootOptions): string =>
  opts.kernelImage !== undefined ? 'linux-latest' : `linux-${opts.kernel ?? DEFAULT_KERNEL}`;

/** Judge every image before booting; a KernelHarnessError for the first one the probe cannot map. */
export function daxPreflight(specs: readonly KernelCheckSpec[], opts: BootOptions, mode: DaxProbeMode): DaxPreflight[] {
  const kernel = profileOf(opts);
  return specs.map((spec) => {
    if (spec.labelSize !== undefined) {
      if (mode === 'scratch')
        throw new KernelHarnessError(
          'bad-image',
          `${spec.path}: the scratch mode makes its ext4 in a label-less namespace's data area; a labelled ` +
            'DIMM is probed in the read or write mode (each namespace needs ext4 or xfs at its data start)',
        );
      return { spec, verdict: null, filesystem: null };
    }
    const size = targetSize(spec.path);
    const head = readExact(spec.path, 0n, 8192);
    const verdict = checkHead(head, { kernel, nsBase: spec.base, nsSize: size });
    const kind = verdict.kind === 'pfn' ? 'fsdax' : verdict.kind === 'dax' ? 'devdax' : null;
    if (verdict.outcome !== 'claimed' || kind === null) {
      const verb = { raw: 'leaves it raw', refused: 'refuses it', crashed: 'crashes on it', claimed: '' }[
        verdict.outcome
      ];
      const what = verdict.outcome === 'claimed' ? `claims it as a ${verdict.kind ?? 'raw'} namespace` : verb;
      throw new KernelHarnessError(
        'bad-image',
        `${spec.path}: the DAX probe maps fsdax and devdax namespaces only, and Linux ${verdict.kernel} ${what}` +
          `${verdict.message === null ? '' : ` (${verdict.message})`}`,
      );
    }
    if (kind === 'devdax' || verdict.dataStart === null) return { spec, verdict, filesystem: null };
    const fsAt = filesystemIn(spec.path, verdict.dataStart);
    if (mode !== 'scratch' && fsAt === 'none')
      throw new KernelHarnessError(
        'bad-image',
        `${spec.path}: no filesystem at the data start (namespace offset ${hex(verdict.dataStart)}): the DAX probe ` +
          `mounts ext4 or xfs there; the scratch mode makes a scratch ext4 in a copy to probe the geometry`,
      );
    if (mode !== 'scratch' && fsAt === 'unknown')
      throw new KernelHarnessError(
        'bad-image',
        `${spec.path}: the filesystem at the data start (namespace offset ${hex(verdict.dataStart)}) is neither ` +
          `ext4 nor xfs, nor does an MBR there have a partition holding one: the DAX probe mounts ext4 or xfs; ` +
          `the scratch mode makes a scratch ext4 in a copy instead`,
      );
    return { spec, verdict, filesystem: fsAt };
  });
}

/** mkfs.ext4's path (it lives in /usr/sbin, often not on a user's PATH). */
async function mkfsExt4(): Promise<string> {
  const onPath = await findOnPath('mkfs.ext4');
  if (onPath !== null) return onPath;
  for (const p of ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4']) {
    try {
      await fs.access(p);
      return p;
    } catch {
      /* next */
    }
  }
  throw new KernelHarnessError(
    'tool-missing',
    'mkfs.ext4 not found (the scratch mode makes an ext4): apt-get install -y e2fsprogs',
  );
}

/** Pages in the scratch file (4 MiB). */
export const SCRATCH_PAGES = 1024;

/**
 * A scratch ext4 (4 KiB blocks) in a booted copy's data area, holding one file of labelled pages
 * (`ndib-scratch`). Only ever called on the harness's copies.
 */
export async function writeScratchExt4(copy: string, dataStart: bigint, dataSize: bigint, tag: string): Promise<void> {
  const mkfs = await mkfsExt4();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nd-infoblock-scratch-'));
  try {
    await fs.writeFile(path.join(dir, 'ndib-scratch'), labelledPages(tag, SCRATCH_PAGES));
    const blocks = dataSize / 4096n;
    await execFileP(
      mkfs,
      [
        '-q',
        '-F',
        '-b',
        '4096',
        '-N',
        '64',
        '-O',
        '^has_journal',
        '-E',
        `offset=${dataStart}`,
        '-d',
        dir,
        copy,
        `${blocks}`,
      ],
      { maxBuffer: 1 << 20 },
    );
  } catch (e: unknown) {
    if (e instanceof KernelHarnessError) throw e;
    const msg = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0] ?? '';
    throw new KernelHarnessError('tool-missing', `mkfs.ext4 could not make the scratch filesystem: ${msg}`, {
      cause: e,
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** One image's result: the kernel's verdict on the namespace and the DAX probe's. */
export interface DaxCheckItem extends DaxImageResult {
  spec: KernelCheckSpec;
  verdict: KernelVerdict;
  preflight: DaxPreflight;
}

export interface DaxCheckResult {
  items: DaxCheckItem[];
  run: DaxRun;
}

/** Judge, boot with the DAX guest, and return every image's kernel and DAX verdicts (argument order). */
export async function kernelCheckDax(
  specs: readonly KernelCheckSpec[],
  opts: BootOptions,
  mode: DaxProbeMode,
): Promise<DaxCheckResult> {
  const pre = daxPreflight(specs, opts, mode);
  const byPath = new Map(pre.map((p) => [p.spec.path, p]));
  const scratch =
    mode !== 'scratch'
      ? undefined
      : async (copy: string, image: { path: string }): Promise<void> => {
          const p = byPath.get(image.path);
          const v = p?.verdict;
          if (
            p === undefined ||
            v === undefined ||
            v === null ||
            v.kind !== 'pfn' ||
            v.dataStart === null ||
            v.dataSize === null
          )
            return;
          await writeScratchExt4(copy, v.dataStart, v.dataSize, path.basename(image.path));
        };
  const run = await bootDaxImages(specs, opts, mode, scratch);
  const items = run.results.map((r, i) => {
    const spec = specs[i] as KernelCheckSpec;
    return { ...r, spec, verdict: observationToVerdict(r.observation, spec.base), preflight: pre[i] as DaxPreflight };
  });
  return { items, run };
}
