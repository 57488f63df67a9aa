// Offline replay of real-kernel observations: every case the QEMU harness
// booted (test/kernel/observed/<version>.jsonl, one JSON line per case of
// test/kernel/matrix-cases.ts) is rebuilt here and judged by
// checkHead(..., { kernel: <that version> }); outcome, errno, the deciding
// message, data_start and data_size must agree with the kernel.
//
// Harness placement parameters (not validator facts) come from the
// observation: the namespace's guest base (congruent to the case's base
// modulo 1 GiB, so every alignment rule sees the same thing) from a printed
// [mem A-B] range, and the kernel's namespace name from its rule 11 line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkHead, type Verdict } from '../../src/validate/check';
import { crashHeadline, kernelDecidingMessage } from '../../src/kernel/compare';
import { matrixCases, type MatrixCase } from '../kernel/matrix-cases';
import { caseHead } from '../support/matrix-head';

interface Observed {
  outcome: 'claimed' | 'raw' | 'refused' | 'crashed';
  errno: number | null;
  message: string | null;
  messages: string[];
  data_start: string | null;
  data_size: string | null;
}
interface Line {
  kernel: string;
  version?: string;
  id: string;
  observed: Observed | null;
  error?: string | null;
}

const DIR = path.join(__dirname, '..', 'kernel', 'observed');
const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /^\d+\.\d+\.jsonl$/.test(f)) : [];
const byId = new Map(matrixCases().map((c) => [c.id, c]));
const GiB = 1n << 30n;

/** The kernel's deciding message in the validator's terms (a bare probe failure is no reason). */
function placement(c: MatrixCase, o: Observed): { nsBase: bigint; nsName?: string } {
  let nsBase = c.base;
  for (const m of o.messages) {
    const r = /\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]/.exec(m);
    if (
      r !== null &&
      BigInt(r[2] as string) - BigInt(r[1] as string) + 1n === c.size &&
      BigInt(r[1] as string) % GiB === c.base % GiB
    )
      nsBase = BigInt(r[1] as string);
  }
  const name = o.messages.map((m) => /capacity of (\S+)$/.exec(m)?.[1]).find((x) => x !== undefined);
  return name === undefined ? { nsBase } : { nsBase, nsName: name };
}

/**
 * Boots that panicked before the namespace mattered (a QEMU TCG timer
 * failure): no observation of the image. Each must be listed here with its
 * case, so a new one fails the test until someone looks at it.
 */
const BOOT_FAILURE = /IO-APIC \+ timer doesn't work/;
const KNOWN_BOOT_FAILURES: Record<string, readonly string[]> = {};
const bootFailed = (o: Observed): boolean => o.outcome === 'crashed' && o.messages.some((m) => BOOT_FAILURE.test(m));

/** Differences between the kernel and the validator, one string each. */
export function differences(o: Observed, v: Verdict): string[] {
  const d: string[] = [];
  const eq = (name: string, k: unknown, x: unknown): void => {
    if (k !== x) d.push(`${name}: kernel ${String(k)} / validator ${String(x)}`);
  };
  if (o.outcome === 'crashed') {
    eq('outcome', 'crashed', v.outcome);
    if (v.message !== null && o.message !== null) eq('crash', crashHeadline(o.message), crashHeadline(v.message));
    return d;
  }
  eq('outcome', o.outcome, v.outcome);
  eq('errno', o.errno, v.errno);
  eq('message', kernelDecidingMessage(o), v.message);
  eq('data_start', o.data_start === null ? null : BigInt(o.data_start), v.dataStart);
  eq('data_size', o.data_size === null ? null : BigInt(o.data_size), v.dataSize);
  return d;
}

test('observation files exist (an empty directory fails, never skips)', () => {
  expect(files.length).toBeGreaterThan(0);
});

describe.each(files.map((f) => [f.replace(/\.jsonl$/, ''), f] as const))(
  'Linux %s: validator vs observed kernel',
  (version, file) => {
    const lines = fs
      .readFileSync(path.join(DIR, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Line);

    test('every line is an observation of a known matrix case', () => {
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.observed === null).map((l) => `${l.id}: ${l.error ?? 'no observation'}`)).toEqual(
        [],
      );
      expect(lines.filter((l) => !byId.has(l.id)).map((l) => l.id)).toEqual([]);
      expect(new Set(lines.map((l) => l.kernel.split('.').slice(0, 2).join('.')))).toEqual(new Set([version]));
    });

    test('boot failures unrelated to the image are exactly the known ones', () => {
      const failed = lines.filter((l) => l.observed !== null && bootFailed(l.observed)).map((l) => l.id);
      expect(failed).toEqual([...(KNOWN_BOOT_FAILURES[version] ?? [])]);
    });

    test('100% agreement on outcome, errno, deciding message, data_start and data_size', () => {
      const bad: string[] = [];
      for (const l of lines) {
        const c = byId.get(l.id);
        if (c === undefined || l.observed === null || bootFailed(l.observed)) continue;
        const v = checkHead(caseHead(c), { kernel: version, nsSize: c.size, ...placement(c, l.observed) });
        const d = differences(l.observed, v);
        if (d.length > 0) bad.push(`${l.id} (${v.failedRule ?? 'no rule'}): ${d.join('; ')}`);
      }
      expect(bad).toEqual([]);
    });
  },
);
