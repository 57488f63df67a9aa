// Labelled DIMM images for the realign tests: a label area (one label per
// namespace) and, at each namespace's DPA, a legacy fsdax/devdax block with
// the start_pad, end_trunc and dataoff asked for, over pseudo-random data.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { encodePfnBlock, PFN_MODE } from '../../src/format/pfn';
import { recipeFields } from '../../src/format/recipe';
import { interleaveSetCookie, qemuDimm } from '../../src/format/labels';
import { encodeLabelArea } from '../../src/format/labels-area';
import { dimmLayout } from '../../src/format/labels-spec';

export const MiB = 1n << 20n;

export interface PaddedNamespace {
  uuid: string;
  dpa: bigint;
  size: bigint;
  startPad: bigint;
  endTrunc: bigint;
  /** Legacy dataoff (from dpa + startPad). */
  dataoff: bigint;
  map?: 'dev' | 'mem';
  mode?: 'fsdax' | 'devdax';
}

/** A legacy block for `n` (align 2 MiB, npfns as the kernel computes it). */
export function paddedBlock(n: PaddedNamespace): Uint8Array {
  const f = recipeFields({
    size: 64n * MiB,
    uuid: '11111111-2222-4333-8444-555555555555',
    parentUuid: n.uuid,
    ...(n.mode === undefined ? {} : { mode: n.mode }),
  });
  return encodePfnBlock({
    ...f,
    mode: (n.map ?? 'dev') === 'dev' ? PFN_MODE.pmem : PFN_MODE.ram,
    startPad: n.startPad,
    endTrunc: n.endTrunc,
    dataoff: n.dataoff,
    npfns: (n.size - n.startPad - n.endTrunc - n.dataoff) / 4096n,
    align: 2n * MiB,
  });
}

/** Write a DIMM image of `fileSize` bytes: labels, the blocks, and `seed`-derived bytes over each data area. */
export function writeDimm(file: string, fileSize: bigint, labelSize: bigint, nss: PaddedNamespace[], seed = 1): void {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, Number(fileSize));
  const { capacity, labelOffset } = dimmLayout(fileSize, labelSize);
  const area = encodeLabelArea(
    nss.map((n) => ({ uuid: n.uuid, size: n.size, dpa: n.dpa })),
    { areaSize: labelSize, version: '1.2', cookie: interleaveSetCookie(qemuDimm(0), '1.2'), capacity },
  );
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, area, 0, area.byteLength, Number(labelOffset));
    for (const n of nss) {
      fs.writeSync(fd, paddedBlock(n), 0, 4096, Number(n.dpa + 4096n));
      const start = n.dpa + n.startPad + n.dataoff;
      const data = crypto.createHash('sha512').update(`${seed}:${n.uuid}`).digest();
      for (let at = start; at < n.dpa + n.size - n.endTrunc; at += 1n * MiB)
        fs.writeSync(fd, data, 0, data.length, Number(at));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256 of bytes [from, to) of `file`. */
export function hashRange(file: string, from: bigint, to: bigint): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let at = from; at < to;) {
      const n = fs.readSync(
        fd,
        buf,
        0,
        Number(to - at < BigInt(buf.length) ? to - at : BigInt(buf.length)),
        Number(at),
      );
      if (n <= 0) throw new Error('short read');
      h.update(buf.subarray(0, n));
      at += BigInt(n);
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
