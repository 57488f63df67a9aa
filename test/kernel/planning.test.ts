/**
 * Kernel versions (--kernel parsing, the package table), crash bisection and
 * the boot pool: pure parts, no QEMU and no network.
 */

import { bootBisecting, runPool, type BootOutcome } from '../../src/kernel/bisect';
import { KernelHarnessError } from '../../src/kernel/errors';
import { KERNEL_PACKAGES, KERNEL_VERSIONS, cachedKernelDebs, parseKernelVersion } from '../../src/kernel/kernels';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { useTmpDir } from '../support/tmp';

describe('kernel versions', () => {
  const debs = useTmpDir('debs');
  test.each(KERNEL_VERSIONS.map((v) => [v]))('%s parses', (v) => {
    expect(parseKernelVersion(` ${v} `)).toBe(v);
  });
  test.each([['6'], ['6.6'], ['latest'], [''], ['6.1.0']])('%j is refused with kernel-unknown', (text) => {
    expect(() => parseKernelVersion(text)).toThrow(KernelHarnessError);
    try {
      parseKernelVersion(text);
    } catch (e: unknown) {
      expect((e as KernelHarnessError).code).toBe('kernel-unknown');
      expect((e as Error).message).toContain('5.10, 6.1, 6.12, 7.2');
    }
  });
  test.each([
    ['5.10', 'linux-image-5.10.0-46-amd64-unsigned', true],
    ['5.10', 'linux-image-5.10.0-46-rt-amd64-unsigned', false],
    ['6.1', 'linux-image-6.1.0-56-amd64-unsigned', true],
    ['6.1', 'linux-image-6.12.117+deb12-amd64-unsigned', false],
    ['6.12', 'linux-image-6.12.117+deb12-amd64-unsigned', true],
    ['6.12', 'linux-image-6.12.117+deb12-cloud-amd64-unsigned', false],
    ['7.2', 'linux-binary-unsigned-7.2.13+deb14-amd64', true],
    ['7.2', 'linux-binary-unsigned-7.2.13+deb14-rt-amd64', false],
  ] as const)('Linux %s package pattern vs %s', (v, name, ok) => {
    expect(KERNEL_PACKAGES[v].image.test(name)).toBe(ok);
  });

  test('cached debs: the newest image, and for 7.2 only with its modules package', async () => {
    const dir = debs.dir;
    for (const n of [
      'linux-image-6.1.0-9-amd64-unsigned_6.1.27-1_amd64.deb',
      'linux-image-6.1.0-56-amd64-unsigned_6.1.192-2_amd64.deb',
      'linux-binary-unsigned-7.2.13+deb14-amd64_7.2.13-1_amd64.deb',
    ]) {
      await fs.writeFile(path.join(dir, n), '');
    }
    expect(await cachedKernelDebs(dir, KERNEL_PACKAGES['6.1'])).toEqual([
      path.join(dir, 'linux-image-6.1.0-56-amd64-unsigned_6.1.192-2_amd64.deb'),
    ]);
    expect(await cachedKernelDebs(dir, KERNEL_PACKAGES['6.12'])).toBeNull();
    expect(await cachedKernelDebs(dir, KERNEL_PACKAGES['7.2'])).toBeNull();
    await fs.writeFile(path.join(dir, 'linux-modules-7.2.13+deb14-amd64_7.2.13-1_amd64.deb'), '');
    expect(await cachedKernelDebs(dir, KERNEL_PACKAGES['7.2'])).toEqual([
      path.join(dir, 'linux-binary-unsigned-7.2.13+deb14-amd64_7.2.13-1_amd64.deb'),
      path.join(dir, 'linux-modules-7.2.13+deb14-amd64_7.2.13-1_amd64.deb'),
    ]);
  });
});

describe('crash bisection', () => {
  /** A fake boot: crashes when any item is in `bad`, else reports the items. */
  const run = async (
    n: number,
    bad: Set<number>,
  ): Promise<{ boots: number; reported: number[]; crashed: number[] }> => {
    let boots = 0;
    const reported: number[] = [];
    const crashed: number[] = [];
    const items = Array.from({ length: n }, (_, i) => i);
    await bootBisecting<number, string>(items, {
      boot: (xs): Promise<BootOutcome<string>> => {
        boots++;
        return Promise.resolve(
          xs.some((x) => bad.has(x)) ? { report: null, crash: ['BUG: x'] } : { report: 'ok', crash: null },
        );
      },
      reported: (xs) => reported.push(...xs),
      crashed: (x) => crashed.push(x),
    });
    return { boots, reported: reported.sort((a, b) => a - b), crashed };
  };
  test('no crash: one boot', async () => {
    expect(await run(16, new Set())).toEqual({
      boots: 1,
      reported: Array.from({ length: 16 }, (_, i) => i),
      crashed: [],
    });
  });
  test('one crash in 16: found alone in 1 + 2 log2(16) boots, every other item reported', async () => {
    const r = await run(16, new Set([11]));
    expect(r.crashed).toEqual([11]);
    expect(r.reported).toEqual(Array.from({ length: 16 }, (_, i) => i).filter((i) => i !== 11));
    expect(r.boots).toBe(1 + 2 * 4);
  });
  test('two crashes are both isolated', async () => {
    const r = await run(10, new Set([0, 9]));
    expect(r.crashed).toEqual([0, 9]);
    expect(r.reported).toHaveLength(8);
  });
});

describe('boot pool', () => {
  test('never more than width at once, every job run', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (j) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + (j % 3) * 3));
      running--;
      done.push(j);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  test('the first failure is rethrown and no new job starts after it', async () => {
    const started: number[] = [];
    await expect(
      runPool([1, 2, 3, 4, 5], 1, (j) => {
        started.push(j);
        return j === 2 ? Promise.reject(new KernelHarnessError('timeout', 'boom')) : Promise.resolve();
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});
