/**
 * kernel-check --dax on labelled DIMMs and partitioned (Kata-style) devices, without a boot: the
 * partition offset in the guest's records, which record a namespace is probed through, the worst of a
 * DIMM's namespaces, one read of a copy for all of them, the exit status, the text and the document.
 */
import * as fs from 'node:fs';

import { daxStatus, labelledDaxBody, labelledDaxText } from '../../src/cli/kernel-check-dax';
import { kernelCheckBody } from '../../src/cli/kernel-check-render';
import { jsonText } from '../../src/format/json';
import {
  daxNothing,
  daxRawFromWire,
  daxRawToWire,
  labelledPages,
  daxDigest,
  mergeQueries,
  parseDaxSection,
  scanCopy,
  type DaxObservation,
  type DaxOutcome,
} from '../../src/kernel/dax';
import { daxPreflight, filesystemIn } from '../../src/kernel/dax-check';
import { encodeMbr } from '../../src/format/kata';
import { KernelHarnessError } from '../../src/kernel/errors';
import { recordOf, worstDax, type DaxNamespaceResult } from '../../src/kernel/harness';
import { DAX_BEGIN, DAX_END, guestInitScript } from '../../src/kernel/init-script';
import { blankObservation } from '../../src/kernel/observe';
import type { ClaimObservation, KernelObservation } from '../../src/kernel/types';
import type { DaxCheckItem } from '../../src/kernel/dax-check';
import { observationToVerdict } from '../../src/kernel/verdict';
import { thrownBy } from '../support/errors';
import { expectSchema } from '../support/schema';
import { useTmpDir } from '../support/tmp';

const serial = (body: string): string => `noise\n${DAX_BEGIN}\n${body}\n${DAX_END}\n`;
const GiB = 1n << 30n;

/** An observation of a namespace at `resource` claimed as `kind` with its device. */
function claimed(resource: bigint, kind: 'pfn' | 'dax', device: string, dataStart: bigint): KernelObservation {
  const o = blankObservation(
    { index: 0, image: { path: 'dimm.img', base: 4n * GiB }, size: GiB, guestBase: 4n * GiB, modulus: GiB },
    1,
    1,
    null,
    '6.1.0',
  );
  const claim: ClaimObservation = {
    kind,
    device: kind === 'pfn' ? 'pfn0.1' : 'dax0.1',
    driver: kind === 'pfn' ? 'nd_pmem' : 'dax_pmem',
    mode: 'pmem',
    resource: dataStart,
    size: 0x100_0000n,
    align: 0x20_0000n,
    uuid: null,
  };
  return {
    ...o,
    guestBase: resource,
    namespace: 'namespace0.0',
    namespaceMode: kind === 'pfn' ? 'fsdax' : 'dax',
    claim,
    blockDevice: kind === 'pfn' ? { name: device, parent: 'pfn0.1', size: 0x100_0000n, firstBytes: null } : null,
    daxDevice: kind === 'dax' ? { name: device, parent: 'dax0.1', size: 0x100_0000n, resource: dataStart } : null,
    dataStart,
    dataSize: 0x100_0000n,
  };
}

