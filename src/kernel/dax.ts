/**
 * DAX on the booted kernel: the records the DAX guest prints after its report (init-script.ts's DAX
 * section, the probe program src/kernel/guest/dax-probe.c), what the host finds in the booted copy of
 * an image (where the bytes a DAX mapping showed, and the markers written through it, live), and the
 * outcome per namespace in the validator's words:
 *
 * - `consistent`: DAX is on and every page a DAX mapping shows is the page read(2) shows (shift 0);
 * - `refused`: the kernel would not use DAX (ext4's mount fails, xfs mounts without DAX);
 * - `misplaced`: DAX is on and mappings show other bytes; `shift` is how many bytes below the read(2)
 *   location the mapped bytes live in the image;
 * - `crashes`: the kernel oopsed on the first DAX fault.
 *
 * Parsing and the outcome are pure; scanCopy reads the booted copy (this layer's own file I/O, like
 * the harness's copies).
 */

import { promises as fs } from 'node:fs';

import { hex } from '../format/int64';
import { DAX_BEGIN, DAX_END } from './init-script';

/** The validator's DAX words (src/validate/dax-verdict.ts defines the same union). */
export type DaxOutcome = 'consistent' | 'refused' | 'misplaced' | 'crashes';
/** What the probe does: compare only, also write through a mapping, or first make a scratch ext4. */
export type DaxProbeMode = 'read' | 'write' | 'scratch';
export const DAX_PROBE_MODES: readonly DaxProbeMode[] = ['read', 'write', 'scratch'];

export const PAGE = 4096;
/** The devdax digest chunk (dax-probe.c's CHUNK). */
export const DAX_CHUNK = 2 * 1024 * 1024;

/** One file the guest compared. */
export interface DaxFileRecord {
  path: string;
  size: bigint;
  /** statx's DAX attribute: true/false, null when the kernel does not report it. */
  dax: boolean | null;
  pages: number;
  differ: number;
  truncated: boolean;
}

/** A page whose mapping differs from read(2): its device offset (FIEMAP) and both digests. */
export interface DaxPageRecord {
  path: string;
  index: number;
  phys: bigint | null;
  read: string;
  mmap: string;
}

/** A marker written through a mapping of a file's page, and whether read(2) then saw it. */
export interface DaxWriteRecord {
  path: string;
  index: number;
  phys: bigint | null;
  /** The marker's bytes as hex. */
  marker: string;
  readback: 'marker' | 'other' | 'error';
}

/** Everything the guest printed about one device (pmemN for fsdax, daxX.Y for devdax). */
export interface DaxDeviceRecord {
  device: string;
  parent: string | null;
  /** A partition's byte offset in its pmem device (`start=`; 0 for a whole device and for devdax). */
  offset: bigint;
  fs: 'ext4' | 'xfs' | 'none' | 'devdax';
  mount: { ok: boolean; options: string | null; error: string | null } | null;
  files: DaxFileRecord[];
  pages: DaxPageRecord[];
  writes: DaxWriteRecord[];
  devdax: { size: bigint; chunks: number; chunkDigests: string[]; pageDigests: string[] } | null;
  errors: string[];
  kmsg: string[];
  /** The guest finished this device (false: the boot ended while probing it). */
  done: boolean;
}

export interface DaxSection {
  devices: DaxDeviceRecord[];
  /** The section's end marker was printed. */
  complete: boolean;
}

const unescapePath = (s: string): string => decodeURIComponent(s.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));

/** key=value words of a record (values without spaces; `err=` and kmsg take the rest of the line). */
function words(rest: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of rest.split(' ')) {
    const i = w.indexOf('=');
    if (i > 0) out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out;
}

const big = (s: string | undefined): bigint | null =>
  s === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(s) ? null : BigInt(s);

/** A new device record from an `ns` record's words. */
function newRecord(device: string, w: Record<string, string>): DaxDeviceRecord {
  const fs = w['fs'];
  return {
    device,
    parent: w['parent'] ?? null,
    offset: big(w['start']) ?? 0n,
    fs: fs === 'ext4' || fs === 'xfs' || fs === 'devdax' ? fs : 'none',
    mount: null,
    files: [],
    pages: [],
    writes: [],
    devdax: null,
    errors: [],
    kmsg: [],
    done: false,
  };
}

