/**
 * The harness's pure parts (no QEMU): cpio writer, report parser, placement,
 * address parsing, exact JSON, observation → verdict.
 */

import { writeCpioNewc } from '../../src/kernel/cpio';
import { isStaticElf } from '../../src/kernel/host-tools';
import { compareVersions } from '../../src/kernel/kernels';
import { moduleDepends } from '../../src/kernel/modules';
import { parseAddress, parseImageSpec } from '../../src/kernel/format';
import { KernelHarnessError } from '../../src/kernel/errors';
import {
  crashLines,
  lockupOnly,
  observe,
  planBoots,
  probeFailure,
  type KernelObservation,
} from '../../src/kernel/harness';
import { REPORT_BEGIN, REPORT_END } from '../../src/kernel/init-script';
import { parseGuestReport, parseKernelLine, parseOdHex } from '../../src/kernel/guest-report';
import { observationToVerdict } from '../../src/kernel/verdict';

const GiB = 1n << 30n;
const MiB = 1n << 20n;

describe('cpio newc writer', () => {
  test('entries are 4-byte aligned and end with the trailer', () => {
    const buf = writeCpioNewc([
      { kind: 'dir', name: 'bin' },
      { kind: 'file', name: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink', name: 'bin/sh', target: 'busybox' },
    ]);
    expect(buf.length % 4).toBe(0);
    const text = buf.toString('latin1');
    expect(text.startsWith('070701')).toBe(true);
    expect(text).toContain('init\0');
    expect(text).toContain('#!/bin/sh\n');
    expect(text).toContain('TRAILER!!!\0');
    // second header starts on a 4-byte boundary
    const second = text.indexOf('070701', 6);
    expect(second % 4).toBe(0);
    // mode field of the file entry: 0100755
    const fileHdr = text.lastIndexOf('070701', text.indexOf('init\0'));
    expect(text.slice(fileHdr + 14, fileHdr + 22)).toBe((0o100755).toString(16).padStart(8, '0'));
  });
});

describe('module and ELF helpers', () => {
  test('depends= is read from .modinfo strings', () => {
    expect(moduleDepends(Buffer.from('xx\0license=GPL\0depends=libnvdimm,nd_btt\0name=nd_pmem\0'))).toEqual([
      'libnvdimm',
      'nd_btt',
    ]);
    expect(moduleDepends(Buffer.from('\0depends=\0'))).toEqual([]);
    expect(moduleDepends(Buffer.from('nothing'))).toEqual([]);
  });
  test('a non-ELF file is not a static ELF', () => {
    expect(isStaticElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });
  test('versions compare numerically', () => {
    expect(compareVersions('linux-image-6.1.0-9-amd64_6.1.1', 'linux-image-6.1.0-56-amd64_6.1.192')).toBeLessThan(0);
  });
});

describe('kernel log lines', () => {
  test.each([
    [
      '[    2.1]  pfn2.1: bad offset: 0x1000 dax disabled align: 0x200000',
      'pfn2.1',
      null,
      'bad offset: 0x1000 dax disabled align: 0x200000',
    ],
    [
      '[    2.1]  dax0.1: alignment: 40000000 exceeds capacity 4000000',
      'dax0.1',
      null,
      'alignment: 40000000 exceeds capacity 4000000',
    ],
    [
      '[    2.2] nd_pmem pfn3.1: number of pfns truncated from 40000 to 15872',
      'pfn3.1',
      'nd_pmem',
      'number of pfns truncated from 40000 to 15872',
    ],
    [
      '[    2.3] nd_pmem: probe of namespace2.0 failed with error -95',
      null,
      null,
      'nd_pmem: probe of namespace2.0 failed with error -95',
    ],
  ])('%s', (line, device, driver, text) => {
    expect(parseKernelLine(line)).toMatchObject({ device, driver, text });
  });
});

const report = (body: string): string => `noise\n${REPORT_BEGIN}\n${body}\n${REPORT_END}\n`;

describe('report → observation → verdict', () => {
  const serial = report(
    [
      '%insmod',
      '%nd',
      'region0/devtype:nd_pmem',
      'region0/resource:0x140000000',
      'region1/devtype:nd_pmem',
      'region1/resource:0x100000000',
      'namespace0.0/devtype:nd_namespace_io',
      'namespace0.0/mode:memory',
      'namespace0.0/holder:pfn0.1',
      'namespace0.0/size:67108864',
      'pfn0.1/devtype:nd_pfn',
      'pfn0.1/mode:pmem',
      'pfn0.1/namespace:namespace0.0',
      'pfn0.1/resource:0x140200000',
      'pfn0.1/size:65011712',
      'pfn0.1/uevent:DRIVER=nd_pmem',
      'namespace1.0/devtype:nd_namespace_io',
      'namespace1.0/mode:raw',
      '%block',
      '/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/pfn0.1/block/pmem0',
      'pmem0/size:126976',
      '%first',
      '@pmem0',
      '000000 eb 52 90 4e 54 46 53 20 20 20 20 00 02 08 00 00',
      '000010 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      '*',
      '000800',
      '%dax',
      '%dmesg',
      '[    2.0]  pfn1.1: bad offset: 0x300000 dax disabled align: 0x200000',
      '[    2.1] nd_pmem: probe of namespace1.0 failed with error -95',
    ].join('\n'),
  );
  const parsed = parseGuestReport(serial);
  const place = (guestBase: bigint) => ({
    index: 0,
    image: { path: 'x.img', base: guestBase },
    size: 64n * MiB,
    guestBase,
    modulus: GiB,
  });

  test('a claimed fsdax namespace', () => {
    if (parsed === null) throw new Error('no report');
    const o = observe(parsed, place(0x140000000n), 1, 1);
    expect(o).toMatchObject({ region: 'region0', namespace: 'namespace0.0', holder: 'pfn0.1', probeErrno: null });
    expect(o.blockDevice).toEqual({
      name: 'pmem0',
      parent: 'pfn0.1',
      size: 65011712n,
      firstBytes: `eb52904e544653202020200002080000${'00'.repeat(2048 - 16)}`,
    });
    expect(observationToVerdict(o, 0x140000000n)).toEqual({
      outcome: 'claimed',
      kind: 'pfn',
      mode: 'pmem',
      errno: null,
      message: null,
      messages: [],
      dataStart: 0x200000n,
      dataSize: 65011712n,
    });
  });

  test('a refused namespace', () => {
    if (parsed === null) throw new Error('no report');
    const o: KernelObservation = observe(parsed, place(0x100000000n), 1, 1);
    expect(observationToVerdict(o, 0x100000000n)).toMatchObject({
      outcome: 'refused',
      kind: 'pfn',
      errno: 95,
      message: 'bad offset: 0x300000 dax disabled align: 0x200000',
    });
  });

  test('the 6.12+ probe-failure format gives the same errno and no deciding message', () => {
    const newer = parseGuestReport(
      serial.replace(
        '[    2.1] nd_pmem: probe of namespace1.0 failed with error -95',
        '[    2.1] nd_pmem namespace1.0: probe with driver nd_pmem failed with error -95',
      ),
    );
    if (newer === null) throw new Error('no report');
    const o = observe(newer, place(0x100000000n), 1, 1);
    expect(o.probeErrno).toBe(95);
    expect(observationToVerdict(o, 0x100000000n)).toMatchObject({
      outcome: 'refused',
      errno: 95,
      message: 'bad offset: 0x300000 dax disabled align: 0x200000',
    });
  });

  test.each([
    ['nd_pmem: probe of namespace2.0 failed with error -95', { device: 'namespace2.0', errno: 95 }],
    [
      '[ 1.0] nd_pmem namespace2.0: probe with driver nd_pmem failed with error -16',
      { device: 'namespace2.0', errno: 16 },
    ],
    ['[ 1.0] dax_pmem dax3.1: probe with driver dax_pmem failed with error -12', { device: 'dax3.1', errno: 12 }],
    ['[ 1.0] nd_pmem pfn3.1: number of pfns truncated from 40000 to 15872', null],
    ['[ 1.0] dax_pmem dax3.1: dax_region resource conflict for [mem 0x140200000-0x143ffffff]', null],
  ])('probe failure in %s', (line, want) => {
    expect(probeFailure(parseKernelLine(line))).toEqual(want);
  });

  test('no markers, no report', () => {
    expect(parseGuestReport('kernel panic')).toBeNull();
  });
});

describe('first bytes (od -Ax -tx1)', () => {
  test.each([
    ['empty device', ['000000'], ''],
    ['three lines', ['000000 01 02', '000002'], '0102'],
    ['repeat to the end', ['000000 aa bb', '*', '000006'], 'aabbaabbaabb'],
    ['repeat then more', ['000000 00 00', '*', '000004 ff', '000005'], '00000000ff'],
  ])('%s', (_what, lines, hex) => {
    expect(parseOdHex(lines)).toBe(hex);
  });
  test.each([
    ['no end offset', ['000000 01 02']],
    ['offset gap', ['000000 01 02', '000010 03', '000011']],
    ['garbage', ['000000 01 0x', '000002']],
    ['star first', ['*', '000004']],
    ['repeat not a whole line', ['000000 aa bb', '*', '000005']],
    ['lines after the end', ['000000', '000000 01']],
  ])('%s: null', (_what, lines) => {
    expect(parseOdHex(lines)).toBeNull();
  });
});

describe('placement', () => {
  test('isolated images come first, one boot each, the others share', () => {
    const imgs = [false, true, false, true].map((isolate) => ({
      image: { path: 'i', base: 4n * GiB, isolate },
      size: 64n * MiB,
    }));
    const plan = planBoots(imgs, true, 256);
    expect(plan.map((b) => b.map((p) => p.index))).toEqual([[1], [3], [0, 2]]);
  });
  test('relocation keeps base modulo max(1 GiB, size) and isolates images', () => {
    const imgs = [0x100100000n, 0x100100000n, 0x7_0000_0000n + 0x600000n].map((base) => ({
      image: { path: 'i', base },
      size: 64n * MiB,
    }));
    const big = { image: { path: 'big', base: 0x1_2340_0000n }, size: 3n * GiB };
    const plan = planBoots([...imgs, big], true, 256);
    expect(plan).toHaveLength(1);
    const placed = plan[0] ?? [];
    for (const p of placed) {
      expect(p.guestBase % p.modulus).toBe(p.image.base % p.modulus);
      expect(p.guestBase).toBeGreaterThanOrEqual(4n * GiB);
    }
    expect(placed[3]?.modulus).toBe(4n * GiB);
    const sorted = [...placed].sort((a, b) => (a.guestBase < b.guestBase ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev === undefined || cur === undefined) continue;
      expect(cur.guestBase / GiB).toBeGreaterThan((prev.guestBase + prev.size - 1n) / GiB);
    }
  });
  test('maxPerBoot splits the list into boots, order preserved by index', () => {
    const imgs = Array.from({ length: 5 }, () => ({ image: { path: 'i', base: 4n * GiB }, size: 8n * MiB }));
    const plan = planBoots(imgs, true, 2);
    expect(plan.map((b) => b.map((p) => p.index))).toEqual([[0, 1], [2, 3], [4]]);
  });
  test('exact placement puts overlapping images in different boots', () => {
    const imgs = [4n * GiB, 4n * GiB + 64n * MiB, 6n * GiB].map((base) => ({
      image: { path: 'i', base },
      size: 64n * MiB,
    }));
    const plan = planBoots(imgs, false, 256);
    expect(plan.map((b) => b.map((p) => p.index))).toEqual([[0, 2], [1]]);
    expect(plan[0]?.[0]?.guestBase).toBe(4n * GiB);
  });
});

describe('CLI helpers', () => {
  test.each([
    ['0x100000000', 0x100000000n],
    ['4294967296', 0x100000000n],
    ['4G', 0x100000000n],
    ['4097M', 0x100100000n],
    ['1024k', 0x100000n],
  ])('address %s', (text, value) => {
    expect(parseAddress(text)).toBe(value);
  });
  test('bad address is a KernelHarnessError', () => {
    expect(() => parseAddress('4X')).toThrow(KernelHarnessError);
    expect(() => parseImageSpec('noaddr')).toThrow(KernelHarnessError);
  });
  test('IMG@ADDR splits at the last @', () => {
    expect(parseImageSpec('a@b.img@0x1000')).toEqual({ path: 'a@b.img', base: 0x1000n });
  });
});

describe('crash detection', () => {
  test('a panic after an oops is a crash; its headline comes first', () => {
    const serial = [
      '[    2.6] BUG: unable to handle page fault for address: ffff8b7604100000',
      '[    2.6] Oops: 0002 [#1] PREEMPT SMP NOPTI',
      '[    2.7] Kernel panic - not syncing: Fatal exception',
    ].join('\n');
    expect(crashLines(serial)?.[0]).toBe('BUG: unable to handle page fault for address: ffff8b7604100000');
    expect(crashLines('[ 1.0] all fine\n')).toBeNull();
  });
  test('a soft lockup turned into a panic is a crash headed by the lockup line', () => {
    const serial = [
      '[   30.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1:40]',
      '[   30.2] Kernel panic - not syncing: softlockup: hung tasks',
    ].join('\n');
    expect(crashLines(serial)).toEqual([
      'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1:40]',
      'Kernel panic - not syncing: softlockup: hung tasks',
    ]);
  });
  test("a watchdog panic with no fault line is a stall (the harness boots again); a fault line is the image's", () => {
    const lockup = 'watchdog: BUG: soft lockup - CPU#0 stuck for 24s! [swapper/0:1]';
    const panic = 'Kernel panic - not syncing: softlockup: hung tasks';
    const fault = 'BUG: unable to handle page fault for address: ffffc90000a00000';
    expect(lockupOnly([lockup, panic])).toBe(true);
    expect(lockupOnly(['INFO: task init:1 blocked for more than 30 seconds.', panic])).toBe(true);
    expect(lockupOnly([lockup, fault, 'Oops: 0000 [#1] SMP NOPTI', panic])).toBe(false);
    expect(lockupOnly([fault, panic])).toBe(false);
    expect(lockupOnly(['Kernel panic - not syncing: Fatal exception'])).toBe(false);
  });
  test('a boot-time panic without an oops is still reported as panic lines (the harness boots again)', () => {
    expect(
      crashLines("[ 0.5] Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug"),
    ).toEqual(["Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug"]);
  });
});