describe("the guest's records of partitions", () => {
  const s = parseDaxSection(
    serial(
      [
        'ndib-dax ns dev=pmem0 parent=pfn0.1 fs=none start=0',
        'ndib-dax done dev=pmem0',
        'ndib-dax ns dev=pmem0p1 parent=pfn0.1 fs=ext4 start=1048576',
        'ndib-dax done dev=pmem0p1',
        'ndib-dax ns dev=pmem1 parent=pfn1.0 fs=xfs',
        'ndib-dax done dev=pmem1',
        'ndib-dax ns dev=dax2.0 parent=region2 fs=devdax',
        'ndib-dax done dev=dax2.0',
      ].join('\n'),
    ),
  );
  if (s === null) throw new Error('no DAX section');

  test('start= is the partition offset; absent (older guests, devdax) it is 0', () => {
    expect(s.devices.map((d) => [d.device, d.fs, d.offset])).toEqual([
      ['pmem0', 'none', 0n],
      ['pmem0p1', 'ext4', 0x100000n],
      ['pmem1', 'xfs', 0n],
      ['dax2.0', 'devdax', 0n],
    ]);
  });

  test.each([
    ['a whole device with no filesystem: its partition that has one', 'pfn', 'pmem0', 'pmem0p1'],
    ['a whole device with a filesystem: itself', 'pfn', 'pmem1', 'pmem1'],
    ['a devdax device: itself', 'dax', 'dax2.0', 'dax2.0'],
    ['a device the guest never named: none', 'pfn', 'pmem9', null],
  ] as const)('%s', (_what, kind, device, want) => {
    expect(recordOf(s, claimed(4n * GiB, kind, device, 4n * GiB + 0x20_0000n))?.device ?? null).toBe(want);
  });

  test('a partition of another device with a similar name is not taken (pmem1 is not a partition of pmem)', () => {
    const t = parseDaxSection(
      serial('ndib-dax ns dev=pmem1 parent=pfn0.1 fs=none start=0\nndib-dax ns dev=pmem10 parent=pfn9.0 fs=ext4'),
    );
    if (t === null) throw new Error('no DAX section');
    expect(recordOf(t, claimed(4n * GiB, 'pfn', 'pmem1', 4n * GiB))?.device).toBe('pmem1');
  });

  test('the offset survives the stored (wire) form; a stored record without it reads as 0', () => {
    const rec = s.devices[1];
    if (rec === undefined) throw new Error('no record');
    const raw = {
      record: rec,
      dataStart: 0x300000n,
      findings: { pages: new Map(), markers: new Map(), chunks: new Map() },
    };
    const wire = daxRawToWire(raw);
    expect(wire.record.offset).toBe('0x100000');
    expect(daxRawFromWire(JSON.parse(JSON.stringify(wire)) as typeof wire).record.offset).toBe(0x100000n);
    const { offset: _o, ...old } = wire.record;
    void _o;
    expect(daxRawFromWire({ ...wire, record: old }).record.offset).toBe(0n);
  });

  test('the DAX guest walks partitions: the disk of pmemNpM gives the pfn parent, start is in bytes', () => {
    const script = guestInitScript(['libnvdimm'], true);
    expect(script).toContain('if [ -e /sys/class/block/$n/partition ]; then');
    expect(script).toContain('start=$(($(cat /sys/class/block/$n/start) * 512))');
    expect(script).toContain('echo "ndib-dax ns dev=$n parent=$parent fs=$fs start=$start"');
  });
});

const dax = (outcome: DaxOutcome | null, device = 'pmem0'): DaxObservation => ({
  ...daxNothing(`${device}: ${outcome ?? 'nothing'}`, device),
  outcome,
  shift: outcome === 'misplaced' ? 0x100000n : outcome === 'consistent' ? 0n : null,
  filesystem: 'ext4',
  mount: outcome === 'refused' ? 'failed' : 'dax',
  files: 1,
  pagesCompared: 1024,
  pagesDiffering: outcome === 'misplaced' ? 1024 : 0,
});

describe('the worst of a DIMM', () => {
  test.each([
    [['consistent', 'misplaced'], 'misplaced'],
    [['misplaced', 'crashes', 'consistent'], 'crashes'],
    [['refused', 'consistent'], 'refused'],
    [['consistent', null], null],
    [[null, 'misplaced'], 'misplaced'],
    [['consistent', 'consistent'], 'consistent'],
  ] as const)('%j: %s', (outcomes, want) => {
    expect(worstDax(outcomes.map((o) => dax(o)))?.outcome).toBe(want);
  });
  test('no namespace: null', () => expect(worstDax([])).toBeNull());
});