/** A `file`, `page` or `write` record of the probe. */
function fileRecord(rec: DaxDeviceRecord, kind: string, w: Record<string, string>): void {
  const path = unescapePath(w['path'] ?? '');
  if (kind === 'file')
    rec.files.push({
      path,
      size: big(w['size']) ?? 0n,
      dax: w['dax'] === '1' ? true : w['dax'] === '0' ? false : null,
      pages: Number(w['pages'] ?? 0),
      differ: Number(w['differ'] ?? 0),
      truncated: w['truncated'] === '1',
    });
  else if (kind === 'page')
    rec.pages.push({
      path,
      index: Number(w['index'] ?? 0),
      phys: big(w['phys']),
      read: w['read'] ?? '',
      mmap: w['mmap'] ?? '',
    });
  else {
    const rb = w['readback'];
    const readback = rb === 'marker' || rb === 'other' ? rb : 'error';
    rec.writes.push({
      path,
      index: Number(w['index'] ?? 0),
      phys: big(w['phys']),
      marker: w['marker'] ?? '',
      readback,
    });
  }
}

/** One record (other than `ns`) added to its device's. */
function addRecord(rec: DaxDeviceRecord, kind: string, rest: string): void {
  const w = words(rest);
  if (kind === 'file' || kind === 'page' || kind === 'write') fileRecord(rec, kind, w);
  else if (kind === 'mount') {
    const ok = w['rc'] === '0';
    const err = /(?:^| )err=(.*)$/.exec(rest)?.[1]?.trim() ?? null;
    rec.mount = { ok, options: ok ? (w['opts'] ?? null) : null, error: ok ? null : err };
  } else if (kind === 'devdax')
    rec.devdax = { size: big(w['size']) ?? 0n, chunks: Number(w['chunks'] ?? 0), chunkDigests: [], pageDigests: [] };
  else if (kind === 'chunk') rec.devdax?.chunkDigests.push(w['digest'] ?? '');
  else if (kind === 'dpage') rec.devdax?.pageDigests.push(w['digest'] ?? '');
  else if (kind === 'error')
    rec.errors.push(`${w['what'] ?? '?'} ${unescapePath(w['path'] ?? '')}: errno ${w['errno'] ?? '?'}`);
  else if (kind === 'kmsg') rec.kmsg.push(rest.replace(/^\[\s*[\d.]+\]\s?/, '').trim());
  else if (kind === 'done') rec.done = true;
}

/** The DAX section of a serial log (null when the guest never began it). */
export function parseDaxSection(serial: string): DaxSection | null {
  const begin = serial.indexOf(DAX_BEGIN);
  if (begin < 0) return null;
  const endAt = serial.indexOf(DAX_END, begin);
  const body = serial.slice(begin + DAX_BEGIN.length, endAt < 0 ? undefined : endAt);
  const devices: DaxDeviceRecord[] = [];
  const byName = new Map<string, DaxDeviceRecord>();
  for (const raw of body.split(/\r?\n/)) {
    const m = /^ndib-dax (\w+) dev=(\S+) ?(.*)$/.exec(raw.replace(/\r$/, ''));
    if (m?.[1] === undefined || m[2] === undefined) continue;
    if (m[1] === 'ns') {
      const rec = newRecord(m[2], words(m[3] ?? ''));
      devices.push(rec);
      byName.set(m[2], rec);
      continue;
    }
    const rec = byName.get(m[2]);
    if (rec !== undefined) addRecord(rec, m[1], m[3] ?? '');
  }
  return { devices, complete: endAt >= 0 };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The probe's digest of `len` bytes at `off` (dax-probe.c: two 32-bit lanes over little-endian words,
 * 16 hex digits; "z" when every byte is zero).
 */
