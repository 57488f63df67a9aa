// Kill campaign of realign and of its restore: the built CLI is SIGKILLed at
// every step of the realignment (each block, each label, the index write
// torn at several bytes) and of the undo. After every kill every byte of the
// DIMM image is the original's or the realigned image's, the kernel's view
// of the labels is either both old namespaces or both new ones with the data
// where it was, a backup under its real name is a whole record, and a rerun
// (through the dead process's stale lock) ends on exactly the realigned
// image; restore then gives back exactly the original bytes.
import * as fs from 'node:fs';
import { dimmLayout } from '../../src/format/labels-spec';
import { REALIGN_STEPS, type FaultStep } from '../../src/io/faults';
import { decodeRealignRecord } from '../../src/migrate/realign-backup';
import { checkLabelledDimm } from '../../src/validate/labels';
import { MiB, writeDimm, type PaddedNamespace } from '../support/dimm';
import { cli } from '../support/spawn';
import { useTmpDir } from '../support/tmp';

jest.setTimeout(30 * 60 * 1000);
const LSA = 128n * 1024n;
const tmp = useTmpDir('realign-kill');
const ns = (uuid: string, dpa: bigint): PaddedNamespace => ({
  uuid,
  dpa,
  size: 8n * MiB,
  startPad: 1n * MiB,
  endTrunc: 1n * MiB,
  dataoff: 2n * MiB,
});
const NSS = [
  ns('aaaaaaaa-bbbb-4ccc-8ddd-000000000001', 1n * MiB),
  ns('aaaaaaaa-bbbb-4ccc-8ddd-000000000002', 9n * MiB),
];
const SIZE = 18n * MiB + LSA;
const OLD = [
  [1n * MiB, 8n * MiB],
  [9n * MiB, 8n * MiB],
];
const NEW = [
  [2n * MiB, 6n * MiB],
  [10n * MiB, 6n * MiB],
];
/** Physical data start of each namespace: the same in every state. */
const DATA = [4n * MiB, 12n * MiB];

let original: Buffer;
let realigned: Buffer;
let round = 0;

beforeAll(() => {
  const f = tmp.path('reference.img');
  writeDimm(f, SIZE, LSA, NSS);
  original = fs.readFileSync(f);
  expect(cli(['realign', f, '--label-size', '128K']).status).toBe(0);
  realigned = fs.readFileSync(f);
});

function fresh(): string {
  const f = tmp.path(`round ${round++} é.img`);
  fs.writeFileSync(f, original);
  return f;
}

/** Which whole image this is, byte by byte: each byte must be the original's or the realigned one's. */
function everyByteKnown(img: Buffer): boolean {
  if (img.length !== original.length) return false;
  for (let i = 0; i < img.length; i++) if (img[i] !== original[i] && img[i] !== realigned[i]) return false;
  return true;
}

/** The namespaces the kernel creates, with the physical data start it computes for each. */
function kernelView(img: Buffer): { places: bigint[][]; data: bigint[] } {
  const { capacity, labelOffset } = dimmLayout(BigInt(img.length), LSA);
  const read = (o: bigint, l: number): Uint8Array => img.subarray(Number(o), Number(o) + l);
  const v = checkLabelledDimm(read(labelOffset, Number(LSA)), capacity, read, { kernel: '6.1' });
  return {
    places: v.namespaces.map((n) => [n.dpa, n.size]),
    data: v.namespaces.map((n) => (n.verdict.outcome === 'claimed' ? n.dpa + (n.verdict.dataStart ?? 0n) : -1n)),
  };
}

function expectConsistent(f: string): 'old' | 'new' {
  const img = fs.readFileSync(f);
  expect(everyByteKnown(img)).toBe(true);
  const k = kernelView(img);
  expect(k.data).toEqual(DATA);
  if (k.places.length === OLD.length && k.places.every((p, i) => p.join() === OLD[i]?.join())) return 'old';
  expect(k.places).toEqual(NEW);
  return 'new';
}

function expectBackupWholeOrAbsent(f: string): void {
  const b = `${f}.realign-backup`;
  if (fs.existsSync(b)) expect(() => decodeRealignRecord(fs.readFileSync(b))).not.toThrow();
}

type Kill = { kill: FaultStep; hit?: number; tear?: number };
const REALIGN_KILLS: Kill[] = [
  // mid-write is reached only when the index write is torn: the tear entries below.
  ...REALIGN_STEPS.filter((s) => !['after-block', 'after-label', 'mid-write'].includes(s)).map((kill) => ({ kill })),
  { kill: 'after-block', hit: 1 },
  { kill: 'after-block', hit: 2 },
  { kill: 'after-label', hit: 1 },
  { kill: 'after-label', hit: 2 },
  ...[1, 64, 72, 200].map((tear): Kill => ({ kill: 'mid-write', tear })),
];

test('a SIGKILL at every step of realign: old or new namespaces, and a rerun ends on the realigned image', () => {
  const states: Record<string, string> = {};
  for (const spec of REALIGN_KILLS) {
    const f = fresh();
    const r = cli(['realign', f, '--label-size', '128K'], { spec });
    expect(r.signal).toBe('SIGKILL');
    states[
      `${spec.kill}${spec.hit === undefined ? '' : `#${spec.hit}`}${spec.tear === undefined ? '' : `@${spec.tear}`}`
    ] = expectConsistent(f);
    expectBackupWholeOrAbsent(f);
    const again = cli(['realign', f, '--label-size', '128K']);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(f).equals(realigned)).toBe(true);
    expect(cli(['restore', f]).status).toBe(0);
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  }
  // The index write is the switch: before it the old namespaces, from it on the new ones.
  expect(states).toMatchObject({
    'after-backup': 'old',
    'after-block#2': 'old',
    'after-label#2': 'old',
    'mid-write@64': 'old',
    'after-write': 'new',
    'after-verify': 'new',
  });
});

test('a SIGKILL at every step of restore: new or old namespaces, and a rerun ends on the original image', () => {
  const kills: Kill[] = [
    { kill: 'after-read' },
    { kill: 'mid-write', tear: 100 },
    { kill: 'after-write', hit: 1 },
    { kill: 'after-write', hit: 3 },
    { kill: 'after-write', hit: 5 },
    { kill: 'after-fsync' },
    { kill: 'after-verify' },
  ];
  const states: string[] = [];
  for (const spec of kills) {
    const f = fresh();
    expect(cli(['realign', f, '--label-size', '128K']).status).toBe(0);
    const r = cli(['restore', f], { spec });
    expect(r.signal).toBe('SIGKILL');
    states.push(expectConsistent(f));
    const again = cli(['restore', f]);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(f).equals(original)).toBe(true);
  }
  // The index goes back first: from its write on the old namespaces are current again (a torn index fails its
  // checksum, so the old one, still intact, is current: old too, unless the tear wrote no differing byte).
  expect([states[0], ...states.slice(2)]).toEqual(['new', 'old', 'old', 'old', 'old', 'old']);
});