describe('one read of a copy answers every namespace', () => {
  const tmp = useTmpDir('dax-labelled');
  test('merged queries; zero pages skipped, labelled pages found where they are', async () => {
    const pages = labelledPages('ns', 4);
    const file = tmp.path('copy.img');
    fs.writeFileSync(file, Buffer.alloc(0));
    fs.truncateSync(file, 64 << 20);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, pages.subarray(0, 8192), 0, 8192, 0x10_0000); // pages 0, 1 at 1 MiB
    fs.writeSync(fd, pages.subarray(8192), 0, 8192, 0x30_0000); // pages 2, 3 at 3 MiB
    fs.closeSync(fd);
    const d = (i: number): string => daxDigest(pages, i * 4096);
    const q = mergeQueries([
      { digests: new Set([d(0), d(1)]), markers: [], chunkRanges: [] },
      {
        digests: new Set([d(3), daxDigest(Buffer.alloc(4096))]),
        markers: ['ndib-dax page ns 2'].map((m) => Buffer.from(m).toString('hex')),
        chunkRanges: [],
      },
    ]);
    expect(q.digests.size).toBe(4);
    const f = await scanCopy(file, q);
    expect([d(0), d(1), d(3)].map((x) => f.pages.get(x))).toEqual([[0x10_0000n], [0x10_1000n], [0x30_1000n]]);
    expect(f.pages.get('z')).toBeUndefined();
    expect([...f.markers.values()]).toEqual([0x30_0000n]);
  });
});

/** A labelled DIMM item: two namespaces, the first fsdax at dpa 0, the second at dpa 32 MiB. */
function labelledItem(outcomes: readonly (DaxOutcome | null)[], claimedToo = true): DaxCheckItem {
  const base = 4n * GiB;
  const obs = claimed(base, 'pfn', 'pmem0', base + 0x20_0000n);
  const subs = outcomes.map((_o, i) => {
    const at = base + BigInt(i) * 0x200_0000n;
    const o = claimed(at, 'pfn', `pmem0.${i}`, at + 0x20_0000n);
    return claimedToo || i === 0 ? o : { ...o, claim: null, blockDevice: null, namespaceMode: 'raw' };
  });
  obs.setCookie = 0xba90120012b4dcn;
  obs.namespaces = subs.map((o, i) => ({
    name: `namespace0.${i}`,
    altName: null,
    uuid: `aaaaaaaa-bbbb-4ccc-8ddd-00000000000${i + 1}`,
    size: 0x200_0000n,
    resource: o.guestBase,
    dpa: BigInt(i) * 0x200_0000n,
    observation: o,
  }));
  const namespaces: DaxNamespaceResult[] = outcomes.map((o, i) => ({
    name: `namespace0.${i}`,
    uuid: `aaaaaaaa-bbbb-4ccc-8ddd-00000000000${i + 1}`,
    dpa: BigInt(i) * 0x200_0000n,
    observation: subs[i] as KernelObservation,
    dax: dax(o, `pmem0.${i}`),
  }));
  return {
    spec: { path: 'dimm.img', base, labelSize: 0x2_0000n },
    observation: obs,
    verdict: observationToVerdict(obs, base),
    dax: worstDax(namespaces.map((n) => n.dax)) ?? daxNothing('none'),
    namespaces,
    preflight: { spec: { path: 'dimm.img', base, labelSize: 0x2_0000n }, verdict: null, filesystem: null },
  };
}