export function daxDigest(buf: Uint8Array, off = 0, len = PAGE): string {
  // Whole words in place where the bytes are 4-aligned on a little-endian host (fast), else a copy.
  const at = buf.byteOffset + off;
  const words =
    at % 4 === 0 && LITTLE_ENDIAN
      ? new Uint32Array(buf.buffer, at, len >>> 2)
      : Uint32Array.from({ length: len >>> 2 }, (_x, i) => new DataView(buf.buffer, at, len).getUint32(i * 4, true));
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  let zero = true;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    if (w !== 0) zero = false;
    a = Math.imul(a ^ w, 0x01000193) >>> 0;
    b = (b + w) >>> 0;
    b = Math.imul(((b << 13) | (b >>> 19)) >>> 0, 0x5bd1e995) >>> 0;
  }
  if (zero) return 'z';
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

// @internal: Node Buffers; kept out of the published type declarations.
/**
 * `count` pages, each starting with "ndib-dax page TAG N" and filled with bytes no other page has (a
 * xorshift stream seeded from the tag): wherever a mapping shows one of them, the host can tell which.
 */
export function labelledPages(tag: string, count: number): Buffer {
  const out = Buffer.alloc(count * PAGE);
  let x = 0x9e3779b9 ^ [...tag].reduce((a, c) => Math.imul(a ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);
  for (let p = 0; p < count; p++) {
    for (let o = 0; o < PAGE; o += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out.writeUInt32LE(x >>> 0, p * PAGE + o);
    }
    out.write(`ndib-dax page ${tag} ${p}\n`.padEnd(64, ' '), p * PAGE, 'ascii');
  }
  return out;
}

/** What the host looks for in a booted copy. */
export interface CopyQuery {
  /** Page digests whose image offsets are wanted (page-aligned offsets only). */
  digests: ReadonlySet<string>;
  /** Markers (hex) whose image offsets are wanted. */
  markers: readonly string[];
  /** Ranges [start, end) whose DAX_CHUNK digests are wanted (devdax data areas). */
  chunkRanges: readonly { start: bigint; end: bigint }[];
}

export interface CopyFindings {
  /** digest → image offsets of the pages that have it. */
  pages: Map<string, bigint[]>;
  /** marker hex → image offset where it was found, or null. */
  markers: Map<string, bigint | null>;
  /** range start → digest of each DAX_CHUNK of the range. */
  chunks: Map<bigint, string[]>;
}

/** Findings of a copy nobody looked at. */
export const emptyFindings = (): CopyFindings => ({ pages: new Map(), markers: new Map(), chunks: new Map() });

const ZERO_PAGE = Buffer.alloc(PAGE);

/** Several queries as one (a labelled DIMM's namespaces share one copy: it is read once). */
export function mergeQueries(qs: readonly CopyQuery[]): CopyQuery {
  return {
    digests: new Set(qs.flatMap((q) => [...q.digests])),
    markers: [...new Set(qs.flatMap((q) => q.markers))],
    chunkRanges: qs.flatMap((q) => q.chunkRanges),
  };
}

/** Read a booted copy once and answer the query. */
export async function scanCopy(file: string, q: CopyQuery): Promise<CopyFindings> {
  const out: CopyFindings = { pages: new Map(), markers: new Map(), chunks: new Map() };
  for (const m of q.markers) out.markers.set(m, null);
  if (q.digests.size === 0 && q.markers.length === 0 && q.chunkRanges.length === 0) return out;
  const fh = await fs.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const step = 4 * DAX_CHUNK;
    const overlap = 256;
    const buf = Buffer.alloc(step + overlap);
    const needles = q.markers.map((m) => ({ hex: m, bytes: Buffer.from(m, 'hex') }));
    for (let pos = 0; pos < size; pos += step) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(step + overlap, size - pos), pos);
      const main = Math.min(step, bytesRead);
      if (q.digests.size > 0) {
        for (let o = 0; o + PAGE <= main; o += PAGE) {
          // A zero page's digest is "z", never asked for: a native compare skips most of a sparse copy.
          if (ZERO_PAGE.compare(buf, o, o + PAGE) === 0) continue;
          const d = daxDigest(buf, o, PAGE);
          if (q.digests.has(d)) {
            const list = out.pages.get(d) ?? [];
            if (list.length < 64) list.push(BigInt(pos + o));
            out.pages.set(d, list);
          }
        }
      }
      for (const n of needles) {
        if (out.markers.get(n.hex) !== null) continue;
        const at = buf.subarray(0, bytesRead).indexOf(n.bytes);
        if (at >= 0) out.markers.set(n.hex, BigInt(pos + at));
      }
    }
    // The data area of a devdax namespace starts where start_pad + dataoff put it: not necessarily on a
    // chunk boundary of the file.
    const chunk = Buffer.alloc(DAX_CHUNK);
    for (const r of q.chunkRanges) {
      const list: string[] = [];
      for (
        let at = r.start;
        at + BigInt(DAX_CHUNK) <= r.end && at + BigInt(DAX_CHUNK) <= BigInt(size);
        at += BigInt(DAX_CHUNK)
      ) {
        await fh.read(chunk, 0, DAX_CHUNK, Number(at));
        list.push(daxDigest(chunk, 0, DAX_CHUNK));
      }
      out.chunks.set(r.start, list);
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** Where a marker written through a mapping landed. */
export interface DaxWriteLanding {
  path: string;
  /** Image offset read(2) reads the page from (null when FIEMAP gave no offset). */
  expected: bigint | null;
  /** Image offset where the marker was found in the booted copy (null: nowhere). */
  landed: bigint | null;
  /** expected - landed: bytes below the read(2) location (null when either is unknown). */
  shift: bigint | null;
  /** read(2) of the page after the write saw the marker. */
  readBack: boolean;
}

/** The DAX result of one namespace on the booted kernel. */
export interface DaxObservation {
  /** null: nothing the probe could prove (no filesystem, no file pages, no DAX-capable claim). */
  outcome: DaxOutcome | null;
  /** One sentence: what the probe saw. */
  reason: string;
  /** Bytes by which a DAX mapping sits below read(2): 0n when consistent; null when unknown or not mapped. */
  shift: bigint | null;
  /** The device probed (pmemN, daxX.Y), null when none. */
  device: string | null;
  filesystem: 'ext4' | 'xfs' | 'devdax' | null;
  /** How `mount -o dax` went: with DAX, without DAX, failed; null when nothing was mounted. */
  mount: 'dax' | 'without-dax' | 'failed' | null;
  mountOptions: string | null;
  mountError: string | null;
  files: number;
  pagesCompared: number;
  pagesDiffering: number;
  /** Differing pages whose mapped bytes were found in the image at `shift` below their read(2) place. */
  pagesExplained: number;
  writes: DaxWriteLanding[];
  /** The crash's console lines (outcome crashes). */
  crash: string[] | null;
  /** The kernel's lines while probing this namespace (mount messages, warnings). */
  messages: string[];
}

/** The kernel's line saying why a filesystem will not use DAX ("DAX unsupported by block device", ...). */
export function refusalLine(kmsg: readonly string[]): string | null {
  // The filesystem's own words first (they say what it does about it), then the block device's.
  return (
    kmsg.find((l) => /DAX unsupported|Turning off DAX|cannot be used together|DAX.*not supported/i.test(l)) ??
    kmsg.find((l) => /dax support not enabled/i.test(l)) ??
    null
  );
}

const DAX_OPTION = /(^|,)dax(=always)?(,|$)/;

/** Empty result for a namespace with nothing to probe. */
export function daxNothing(reason: string, device: string | null = null): DaxObservation {
  return {
    outcome: null,
    reason,
    shift: null,
    device,
    filesystem: null,
    mount: null,
    mountOptions: null,
    mountError: null,
    files: 0,
    pagesCompared: 0,
    pagesDiffering: 0,
    pagesExplained: 0,
    writes: [],
    crash: null,
    messages: [],
  };
}

/** The crash outcome of a namespace whose probe oopsed the kernel. */
export function daxCrash(rec: DaxDeviceRecord | null, crash: string[], device: string | null): DaxObservation {
  const head = crash.find((l) => /^(BUG:|Oops:|general protection fault|kernel BUG at)/.test(l)) ?? crash[0] ?? '';
  const rip = crash.find((l) => /^RIP:/.test(l));
  return {
    ...daxNothing(
      `the kernel crashed while the probe mapped this namespace: ${head}${rip === undefined ? '' : ` (${rip})`}`,
      device,
    ),
    outcome: 'crashes',
    filesystem: rec === null || rec.fs === 'none' ? null : rec.fs,
    mount: rec?.mount === null || rec === null ? null : rec.mount.ok ? 'dax' : 'failed',
    mountOptions: rec?.mount?.options ?? null,
    crash,
    messages: rec?.kmsg ?? [],
  };
}

/** The query a device's records put to its booted copy (`dataStart`: image offset of the data start). */
export function copyQuery(rec: DaxDeviceRecord, dataStart: bigint, dataSize: bigint | null): CopyQuery {
  const digests = new Set(rec.pages.map((p) => p.mmap).filter((d) => d !== 'z' && d !== ''));
  if (rec.devdax !== null) for (const d of rec.devdax.pageDigests) if (d !== 'z') digests.add(d);
  const chunkRanges =
    rec.devdax === null
      ? []
      : [{ start: dataStart, end: dataStart + BigInt(rec.devdax.chunks) * BigInt(DAX_CHUNK) }].filter(
          (r) => dataSize === null || r.end - r.start <= dataSize,
        );
  return { digests, markers: rec.writes.map((w) => w.marker).filter((m) => m !== ''), chunkRanges };
}

/**
 * The shift most differing pages agree on: for every page, the candidate shifts are the read(2) offset
 * minus each image offset holding the mapped digest; the shift with most votes wins.
 */
export function measureShift(
  pages: readonly { readAt: bigint | null; mmap: string }[],
  found: ReadonlyMap<string, readonly bigint[]>,
): { shift: bigint | null; explained: number } {
  const votes = new Map<bigint, number>();
  for (const p of pages) {
    if (p.readAt === null) continue;
    const seen = new Set<bigint>();
    for (const at of found.get(p.mmap) ?? []) seen.add(p.readAt - at);
    for (const s of seen) votes.set(s, (votes.get(s) ?? 0) + 1);
  }
  let best: bigint | null = null;
  let n = 0;
  for (const [s, c] of votes) if (c > n || (c === n && best !== null && s < best)) [best, n] = [s, c];
  return { shift: best, explained: n };
}

/** A devdax device's outcome: its chunk digests against the data area's. */
function devdaxObservation(
  rec: DaxDeviceRecord,
  base: DaxObservation,
  dataStart: bigint,
  found: CopyFindings,
): DaxObservation {
  const d = rec.devdax;
  const dev = rec.device;
  if (d === null || d.chunks === 0)
    return { ...base, reason: `${dev}: the probe could not map the device (${rec.errors.join('; ') || 'no size'})` };
  const want = found.chunks.get(dataStart) ?? [];
  const differ = d.chunkDigests.filter((g, i) => g !== want[i]).length;
  const pagesCompared = d.chunks * (DAX_CHUNK / PAGE);
  if (differ === 0) {
    const reason = `${dev}: a mapping of the whole device shows the namespace's data area byte for byte`;
    return { ...base, outcome: 'consistent', shift: 0n, pagesCompared, reason };
  }
  const pages = d.pageDigests.map((g, i) => ({ readAt: dataStart + BigInt(i * PAGE), mmap: g }));
  const m = measureShift(pages, found.pages);
  const below = m.shift === null ? '' : `; the mapped bytes sit ${hex(m.shift)} bytes below`;
  return {
    ...base,
    outcome: 'misplaced',
    shift: m.shift,
    pagesCompared,
    pagesDiffering: differ * (DAX_CHUNK / PAGE),
    pagesExplained: m.explained,
    reason: `${dev}: ${differ} of ${d.chunks} 2 MiB chunks of the mapped device differ from the data area${below}`,
  };
}

/** A failed `mount -o dax`: refused when the kernel said why in DAX terms, else unproven. */
function failedMount(rec: DaxDeviceRecord, base: DaxObservation, error: string | null): DaxObservation {
  const line = refusalLine(rec.kmsg);
  const what = `${rec.device}: mount -o dax of ${rec.fs}`;
  return {
    ...base,
    outcome: line !== null ? 'refused' : null,
    mount: 'failed',
    mountError: error,
    reason:
      line !== null
        ? `${what} fails: ${line}`
        : `${what} failed for another reason than DAX: ${error ?? rec.kmsg.join(' | ')}`,
  };
}

/** Where each marker written through a mapping landed in the booted copy. */
function landings(rec: DaxDeviceRecord, dataStart: bigint, found: CopyFindings): DaxWriteLanding[] {
  return rec.writes.map((w): DaxWriteLanding => {
    const expected = w.phys === null ? null : dataStart + w.phys;
    const landed = found.markers.get(w.marker) ?? null;
    const shift = expected === null || landed === null ? null : expected - landed;
    return { path: w.path, expected, landed, shift, readBack: w.readback === 'marker' };
  });
}

/** The DAX outcome of one device's records, given what its booted copy holds. */
export function daxObservationOf(rec: DaxDeviceRecord, dataStart: bigint, found: CopyFindings): DaxObservation {
  const dev = rec.device;
  const base: DaxObservation = {
    ...daxNothing('', dev),
    filesystem: rec.fs === 'none' ? null : rec.fs,
    messages: rec.kmsg,
  };
  if (rec.fs === 'devdax') return devdaxObservation(rec, base, dataStart, found);
  if (rec.fs === 'none')
    return {
      ...base,
      reason:
        `${dev}: no ext4 or xfs filesystem at the data start ` +
        '(nothing to mount with -o dax; the scratch mode makes one in the copy)',
    };
  const mount = rec.mount;
  if (mount === null) return { ...base, reason: `${dev}: the guest did not try to mount ${rec.fs}` };
  if (!mount.ok) return failedMount(rec, base, mount.error);
  const pages = rec.files.reduce((a, f) => a + f.pages, 0);
  const differing = rec.files.reduce((a, f) => a + f.differ, 0);
  const optionSaysDax = DAX_OPTION.test(mount.options ?? '');
  const daxOn = rec.files.some((f) => f.dax === true) || (rec.files.every((f) => f.dax === null) && optionSaysDax);
  const files = rec.files.length;
  const writes = landings(rec, dataStart, found);
  const common = {
    ...base,
    mountOptions: mount.options,
    files,
    pagesCompared: pages,
    pagesDiffering: differing,
    writes,
  };
  if (!daxOn && files > 0) {
    const why = refusalLine(rec.kmsg);
    const opts = mount.options ?? 'no options';
    const reason = `${dev}: ${rec.fs} mounted without DAX (${opts}${why === null ? '' : `: ${why}`})`;
    return { ...common, outcome: 'refused', mount: 'without-dax', reason };
  }
  if (pages === 0) {
    const reason = `${dev}: ${rec.fs} holds no file pages to compare (the scratch mode writes one in the copy)`;
    return { ...common, mount: daxOn || optionSaysDax ? 'dax' : 'without-dax', reason };
  }
  if (differing === 0) {
    const wrong = writes.find((w) => w.shift !== null && w.shift !== 0n);
    const of = `${files} file${files === 1 ? '' : 's'}`;
    const reason = `${dev}: DAX on; read(2) and mmap agree on all ${pages} pages of ${of}`;
    return {
      ...common,
      outcome: wrong === undefined ? 'consistent' : 'misplaced',
      shift: wrong?.shift ?? 0n,
      mount: 'dax',
      reason,
    };
  }
  const m = measureShift(
    rec.pages.map((p) => ({ readAt: p.phys === null ? null : dataStart + p.phys, mmap: p.mmap })),
    found.pages,
  );
  const shift = m.shift ?? writes.find((w) => w.shift !== null)?.shift ?? null;
  // A device page whose struct page was never set up, freed into the page allocator on unmap (7.2).
  const badPage = rec.kmsg.map((l) => l.replace(/^\[\s*[\d.]+\]\s?/, '')).find((l) => /^BUG: Bad page state/.test(l));
  return {
    ...common,
    outcome: 'misplaced',
    shift,
    mount: 'dax',
    pagesExplained: m.explained,
    reason:
      `${dev}: DAX on; mmap shows other bytes than read(2) on ${differing} of ${pages} pages` +
      (shift === null ? '' : `: the mapped bytes live ${hex(shift)} bytes below the file's blocks`) +
      (badPage === undefined ? '' : `; unmapping them made the kernel log "${badPage.replace(/\s+pfn:.*$/, '')}"`),
  };
}

/** A namespace's probe inputs as stored observations keep them (JSON: bigints as "0x…", maps as pairs). */
export interface DaxRawWire {
  record: Omit<DaxDeviceRecord, 'files' | 'pages' | 'writes' | 'devdax' | 'offset'> & {
    /** Absent in observations stored before partitions were probed: 0. */
    offset?: string;
    files: (Omit<DaxFileRecord, 'size'> & { size: string })[];
    pages: (Omit<DaxPageRecord, 'phys'> & { phys: string | null })[];
    writes: (Omit<DaxWriteRecord, 'phys'> & { phys: string | null })[];
    devdax: { size: string; chunks: number; chunkDigests: string[]; pageDigests: string[] } | null;
  };
  dataStart: string;
  findings: { pages: [string, string[]][]; markers: [string, string | null][]; chunks: [string, string[]][] };
}

const hx = (x: bigint): string => `0x${x.toString(16)}`;
const hxn = (x: bigint | null): string | null => (x === null ? null : hx(x));
const bn = (x: string | null): bigint | null => (x === null ? null : BigInt(x));

export function daxRawToWire(r: { record: DaxDeviceRecord; dataStart: bigint; findings: CopyFindings }): DaxRawWire {
  const rec = r.record;
  return {
    record: {
      ...rec,
      offset: hx(rec.offset),
      files: rec.files.map((f) => ({ ...f, size: hx(f.size) })),
      pages: rec.pages.map((p) => ({ ...p, phys: hxn(p.phys) })),
      writes: rec.writes.map((w) => ({ ...w, phys: hxn(w.phys) })),
      devdax: rec.devdax === null ? null : { ...rec.devdax, size: hx(rec.devdax.size) },
    },
    dataStart: hx(r.dataStart),
    findings: {
      pages: [...r.findings.pages].map(([d, at]) => [d, at.map(hx)]),
      markers: [...r.findings.markers].map(([m, at]) => [m, hxn(at)]),
      chunks: [...r.findings.chunks].map(([s, ds]) => [hx(s), ds]),
    },
  };
}

export function daxRawFromWire(w: DaxRawWire): { record: DaxDeviceRecord; dataStart: bigint; findings: CopyFindings } {
  const rec = w.record;
  return {
    record: {
      ...rec,
      offset: BigInt(rec.offset ?? '0x0'),
      files: rec.files.map((f) => ({ ...f, size: BigInt(f.size) })),
      pages: rec.pages.map((p) => ({ ...p, phys: bn(p.phys) })),
      writes: rec.writes.map((x) => ({ ...x, phys: bn(x.phys) })),
      devdax: rec.devdax === null ? null : { ...rec.devdax, size: BigInt(rec.devdax.size) },
    },
    dataStart: BigInt(w.dataStart),
    findings: {
      pages: new Map(w.findings.pages.map(([d, at]) => [d, at.map((x) => BigInt(x))])),
      markers: new Map(w.findings.markers.map(([m, at]) => [m, bn(at)])),
      chunks: new Map(w.findings.chunks.map(([s, ds]) => [BigInt(s), ds])),
    },
  };
}
