/**
 * Parser for the report the guest /init prints between the markers (format:
 * src/kernel/init-script.ts). Pure: text in, structured sysfs/dmesg data out.
 */

import { REPORT_BEGIN, REPORT_END } from './init-script';

/** One kernel log line, split into the device prefix and the text after it. */
export interface KernelMessage {
  /** Device the kernel printed the line for (`pfn2.1`, `namespace2.0`), or null. */
  device: string | null;
  /** Driver prefix (`nd_pmem`, `dax_pmem`); null when the device had none bound. */
  driver: string | null;
  /** The text after `driver device: ` (or after the timestamp when there is no device). */
  text: string;
  /** The whole line as dmesg printed it. */
  line: string;
}

export interface BlockDeviceReport {
  name: string; // pmem0, pmem0s
  parent: string | null; // the nd device it hangs off: namespace0.0, pfn0.1, btt0.1
  sectors: bigint | null; // /sys/block/<name>/size (512-byte sectors)
  /** The device's first bytes (up to FIRST_BYTES) as lower-case hex; null when not reported or garbled. */
  firstBytes: string | null;
}

export interface DaxDeviceReport {
  name: string; // dax1.0 on the dax bus
  parent: string | null; // the nd dax device: dax1.1
  attrs: Record<string, string>;
}

export interface GuestReport {
  /** nd bus device → attribute → value; `driver` comes from uevent's DRIVER=. */
  nd: Map<string, Record<string, string>>;
  blocks: BlockDeviceReport[];
  dax: DaxDeviceReport[];
  messages: KernelMessage[];
  insmodFailed: string[];
}

const DEVICE_NAME = /^(?:namespace|pfn|dax|btt|region|pmem|nmem|ndbus)\d+(?:\.\d+|s)?$/;

/** Split one dmesg line into device / driver / text. */
export function parseKernelLine(line: string): KernelMessage {
  const ts = /^\[\s*[\d.]+\]\s?(.*)$/.exec(line);
  const rest = ts?.[1] ?? line;
  // "driver device: text", or " device: text" when no driver is bound (then
  // the kernel prints an empty driver name, hence the leading space).
  const withDriver = /^\s*(\S+)\s+(\S+?):\s(.*)$/.exec(rest);
  if (withDriver?.[1] !== undefined && withDriver[2] !== undefined && DEVICE_NAME.test(withDriver[2])) {
    return { device: withDriver[2], driver: withDriver[1], text: withDriver[3] ?? '', line };
  }
  const bare = /^\s*(\S+?):\s(.*)$/.exec(rest);
  if (bare?.[1] !== undefined && DEVICE_NAME.test(bare[1])) {
    return { device: bare[1], driver: null, text: bare[2] ?? '', line };
  }
  return { device: null, driver: null, text: rest.trim(), line };
}

/** A `%nd` line: one sysfs attribute of a namespace device (the uevent line gives its driver). */
function ndLine(report: GuestReport, line: string): void {
  const m = /^([^/\s]+)\/([a-z_]+):(.*)$/.exec(line);
  if (m === null || m[1] === undefined || m[2] === undefined) return;
  const attrs = report.nd.get(m[1]) ?? {};
  const value = m[3] ?? '';
  if (m[2] === 'uevent') {
    const d = /^DRIVER=(.*)$/.exec(value);
    if (d?.[1] !== undefined) attrs['driver'] = d[1];
  } else {
    attrs[m[2]] = value;
  }
  report.nd.set(m[1], attrs);
}

/** A `%block` line: a pmem block device's sysfs path, or its size in sectors. */
function blockLine(blocks: Map<string, BlockDeviceReport>, line: string): void {
  if (line.startsWith('/')) {
    const parts = line.split('/');
    const name = parts[parts.length - 1] ?? '';
    const parent = parts[parts.length - 2] === 'block' ? (parts[parts.length - 3] ?? null) : null;
    if (name.startsWith('pmem')) blocks.set(name, { name, parent, sectors: null, firstBytes: null });
    return;
  }
  const m = /^([^/\s]+)\/size:(\d+)$/.exec(line);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const b = blocks.get(m[1]) ?? { name: m[1], parent: null, sectors: null, firstBytes: null };
    b.sectors = BigInt(m[2]);
    blocks.set(m[1], b);
  }
}