describe('kernel-check --dax --label-size', () => {
  test.each([
    [['consistent', 'consistent'], true, 0],
    [['consistent', 'refused'], true, 0],
    [['consistent', 'misplaced'], true, 1],
    [['consistent', null], true, 1],
    [['consistent', 'consistent'], false, 1], // the second namespace is not claimed
    [[], true, 1], // the kernel created no namespace from the labels
  ] as const)('%j (claimed: %s): exit %d', (outcomes, claimedToo, status) => {
    expect(daxStatus([labelledItem(outcomes, claimedToo)])).toBe(status);
  });

  test('text: the DIMM, then each namespace with its DAX line under it', () => {
    expect(labelledDaxText(labelledItem(['misplaced', 'consistent'])).split('\n')).toEqual([
      'dimm.img@0x100000000: 2 labelled namespaces (set_cookie 0xba90120012b4dc)',
      '  namespace0.0 uuid=aaaaaaaa-bbbb-4ccc-8ddd-000000000001 size=33554432 mode=fsdax dpa=0x0: claimed pfn ' +
        'mode=pmem data_start=0x200000 data_size=0x1000000',
      '    dax: misplaced shift=0x100000 ext4 mount=dax pages=1024 differing=1024: pmem0.0: misplaced',
      '  namespace0.1 uuid=aaaaaaaa-bbbb-4ccc-8ddd-000000000002 size=33554432 mode=fsdax dpa=0x2000000: claimed ' +
        'pfn mode=pmem data_start=0x200000 data_size=0x1000000',
      '    dax: consistent shift=0x0 ext4 mount=dax pages=1024 differing=0: pmem0.1: consistent',
    ]);
  });

  test('--json: each namespace carries its dax object, the DIMM the worst; the document follows the schema', () => {
    const it = labelledItem(['consistent', 'crashes']);
    const body = kernelCheckBody([it], { version: '6.1', release: '6.1.0', image: null }, true) as {
      verdicts: { namespaces?: { name: string }[] }[];
    };
    const verdicts = body.verdicts.map((v) => labelledDaxBody(v, it));
    const doc = JSON.parse(jsonText('kernel-check', { ...body, verdicts })) as {
      verdicts: {
        dax: { outcome: string };
        namespaces: { name: string; dax: { outcome: string; device: string } }[];
      }[];
    };
    expectSchema('kernel-check', doc);
    const v = doc.verdicts[0];
    expect(v?.dax.outcome).toBe('crashes');
    expect(v?.namespaces.map((n) => [n.name, n.dax.outcome, n.dax.device])).toEqual([
      ['namespace0.0', 'consistent', 'pmem0.0'],
      ['namespace0.1', 'crashes', 'pmem0.1'],
    ]);
  });

  test('preflight: a labelled DIMM is left to the kernel (no label-less verdict); the scratch mode refuses it', () => {
    const spec = { path: '/nonexistent/dimm.img', base: 4n * GiB, labelSize: 0x2_0000n };
    expect(daxPreflight([spec], { kernel: '6.1' }, 'read')).toEqual([{ spec, verdict: null, filesystem: null }]);
    const e = thrownBy(() => daxPreflight([spec], { kernel: '6.1' }, 'scratch'));
    expect(e).toBeInstanceOf(KernelHarnessError);
    expect((e as KernelHarnessError).code).toBe('bad-image');
    expect((e as Error).message).toMatch(/scratch mode .* label-less/);
  });
});

describe('the filesystem of a Kata-style data area', () => {
  const tmp = useTmpDir('dax-kata-fs');
  const sb = (kind: 'ext4' | 'xfs'): Buffer => {
    const b = Buffer.alloc(2048);
    if (kind === 'xfs') b.write('XFSB', 0, 'ascii');
    else b.writeUInt16LE(0xef53, 1080);
    return b;
  };
  test.each([
    ['ext4 at the data start itself', 'ext4', null, 'ext4'],
    ["an MBR whose partition 1 MiB in holds ext4 (Kata's layout)", 'mbr', 'ext4', 'ext4'],
    ['an MBR whose partition holds xfs', 'mbr', 'xfs', 'xfs'],
    ['an MBR whose partition holds nothing known', 'mbr', null, 'unknown'],
    ['zeros', 'zeros', null, 'none'],
  ] as const)('%s: %s', (_what, head, inPart, want) => {
    const file = tmp.path(`${want}-${head}-${inPart ?? 'x'}.img`);
    const dataStart = 0x20_0000;
    fs.writeFileSync(file, Buffer.alloc(0));
    fs.truncateSync(file, 8 << 20);
    const fd = fs.openSync(file, 'r+');
    if (head === 'ext4') fs.writeSync(fd, sb('ext4'), 0, 2048, dataStart);
    if (head === 'mbr') {
      fs.writeSync(fd, encodeMbr(0x10_0000n, 0x40_0000n), 0, 512, dataStart);
      if (inPart !== null) fs.writeSync(fd, sb(inPart), 0, 2048, dataStart + 0x10_0000);
    }
    fs.closeSync(fd);
    expect(filesystemIn(file, BigInt(dataStart))).toBe(want);
  });
});
