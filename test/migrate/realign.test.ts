// infoblock realign: a padded labelled namespace moves to its aligned base
// (new label through a free slot and the inactive index, new block with
// start_pad 0) without a data byte moving; every guard kernel then claims
// it with the data where it was. The refusals leave the image as it was;
// restore gives back the original bytes; the realign document validates.
import * as fs from 'node:fs';
import { InfoblockError } from '../../src/format/errors';
import {
  areaIndexes,
  indexChecksum,
  indexCodec,
  INDEX_HEADER_SIZE,
  labelChecksum,
  labelCodec,
} from '../../src/format/labels';
import { decodeLabelArea } from '../../src/format/labels-area';
import { dimmLayout } from '../../src/format/labels-spec';
import { decodePfnBlock } from '../../src/format/pfn';
import { planRealign } from '../../src/migrate/realign-plan';
import { realignTarget, restoreRealign } from '../../src/migrate/realign';
import { checkLabelledDimm } from '../../src/validate/labels';
import { hashRange, MiB, writeDimm, type PaddedNamespace } from '../support/dimm';
import { thrownBy } from '../support/errors';
import { json, run } from '../support/run';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';
import type * as Pfn from '../../src/format/pfn';

const U1 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000001';
const U2 = 'aaaaaaaa-bbbb-4ccc-8ddd-000000000002';
const LSA = 128n * 1024n;
const tmp = useTmpDir('realign');
let n = 0;

/** 1 MiB off 2 MiB: the namespace QEMU users get from a label at DPA 1 MiB. */
const oneMiB = (uuid = U1, dpa = 1n * MiB): PaddedNamespace => ({
  uuid,
  dpa,
  size: 64n * MiB,
  startPad: 1n * MiB,
  endTrunc: 1n * MiB,
  dataoff: 2n * MiB,
});
/** 4.x-era section padding: 64 MiB of start_pad, more than dataoff. */
const sixtyFour: PaddedNamespace = {
  uuid: U1,
  dpa: 64n * MiB,
  size: 128n * MiB,
  startPad: 64n * MiB,
  endTrunc: 0n,
  dataoff: 2n * MiB,
  map: 'mem',
};

function dimm(nss: PaddedNamespace[]): string {
  const f = tmp.path(`dimm ${n++}.img`);
  const end = nss.reduce((m, x) => (x.dpa + x.size > m ? x.dpa + x.size : m), 0n);
  writeDimm(f, end + 1n * MiB + LSA, LSA, nss);
  return f;
}

const dataHash = (f: string, ns: PaddedNamespace): string =>
  hashRange(f, ns.dpa + ns.startPad + ns.dataoff, ns.dpa + ns.size - ns.endTrunc);

function kernelView(f: string) {
  const size = BigInt(fs.statSync(f).size);
  const { capacity, labelOffset } = dimmLayout(size, LSA);
  const fd = fs.openSync(f, 'r');
  const read = (off: bigint, len: number): Uint8Array => {
    const b = Buffer.alloc(len);
    fs.readSync(fd, b, 0, len, Number(off));
    return b;
  };
  try {
    const area = read(labelOffset, Number(LSA));
    return checkLabelledDimm(area, capacity, read, { kernel: '6.1' });
  } finally {
    fs.closeSync(fd);
  }
}