/** A `%dax` line: a dax device's sysfs path, or one of its attributes. */
function daxLine(dax: Map<string, DaxDeviceReport>, line: string): void {
  if (line.startsWith('/')) {
    const parts = line.split('/');
    const name = parts[parts.length - 1] ?? '';
    dax.set(name, { name, parent: parts[parts.length - 2] ?? null, attrs: {} });
    return;
  }
  const m = /^([^/\s]+)\/([a-z_]+):(.*)$/.exec(line);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const d = dax.get(m[1]) ?? { name: m[1], parent: null, attrs: {} };
    d.attrs[m[2]] = m[3] ?? '';
    dax.set(m[1], d);
  }
}

/** Extract and parse the report from a serial log; null when the markers are missing. */
export function parseGuestReport(serial: string): GuestReport | null {
  const begin = serial.indexOf(REPORT_BEGIN);
  if (begin < 0) return null;
  const end = serial.indexOf(REPORT_END, begin);
  if (end < 0) return null;
  const lines = serial.slice(begin + REPORT_BEGIN.length, end).split(/\r?\n/);
  const report: GuestReport = { nd: new Map(), blocks: [], dax: [], messages: [], insmodFailed: [] };
  const blocks = new Map<string, BlockDeviceReport>();
  const dax = new Map<string, DaxDeviceReport>();
  let section = '';
  let firstDevice: string | null = null;
  const firstLines = new Map<string, string[]>();
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    if (/^%[a-z]+$/.test(line)) {
      section = line.slice(1);
      continue;
    }
    if (section === 'insmod') report.insmodFailed.push(line.split(' ')[0] ?? line);
    else if (section === 'nd') ndLine(report, line);
    else if (section === 'block') blockLine(blocks, line);
    else if (section === 'dax') daxLine(dax, line);
    else if (section === 'dmesg') report.messages.push(parseKernelLine(line));
    else if (section === 'first') {
      if (line.startsWith('@')) {
        firstDevice = line.slice(1);
        firstLines.set(firstDevice, []);
      } else if (firstDevice !== null) firstLines.get(firstDevice)?.push(line);
    }
  }
  for (const [name, od] of firstLines) {
    const b = blocks.get(name);
    if (b !== undefined) b.firstBytes = parseOdHex(od);
  }
  report.blocks = [...blocks.values()];
  report.dax = [...dax.values()];
  return report;
}

/**
 * Bytes from `od -Ax -tx1` output (hex offset, up to 16 bytes a line, `*` for
 * lines equal to the previous one, the end offset alone last) as hex; null
 * when the lines do not make a consistent dump (a garbled serial log).
 */
export function parseOdHex(lines: readonly string[]): string | null {
  let out = '';
  let prev: string | null = null;
  let pendingRepeat = false;
  let ended = false;
  for (const line of lines) {
    const t = line.trim();
    if (ended) return null;
    if (t === '*') {
      if (prev === null || pendingRepeat) return null;
      pendingRepeat = true;
      continue;
    }
    const m = /^([0-9a-f]+)((?: [0-9a-f]{2})*)$/.exec(t);
    if (m?.[1] === undefined) return null;
    const offset = parseInt(m[1], 16) * 2;
    if (pendingRepeat && prev !== null) {
      if ((offset - out.length) % prev.length !== 0 || offset < out.length) return null;
      while (out.length < offset) out += prev;
      pendingRepeat = false;
    }
    if (offset !== out.length) return null;
    const bytes = (m[2] ?? '').replace(/ /g, '');
    if (bytes === '') ended = true;
    else {
      out += bytes;
      prev = bytes;
    }
  }
  return ended && !pendingRepeat ? out : null;
}

/** The nd region number a device name belongs to (`pfn3.1` → 3), or null. */
export function regionOfDevice(name: string): number | null {
  const m = /^(?:namespace|pfn|dax|btt|region)(\d+)(?:\.\d+)?$/.exec(name);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Every region number a kernel message mentions (its device prefix and names in its text). */
export function regionsOfMessage(msg: KernelMessage, blockParents: ReadonlyMap<string, string>): Set<number> {
  const out = new Set<number>();
  const consider = (name: string): void => {
    const parent = blockParents.get(name);
    const r = regionOfDevice(parent ?? name);
    if (r !== null) out.add(r);
  };
  if (msg.device !== null) consider(msg.device);
  for (const m of msg.text.matchAll(/\b((?:namespace|pfn|dax|btt|region)\d+(?:\.\d+)?|pmem\d+s?)\b/g)) {
    if (m[1] !== undefined) consider(m[1]);
  }
  return out;
}
