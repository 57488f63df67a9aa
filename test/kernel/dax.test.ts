/**
 * The DAX probe's host side without a boot: the digest (same numbers as the guest program's C code),
 * parsing the guest's records, measuring the shift, the outcome per namespace, the pre-boot checks of
 * kernel-check --dax, and the DAX predictions a manifest row may carry.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { DAX_BEGIN, DAX_END, guestInitScript } from '../../src/kernel/init-script';
import {
  daxCrash,
  daxDigest,
  daxObservationOf,
  emptyFindings,
  labelledPages,
  measureShift,
  parseDaxSection,
  refusalLine,
  type CopyFindings,
  type DaxDeviceRecord,
} from '../../src/kernel/dax';
import { daxPreflight, filesystemAt } from '../../src/kernel/dax-check';
import { builtinModules } from '../../src/kernel/modules';
import { daxProbeName } from '../../src/kernel/dax-probe';
import { KernelHarnessError } from '../../src/kernel/errors';
import { InvalidArgumentError } from '../../src/format/errors';
import { daxLine, daxMode, daxStatus, rowDaxPrediction, writeLines } from '../../src/cli/kernel-check-dax';
import { daxNothing } from '../../src/kernel/dax';
import { thrownBy } from '../support/errors';
import { expectSchema, schemaErrors } from '../support/schema';
import { jsonDocument, toWire } from '../../src/format/json';
import { daxBody } from '../../src/cli/kernel-check-dax';
import { testIf } from '../support/skip';
import { useTmpDir } from '../support/tmp';

const serial = (body: string): string => `noise\n${DAX_BEGIN}\n${body}\n${DAX_END}\n`;

describe('the digest', () => {
  // The same bytes through the guest program's C digest (src/kernel/guest/dax-probe.c), computed once:
  // byte i of a 2 MiB buffer is (i * 7 + (i >> 12)) & 0xff.
  const buf = Buffer.alloc(2 << 20);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7 + (i >> 12)) & 0xff;
  test.each([
    ['page 0', 0, 4096, 'af40ddc575428ae6'],
    ['page 1', 4096, 4096, '54b289c50d948046'],
    ['the 2 MiB chunk', 0, 2 << 20, '1ba2fdc505681b23'],
    ['a zero page', 0, 4096, 'z'],
  ])('%s', (name, off, len, want) => {
    const b = name === 'a zero page' ? Buffer.alloc(4096) : buf;
    expect(daxDigest(b, off, len)).toBe(want);
  });
  test('labelled pages are all different and say who they are', () => {
    const p = labelledPages('row', 64);
    const digests = new Set(Array.from({ length: 64 }, (_x, i) => daxDigest(p, i * 4096)));
    expect(digests.size).toBe(64);
    expect(p.subarray(4096, 4096 + 16).toString('ascii')).toBe('ndib-dax page ro');
  });
});

const misplacedSerial = serial(
  [
    'ndib-dax clock dev=begin up=10.00',
    'ndib-dax ns dev=pmem2 parent=pfn2.1 fs=ext4',
    'ndib-dax mount dev=pmem2 rc=0 opts=rw,relatime,dax=always',
    'ndib-dax page dev=pmem2 path=/ndib-data index=0 phys=0x10000 read=1111111111111111 mmap=z',
    'ndib-dax page dev=pmem2 path=/ndib-data index=300 phys=0x13c000 read=2222222222222222 mmap=aaaaaaaaaaaaaaaa',
    'ndib-dax page dev=pmem2 path=/ndib-data index=600 phys=0x268000 read=3333333333333333 mmap=bbbbbbbbbbbbbbbb',
    'ndib-dax file dev=pmem2 path=/ndib-data size=4194304 dax=1 pages=1024 differ=1024',
    'ndib-dax write dev=pmem2 path=/ndib-data index=0 phys=0x10000 marker=4e44 readback=other',
    'ndib-dax kmsg dev=pmem2 [    3.1] EXT4-fs (pmem2): mounted filesystem without journal.',
    'ndib-dax done dev=pmem2',
    'ndib-dax ns dev=pmem3 parent=pfn3.1 fs=ext4',
    'ndib-dax mount dev=pmem3 rc=1 err=mount: mounting /dev/pmem3 on /mnt/pmem3 failed: Invalid argument ',
    'ndib-dax kmsg dev=pmem3 [    3.2] pmem3: error: dax support not enabled',
    'ndib-dax kmsg dev=pmem3 [    3.2] EXT4-fs (pmem3): DAX unsupported by block device.',
    'ndib-dax done dev=pmem3',
    'ndib-dax ns dev=dax4.0 parent=dax4.1 fs=devdax',
    'ndib-dax devdax dev=dax4.0 size=4194304 chunk=2097152 chunks=2',
    'ndib-dax dpage dev=dax4.0 index=0 digest=cccccccccccccccc',
    'ndib-dax chunk dev=dax4.0 index=0 digest=dddddddddddddddd',
    'ndib-dax chunk dev=dax4.0 index=1 digest=eeeeeeeeeeeeeeee',
    'ndib-dax done dev=dax4.0',
    'ndib-dax clock dev=end up=12.50',
  ].join('\n'),
);

describe('the guest records', () => {
  test('parse into one record per device, in order, with mount, pages, writes and kernel lines', () => {
    const s = parseDaxSection(misplacedSerial);
    expect(s?.complete).toBe(true);
    expect(s?.devices.map((d) => [d.device, d.fs, d.done])).toEqual([
      ['pmem2', 'ext4', true],
      ['pmem3', 'ext4', true],
      ['dax4.0', 'devdax', true],
    ]);
    const [a, b, c] = s?.devices ?? [];
    expect(a?.mount).toEqual({ ok: true, options: 'rw,relatime,dax=always', error: null });
    expect(a?.pages.map((p) => [p.index, p.phys, p.mmap])).toEqual([
      [0, 0x10000n, 'z'],
      [300, 0x13c000n, 'aaaaaaaaaaaaaaaa'],
      [600, 0x268000n, 'bbbbbbbbbbbbbbbb'],
    ]);
    expect(a?.files).toEqual([
      { path: '/ndib-data', size: 4194304n, dax: true, pages: 1024, differ: 1024, truncated: false },
    ]);
    expect(a?.writes).toEqual([{ path: '/ndib-data', index: 0, phys: 0x10000n, marker: '4e44', readback: 'other' }]);
    expect(a?.kmsg).toEqual(['EXT4-fs (pmem2): mounted filesystem without journal.']);
    expect(b?.mount).toEqual({
      ok: false,
      options: null,
      error: 'mount: mounting /dev/pmem3 on /mnt/pmem3 failed: Invalid argument',
    });
    expect(refusalLine(b?.kmsg ?? [])).toBe('EXT4-fs (pmem3): DAX unsupported by block device.');
    expect(refusalLine(['pmem3: error: dax support not enabled'])).toBe('pmem3: error: dax support not enabled');
    expect(c?.devdax).toEqual({
      size: 4194304n,
      chunks: 2,
      chunkDigests: ['dddddddddddddddd', 'eeeeeeeeeeeeeeee'],
      pageDigests: ['cccccccccccccccc'],
    });
  });
  test('a boot that ended while probing leaves that device not done and the section incomplete', () => {
    const torn =
      `${DAX_BEGIN}\nndib-dax ns dev=pmem0 parent=pfn0.1 fs=ext4\n` +
      'ndib-dax mount dev=pmem0 rc=0 opts=rw,dax=always\n[   5.0] BUG: unable to handle page fault for address: ffff\n';
    const s = parseDaxSection(torn);
    expect(s?.complete).toBe(false);
    expect(s?.devices.map((d) => d.done)).toEqual([false]);
    expect(parseDaxSection('no section at all')).toBeNull();
  });
  test('paths come back unescaped', () => {
    const s = parseDaxSection(
      serial(
        'ndib-dax ns dev=pmem0 parent=pfn0.1 fs=xfs\n' +
          'ndib-dax file dev=pmem0 path=/a%20b%25c size=0 dax=? pages=0 differ=0',
      ),
    );
    expect(s?.devices[0]?.files[0]).toMatchObject({ path: '/a b%c', dax: null });
  });
  test('the DAX section is only in the DAX guest, after the report', () => {
    const plain = guestInitScript(['libnvdimm']);
    const dax = guestInitScript(['libnvdimm'], true);
    expect(plain).not.toContain(DAX_BEGIN);
    expect(dax.indexOf(DAX_BEGIN)).toBeGreaterThan(dax.indexOf('@@ND-INFOBLOCK-REPORT-END@@'));
    // ext4 with -o dax; xfs with -o dax,nouuid (two copies of one filesystem in one boot both mount).
    expect(dax).toContain('mount -t $fs -o $opts');
    expect(dax).toContain('opts=dax\n');
    expect(dax).toContain('[ "$fs" = xfs ] && opts=dax,nouuid');
  });
});

const findings = (pages: [string, bigint[]][], markers: [string, bigint | null][] = []): CopyFindings => ({
  ...emptyFindings(),
  pages: new Map(pages),
  markers: new Map(markers),
});

describe('the outcome', () => {
  const recs = parseDaxSection(misplacedSerial)?.devices ?? [];
  const rec = (i: number): DaxDeviceRecord => recs[i] as DaxDeviceRecord;
  test('misplaced: the shift most pages agree on, and where the write landed', () => {
    // Data start at image offset 0x300000 (start_pad 1 MiB + dataoff 2 MiB): page 300 reads at 0x43c000 and
    // maps bytes that live at 0x33c000; page 600 reads at 0x568000 and maps 0x468000.
    const d = daxObservationOf(
      rec(0),
      0x300000n,
      findings(
        [
          ['aaaaaaaaaaaaaaaa', [0x33c000n, 0x900000n]],
          ['bbbbbbbbbbbbbbbb', [0x468000n]],
        ],
        [['4e44', 0x210000n]],
      ),
    );
    expect(d).toMatchObject({
      outcome: 'misplaced',
      shift: 0x100000n,
      mount: 'dax',
      pagesCompared: 1024,
      pagesDiffering: 1024,
      pagesExplained: 2,
      writes: [{ path: '/ndib-data', expected: 0x310000n, landed: 0x210000n, shift: 0x100000n, readBack: false }],
    });
    expect(d.reason).toBe(
      'pmem2: DAX on; mmap shows other bytes than read(2) on 1024 of 1024 pages: ' +
        "the mapped bytes live 0x100000 bytes below the file's blocks",
    );
  });
  test('refused: ext4 fails the mount with the kernel saying why', () => {
    expect(daxObservationOf(rec(1), 0x300000n, emptyFindings())).toMatchObject({
      outcome: 'refused',
      mount: 'failed',
      shift: null,
      reason: 'pmem3: mount -o dax of ext4 fails: EXT4-fs (pmem3): DAX unsupported by block device.',
    });
  });
  test('devdax: chunks that match the data area are consistent, others misplaced', () => {
    const same = { ...emptyFindings(), chunks: new Map([[0x200000n, ['dddddddddddddddd', 'eeeeeeeeeeeeeeee']]]) };
    expect(daxObservationOf(rec(2), 0x200000n, same)).toMatchObject({
      outcome: 'consistent',
      shift: 0n,
      pagesCompared: 1024,
    });
    const other = { ...emptyFindings(), chunks: new Map([[0x200000n, ['dddddddddddddddd', 'ffffffffffffffff']]]) };
    expect(daxObservationOf(rec(2), 0x200000n, other)).toMatchObject({ outcome: 'misplaced', pagesDiffering: 512 });
  });
  test('xfs mounted with dax=never is refused; no file pages prove nothing', () => {
    const s = parseDaxSection(
      serial(
        'ndib-dax ns dev=pmem5 parent=pfn5.1 fs=xfs\nndib-dax mount dev=pmem5 rc=0 opts=rw,attr2,dax=never\n' +
          'ndib-dax file dev=pmem5 path=/f size=4096 dax=0 pages=1 differ=0\n' +
          'ndib-dax kmsg dev=pmem5 XFS (pmem5): DAX unsupported by block device. Turning off DAX.\n' +
          'ndib-dax done dev=pmem5\n' +
          'ndib-dax ns dev=pmem6 parent=pfn6.1 fs=ext4\n' +
          'ndib-dax mount dev=pmem6 rc=0 opts=rw,dax=always\nndib-dax done dev=pmem6',
      ),
    );
    const [x, e] = s?.devices ?? [];
    expect(daxObservationOf(x as DaxDeviceRecord, 0n, emptyFindings())).toMatchObject({
      outcome: 'refused',
      mount: 'without-dax',
      reason:
        'pmem5: xfs mounted without DAX (rw,attr2,dax=never: ' +
        'XFS (pmem5): DAX unsupported by block device. Turning off DAX.)',
    });
    expect(daxObservationOf(e as DaxDeviceRecord, 0n, emptyFindings())).toMatchObject({ outcome: null, mount: 'dax' });
  });
  test('a crash while probing is the crashes outcome with its headline and RIP', () => {
    const d = daxCrash(
      rec(0),
      [
        'BUG: unable to handle page fault for address: fffff959c4008408',
        'RIP: 0010:dax_insert_entry+0x14c/0x3c0',
        'Kernel panic - not syncing: Fatal exception',
      ],
      'pmem2',
    );
    expect(d).toMatchObject({ outcome: 'crashes', shift: null, device: 'pmem2', filesystem: 'ext4' });
    expect(d.reason).toBe(
      'the kernel crashed while the probe mapped this namespace: ' +
        'BUG: unable to handle page fault for address: fffff959c4008408 (RIP: 0010:dax_insert_entry+0x14c/0x3c0)',
    );
  });
  test('measureShift: votes across pages; pages with no match or no offset give none', () => {
    expect(measureShift([{ readAt: null, mmap: 'a' }], new Map([['a', [0n]]]))).toEqual({ shift: null, explained: 0 });
    expect(
      measureShift(
        [
          { readAt: 0x5000n, mmap: 'a' },
          { readAt: 0x9000n, mmap: 'b' },
          { readAt: 0xa000n, mmap: 'c' },
        ],
        new Map([
          ['a', [0x4000n, 0x1000n]],
          ['b', [0x8000n]],
          ['c', [0x2000n]],
        ]),
      ),
    ).toEqual({ shift: 0x1000n, explained: 2 });
  });
});

describe('kernel-check --dax before any boot', () => {
  const tmp = useTmpDir('dax-preflight');
  test.each([
    ['ext4', (b: Buffer) => b.writeUInt16LE(0xef53, 1080), 'ext4'],
    ['xfs', (b: Buffer) => b.write('XFSB', 0, 'ascii'), 'xfs'],
    ['zeros', (_b: Buffer) => undefined, 'none'],
    ['other bytes', (b: Buffer) => b.write('hello', 100, 'ascii'), 'unknown'],
  ])('the filesystem at the data start: %s', (_n, fill, want) => {
    const b = Buffer.alloc(2048);
    fill(b);
    expect(filesystemAt(b)).toBe(want);
  });

  function ndctlImage(name: string, mode: 'fsdax' | 'devdax'): string {
    const f = path.join(tmp.dir, name);
    fs.rmSync(f, { force: true });
    execFileSync('truncate', ['-s', String(64 << 20), f]);
    execFileSync('ndctl', ['write-infoblock', '-o', f, '-s', String(64 << 20), '-m', mode, '-M', 'mem'], {
      stdio: 'ignore',
    });
    return f;
  }
  const haveNdctl = ((): boolean => {
    try {
      execFileSync('ndctl', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  testIf(haveNdctl, 'needs ndctl to write the blocks')(
    'bad input is one line naming what is missing, before any boot',
    () => {
      const raw = path.join(tmp.dir, 'raw.img');
      execFileSync('truncate', ['-s', String(64 << 20), raw]);
      const empty = ndctlImage('empty.img', 'fsdax');
      const odd = ndctlImage('odd.img', 'fsdax');
      const fd = fs.openSync(odd, 'r+');
      fs.writeSync(fd, Buffer.from('not a filesystem'), 0, 16, 2 * 1024 * 1024 + 100);
      fs.closeSync(fd);
      const base = 0x100000000n;
      const cases: [string, string, 'read' | 'scratch', string][] = [
        [
          raw,
          'raw',
          'read',
          `${raw}: the DAX probe maps fsdax and devdax namespaces only, and Linux 6.1 leaves it raw`,
        ],
        [
          empty,
          'no fs',
          'read',
          `${empty}: no filesystem at the data start (namespace offset 0x200000): the DAX probe mounts ext4 or xfs ` +
            'there; the scratch mode makes a scratch ext4 in a copy to probe the geometry',
        ],
        [
          odd,
          'unknown fs',
          'read',
          `${odd}: the filesystem at the data start (namespace offset 0x200000) is neither ext4 nor xfs, nor does ` +
            'an MBR there have a partition holding one: the DAX probe mounts ext4 or xfs; the scratch mode makes a ' +
            'scratch ext4 in a copy instead',
        ],
      ];
      for (const [file, , mode, message] of cases) {
        const e = thrownBy(() => daxPreflight([{ path: file, base }], {}, mode));
        expect(e).toBeInstanceOf(KernelHarnessError);
        expect((e as KernelHarnessError).message.slice(0, message.length)).toBe(message);
        expect((e as KernelHarnessError).code).toBe('bad-image');
      }
      // The scratch mode takes a namespace without a filesystem; devdax needs none.
      expect(daxPreflight([{ path: empty, base }], {}, 'scratch')[0]?.filesystem).toBe('none');
      expect(daxPreflight([{ path: ndctlImage('dd.img', 'devdax'), base }], {}, 'read')[0]?.filesystem).toBeNull();
    },
  );
});

describe('the CLI pieces', () => {
  test.each([
    [true, 'read'],
    ['write', 'write'],
    ['scratch', 'scratch'],
  ])('--dax %s is mode %s', (v, want) => expect(daxMode(v)).toBe(want));
  test('an unknown mode is an invalid argument', () => {
    const e = thrownBy(() => daxMode('rw'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe(
      "bad --dax mode 'rw': expected read, write, scratch (write --dax=MODE, or --dax after the images)",
    );
  });
  test('a DAX line and the write lines', () => {
    const d = {
      outcome: 'misplaced' as const,
      reason: 'pmem2: DAX on',
      shift: 0x100000n,
      device: 'pmem2',
      filesystem: 'ext4' as const,
      mount: 'dax' as const,
      mountOptions: null,
      mountError: null,
      files: 1,
      pagesCompared: 1024,
      pagesDiffering: 1024,
      pagesExplained: 24,
      writes: [{ path: '/f', expected: 0x310000n, landed: 0x210000n, shift: 0x100000n, readBack: false }],
      crash: null,
      messages: [],
    };
    expect(daxLine(d)).toBe('  dax: misplaced shift=0x100000 ext4 mount=dax pages=1024 differing=1024: pmem2: DAX on');
    expect(writeLines(d)).toEqual([
      '  dax write /f: the block at image offset 0x310000; the marker landed at 0x210000, 0x100000 bytes below; ' +
        'read(2) does not see it',
    ]);
    const item = (outcome: typeof d.outcome | 'consistent' | 'refused'): Parameters<typeof daxStatus>[0][number] =>
      ({ verdict: { outcome: 'claimed' }, dax: { ...d, outcome } }) as unknown as Parameters<
        typeof daxStatus
      >[0][number];
    expect(daxStatus([item('consistent'), item('refused')])).toBe(0);
    expect(daxStatus([item('consistent'), item('misplaced')])).toBe(1);
  });
  test.each([
    [{ dax: { outcome: 'misplaced', shift: '0x100000' } }, '6.1', { outcome: 'misplaced', shift: 0x100000n }],
    [
      { dax: { '6.1': { outcome: 'crashes', shift: '0x0' }, '5.10': { outcome: 'refused' } } },
      '5.10',
      { outcome: 'refused', shift: null },
    ],
    [
      { dax_by_kernel: { 'linux-7.2': { outcome: 'consistent', shift: '0x0' } } },
      '7.2',
      { outcome: 'consistent', shift: 0n },
    ],
    [{ dax: 'misplaced' }, '6.1', null],
    [{}, '6.1', null],
  ])("a manifest row's DAX prediction %#", (row, version, want) => {
    expect(rowDaxPrediction(row as Record<string, unknown>, version)).toEqual(want);
  });
  test('modules.builtin names, and the probe program named by its source hash', () => {
    expect([...builtinModules('kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c-generic.ko\n\n')]).toEqual([
      'ext4',
      'crc32c_generic',
    ]);
    expect(daxProbeName('int main(void){return 0;}')).toMatch(/^ndib-dax-probe-[0-9a-f]{16}$/);
  });
});

describe('the kernel-check document with --dax', () => {
  const verdict = {
    file: 'a.img',
    nsBase: 0x100100000n,
    outcome: 'claimed',
    kind: 'pfn',
    mode: 'ram',
    errno: null,
    message: null,
    messages: [],
    dataStart: 0x300000n,
    dataSize: 0x3c00000n,
    guestBase: 0x100100000n,
    boot: 1,
  };
  const misplaced = {
    ...daxNothing('pmem0: DAX on; mmap shows other bytes', 'pmem0'),
    outcome: 'misplaced' as const,
    shift: 0x100000n,
    filesystem: 'ext4' as const,
    mount: 'dax' as const,
    mountOptions: 'rw,relatime,dax=always',
    files: 1,
    pagesCompared: 1024,
    pagesDiffering: 1024,
    pagesExplained: 24,
    writes: [{ path: '/f', expected: 0x310000n, landed: 0x210000n, shift: 0x100000n, readBack: false }],
  };
  const doc = (dax: object, probe: object): unknown =>
    toWire(
      jsonDocument('kernel-check', {
        kernel: { version: '6.1', release: '6.1.0-57-amd64', image: null },
        verdicts: [{ ...verdict, dax }],
        daxProbe: probe,
      }),
    );
  const probe = {
    mode: 'write',
    copies: 'sparse',
    boots: [{ boot: 1, images: 1, seconds: 12.5 }],
    probeSeconds: [1.5],
  };
  test.each([
    ['misplaced', daxBody(misplaced)],
    ['nothing to map', daxBody(daxNothing('pmem0: no ext4 or xfs filesystem at the data start'))],
    ['crashes', daxBody(daxCrash(null, ['BUG: x', 'RIP: 0010:dax_insert_entry+0x1'], 'pmem1'))],
  ])('follows the schema: %s', (_n, dax) => {
    expectSchema('kernel-check', doc(dax, probe));
  });
  test('the schema holds the probe to its words', () => {
    expect(
      schemaErrors('kernel-check', doc({ ...daxBody(misplaced), outcome: 'shifted' }, probe)).length,
    ).toBeGreaterThan(0);
    expect(
      schemaErrors('kernel-check', doc(daxBody(misplaced), { ...probe, copies: 'in-place' })).length,
    ).toBeGreaterThan(0);
  });
});