describe('realign moves the namespace start, not the data', () => {
  test.each([
    ['1 MiB padding, memmap on the device', [oneMiB()], [[2n * MiB, 62n * MiB]]],
    ['64 MiB padding (4.x sections), memmap in RAM', [sixtyFour], [[128n * MiB, 64n * MiB]]],
    [
      'two namespaces on one DIMM, one index switch',
      [oneMiB(U1, 1n * MiB), oneMiB(U2, 67n * MiB)],
      [
        [2n * MiB, 62n * MiB],
        [68n * MiB, 62n * MiB],
      ],
    ],
  ])('%s', (_name, nss, expected) => {
    const f = dimm(nss);
    const hashes = nss.map((ns) => dataHash(f, ns));
    const before = kernelView(f).namespaces.map((x) => x.verdict.nsBase + (x.verdict.dataStart ?? 0n));
    const r = realignTarget({ target: f, labelSize: LSA });
    expect(r.written).toBe(true);
    expect(r.plan.writes.map((w) => w.what)).toEqual([...nss.map(() => 'block'), ...nss.map(() => 'label'), 'index']);
    const after = kernelView(f);
    expect(after.labels.current).toBe(1);
    expect(after.namespaces.map((x) => [x.dpa, x.size])).toEqual(expected);
    // The kernel finds the data exactly where it was, and not a byte of it changed.
    expect(after.namespaces.map((x) => x.verdict.nsBase + (x.verdict.dataStart ?? 0n))).toEqual(before);
    expect(nss.map((ns) => dataHash(f, ns))).toEqual(hashes);
    for (const x of after.namespaces) {
      const block = fs.readFileSync(f).subarray(Number(x.dpa) + 4096, Number(x.dpa) + 8192);
      const b = decodePfnBlock(block).fields;
      expect([b.startPad, b.endTrunc, b.dataoff, b.npfns]).toEqual([0n, 0n, 2n * MiB, (x.size - 2n * MiB) / 4096n]);
    }
    for (const ns of r.plan.namespaces)
      expect(ns.verdicts.map((v) => [v.profile, v.outcome])).toEqual([
        ['linux-5.10', 'claimed'],
        ['linux-6.1', 'claimed'],
        ['linux-6.12', 'claimed'],
        ['linux-7.2', 'claimed'],
      ]);
  });

  test('restore writes every recorded byte back: the image is the original again', () => {
    const f = dimm([oneMiB(U1, 1n * MiB), oneMiB(U2, 67n * MiB)]);
    const original = fs.readFileSync(f);
    realignTarget({ target: f, labelSize: LSA });
    expect(fs.readFileSync(f).equals(original)).toBe(false);
    const r = restoreRealign({ target: f });
    expect([r.status, r.bytes]).toEqual(['restored', 2n * 4096n + 2n * 256n + 256n]);
    expect(fs.readFileSync(f).equals(original)).toBe(true);
    expect(restoreRealign({ target: f }).status).toBe('unchanged');
  });

  test('an interrupted run is finished by the next one, which keeps the first backup', () => {
    const f = dimm([oneMiB()]);
    const original = fs.readFileSync(f);
    const stop = new Error('killed');
    const faults = {
      at: (s: string) => {
        if (s === 'after-label') throw stop;
      },
    };
    expect(thrownBy(() => realignTarget({ target: f, labelSize: LSA, faults }))).toBeInstanceOf(InfoblockError);
    // Labels not switched yet: the kernel still sees the old namespace.
    expect(kernelView(f).namespaces.map((x) => x.dpa)).toEqual([1n * MiB]);
    fs.rmSync(`${f}.lock`, { force: true });
    const warnings: string[] = [];
    const r = realignTarget({ target: f, labelSize: LSA, warn: (l) => warnings.push(l) });
    expect([r.written, r.backupReused]).toEqual([true, true]);
    expect(warnings[0]).toMatch(/^an earlier realign \(.*\) of this same plan was interrupted; its backup is kept$/);
    restoreRealign({ target: f });
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  });
});

/** Mark every slot of the current index used (a full label area), with a fresh checksum. */
function fillSlots(f: string): void {
  const { labelOffset } = dimmLayout(BigInt(fs.statSync(f).size), LSA);
  const img = fs.readFileSync(f);
  const area = img.subarray(Number(labelOffset));
  const d = decodeLabelArea(area);
  const g = areaIndexes(d.geometry!);
  const off = d.current! * g.indexSize;
  area.fill(0, off + INDEX_HEADER_SIZE, off + INDEX_HEADER_SIZE + Math.ceil(g.nslot / 8));
  indexCodec.writeFields(area.subarray(off, off + INDEX_HEADER_SIZE), { checksum: 0n });
  indexCodec.writeFields(area.subarray(off, off + INDEX_HEADER_SIZE), {
    checksum: indexChecksum(area.subarray(off), g.indexSize),
  });
  fs.writeFileSync(f, img);
}

/** Make the second label overlap the first (dpa moved onto it), with a fresh checksum. */
function overlapLabels(f: string): void {
  const { labelOffset } = dimmLayout(BigInt(fs.statSync(f).size), LSA);
  const img = fs.readFileSync(f);
  const area = img.subarray(Number(labelOffset));
  const l = decodeLabelArea(area).labels[1]!;
  const at = Number(l.offset);
  const raw = area.subarray(at, at + 256);
  labelCodec.writeFields(raw, { dpa: 32n * MiB });
  labelCodec.writeFields(raw, { checksum: labelChecksum(raw) });
  fs.writeFileSync(f, img);
}

describe('bad input: exit 1 with one line, and the image unchanged', () => {
  const misaligned: PaddedNamespace = { ...oneMiB(), startPad: 512n * 1024n, endTrunc: 512n * 1024n };
  test.each([
    [
      'no free label slot',
      () => {
        const f = dimm([oneMiB()]);
        fillSlots(f);
        return f;
      },
      [],
      'the label area has 0 free slots, realigning 1 namespace needs 1: the updated labels must go to free slots ' +
        'before the index switches to them',
    ],
    [
      'overlapping namespaces',
      () => {
        const f = dimm([oneMiB(U1), oneMiB(U2, 67n * MiB)]);
        overlapLabels(f);
        return f;
      },
      [],
      `the labels of namespaces ${U1} (slot 0) and ${U2} (slot 1) overlap (0x100000+0x4000000 and ` +
        `0x2000000+0x4000000): nothing is written to such an area`,
    ],
    [
      'a result that is not 2 MiB aligned',
      () => dimm([misaligned]),
      [],
      `namespace ${U1}: the realigned namespace 0x180000..0x4080000 would not be 2 MiB aligned (the kernels' ` +
        `memremap_compat_align), so no kernel would claim it`,
    ],
    [
      'a label-less DIMM',
      () => {
        const f = dimm([oneMiB()]);
        const { labelOffset } = dimmLayout(BigInt(fs.statSync(f).size), LSA);
        const fd = fs.openSync(f, 'r+');
        fs.writeSync(fd, Buffer.alloc(Number(LSA)), 0, Number(LSA), Number(labelOffset));
        fs.closeSync(fd);
        return f;
      },
      [],
      'no valid label index: the kernel treats the DIMM as one label-less namespace; rebase its block instead',
    ],
    ['an unknown namespace', () => dimm([oneMiB()]), ['--namespace', U2], `no namespace ${U2} in the labels`],
  ])('%s', async (_name, make, extra, line) => {
    const f = make();
    const before = fs.readFileSync(f);
    const r = await run(['realign', f, '--label-size', '128K', ...extra]);
    expect([r.status, r.stderr, r.stdout.toString()]).toEqual([1, `infoblock: ${line}\n`, '']);
    expect(fs.readFileSync(f).equals(before)).toBe(true);
    expect(fs.existsSync(`${f}.realign-backup`)).toBe(false);
  });

  test('a namespace without start_pad: nothing to do, exit 0, says so', async () => {
    const f = dimm([{ ...oneMiB(U1, 2n * MiB), startPad: 0n, endTrunc: 0n }]);
    const before = fs.readFileSync(f);
    const r = await run(['realign', f, '--label-size', '128K']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(
      `${f}: labels v1.2, index 0 current (seq 3)\n` +
        `  ${U1} (fsdax) dpa 0x200000 size 0x4000000: start_pad 0, nothing to realign (DAX and block I/O already ` +
        `agree)\nnothing to realign: no namespace has start_pad; nothing written\n`,
    );
    expect(fs.readFileSync(f).equals(before)).toBe(true);
  });

  test('planRealign refuses a block in the map meaning', () => {
    const f = dimm([oneMiB()]);
    const img = fs.readFileSync(f);
    const at = Number(1n * MiB) + 4096;
    const block = img.subarray(at, at + 4096);
    const { patchPfnBlock } = jest.requireActual<typeof Pfn>('../../src/format/pfn');
    img.set(patchPfnBlock(block, { versionMajor: 2 }), at);
    const { capacity, labelOffset } = dimmLayout(BigInt(img.length), LSA);
    const read = (o: bigint, l: number): Uint8Array => img.subarray(Number(o), Number(o) + l);
    const e = thrownBy(() => planRealign(read(labelOffset, Number(LSA)), read, { capacity, labelOffset }));
    expect(e).toMatchObject({
      code: 'precondition',
      message:
        `the info-block of namespace ${U1} is in the map meaning (version 2.4): migrate it back to the legacy ` +
        `meaning first`,
    });
  });
});

describe('the realign document and the dry run', () => {
  test('--dry-run --json: the plan, validated against schemas/realign.schema.json; nothing written', async () => {
    const f = dimm([oneMiB()]);
    const before = fs.readFileSync(f);
    const r = await run(['realign', f, '--label-size', '128K', '--dry-run', '--json']);
    expect(r.status).toBe(0);
    const doc = json(r) as Record<string, unknown>;
    expectSchema('realign', doc);
    expect(doc).toMatchObject({
      status: 'planned',
      current_index: 0,
      new_index: 1,
      seq: 3,
      new_seq: 1,
      written: false,
      writes: [
        { what: 'block', position: '0x201000', bytes: '0x1000' },
        { what: 'label', position: '0x4200300', bytes: '0x100' },
        { what: 'index', position: '0x4200100', bytes: '0x100' },
      ],
    });
    expect((doc.namespaces as Record<string, unknown>[])[0]).toMatchObject({
      uuid: U1,
      status: 'realign',
      slot: 0,
      new_slot: 1,
      dpa: '0x100000',
      new_dpa: '0x200000',
      new_size: '0x3e00000',
      data_dpa: '0x400000',
    });
    expect(fs.readFileSync(f).equals(before)).toBe(true);
  });

  test('the written document, and restore through the CLI', async () => {
    const f = dimm([sixtyFour]);
    const original = fs.readFileSync(f);
    const r = await run(['realign', f, '--label-size', '128K', '--json']);
    expect(r.status).toBe(0);
    const doc = json(r) as Record<string, unknown>;
    expectSchema('realign', doc);
    expect([doc.status, doc.written, doc.backup]).toEqual(['realigned', true, `${f}.realign-backup`]);
    const u = await run(['restore', f, '--json']);
    expect(u.status).toBe(0);
    expectSchema('restore', json(u));
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  });
});
