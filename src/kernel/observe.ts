/**
 * Report → observation: what one boot's guest report (guest-report.ts) says about
 * one placed image (its region, namespace, claim, block and dax devices,
 * first bytes, messages and probe error), and the crash lines of a serial
 * log. Pure.
 */

import { regionOfDevice, regionsOfMessage, type GuestReport, type KernelMessage } from './guest-report';
import type { ClaimObservation, KernelObservation, LabelledNamespaceObservation, Placed } from './types';

const parseBig = (s: string | undefined): bigint | null => {
  if (s === undefined) return null;
  const t = s.trim();
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return null;
  return BigInt(t);
};

const KIND_BY_DEVTYPE: Record<string, ClaimObservation['kind']> = { nd_pfn: 'pfn', nd_dax: 'dax', nd_btt: 'btt' };

/** An observation of `p` with nothing seen yet. */
export function blankObservation(
  p: Placed,
  boot: number,
  boots: number,
  crash: string[] | null,
  release: string | null,
): KernelObservation {
  return {
    image: p.image.path,
    base: p.image.base,
    guestBase: p.guestBase,
    relocationModulus: p.modulus,
    size: p.size,
    boot,
    boots,
    region: null,
    regionResource: null,
    namespace: null,
    namespaceMode: null,
    holder: null,
    claim: null,
    blockDevice: null,
    daxDevice: null,
    dataStart: null,
    dataSize: null,
    probeErrno: null,
    messages: [],
    devices: {},
    kernelRelease: release,
    crash,
  };
}

/** Build the observation of one placed image from a boot's report. */
export function observe(
  report: GuestReport,
  p: Placed,
  boot: number,
  boots: number,
  release: string | null = null,
): KernelObservation {
  const obs = blankObservation(p, boot, boots, null, release);
  let regionNo: number | null = null;
  for (const [name, attrs] of report.nd) {
    if (name.startsWith('region') && parseBig(attrs['resource']) === p.guestBase) {
      obs.region = name;
      obs.regionResource = p.guestBase;
      regionNo = regionOfDevice(name);
    }
  }
  if (regionNo === null) return obs;
  for (const [name, attrs] of report.nd) if (regionOfDevice(name) === regionNo) obs.devices[name] = { ...attrs };
  const namespaces = Object.keys(obs.devices).filter((n) => n.startsWith('namespace'));
  fillNamespace(obs, report, regionNo, namespaces[namespaces.length - 1] ?? null, false);
  if (p.image.labelSize !== undefined) {
    obs.setCookie = parseBig(obs.devices[obs.region ?? '']?.['set_cookie']);
    obs.namespaces = labelledNamespaces(obs, report, regionNo, namespaces);
  }
  return obs;
}

/** Every namespace of nonzero size in a labelled DIMM's region, by dpa, each with its own narrowed observation. */
function labelledNamespaces(
  obs: KernelObservation,
  report: GuestReport,
  regionNo: number,
  names: readonly string[],
): LabelledNamespaceObservation[] {
  const out: LabelledNamespaceObservation[] = [];
  for (const name of names) {
    const attrs = obs.devices[name] ?? {};
    const size = parseBig(attrs['size']);
    if (size === null || size === 0n) continue; // the region's seed: room to create a namespace, not one
    const resource = parseBig(attrs['resource']);
    const dpa = resource === null || obs.regionResource === null ? null : resource - obs.regionResource;
    const { namespaces: _all, ...rest } = obs;
    void _all;
    const sub: KernelObservation = {
      ...rest,
      base: obs.base + (dpa ?? 0n),
      guestBase: resource ?? obs.guestBase,
      size,
      claim: null,
      blockDevice: null,
      daxDevice: null,
      dataStart: null,
      dataSize: null,
      probeErrno: null,
    };
    fillNamespace(sub, report, regionNo, name, true);
    const alt = attrs['alt_name'];
    const altName = alt === undefined || alt === '' ? null : alt;
    out.push({ name, altName, uuid: attrs['uuid'] ?? null, size, resource, dpa, observation: sub });
  }
  return out.sort((a, b) => ((a.dpa ?? 0n) < (b.dpa ?? 0n) ? -1 : 1));
}

/**
 * Fill the namespace-specific fields of `obs` for namespace `ns` of region `regionNo`: its mode and holder,
 * the claim naming it, its block / dax device, messages, probe error and data range. `narrow` keeps only
 * the messages and probe failures of this namespace and its claim (a labelled region holds several).
 */
function fillNamespace(
  obs: KernelObservation,
  report: GuestReport,
  regionNo: number,
  ns: string | null,
  narrow: boolean,
): void {
  if (ns !== null) {
    const attrs = obs.devices[ns] ?? {};
    obs.namespace = ns;
    obs.namespaceMode = attrs['mode'] ?? null;
    obs.holder = attrs['holder'] !== undefined && attrs['holder'] !== '' ? attrs['holder'] : null;
  }
  for (const [name, attrs] of Object.entries(obs.devices)) {
    const kind = KIND_BY_DEVTYPE[attrs['devtype'] ?? ''];
    if (kind === undefined || obs.namespace === null || attrs['namespace'] !== obs.namespace) continue;
    obs.claim = {
      kind,
      device: name,
      driver: attrs['driver'] ?? null,
      mode: kind === 'btt' ? null : (attrs['mode'] ?? null),
      resource: parseBig(attrs['resource']),
      size: parseBig(attrs['size']),
      align: parseBig(attrs['align']),
      uuid: attrs['uuid'] !== undefined && attrs['uuid'] !== '' ? attrs['uuid'] : null,
    };
  }
  const own = [ns, obs.claim?.device].filter((x): x is string => x !== null && x !== undefined);
  const mine = new Set(narrow ? own : Object.keys(obs.devices));
  const blk = report.blocks.find((b) => b.parent !== null && mine.has(b.parent));
  if (blk !== undefined) {
    obs.blockDevice = {
      name: blk.name,
      parent: blk.parent,
      size: blk.sectors === null ? null : blk.sectors * 512n,
      firstBytes: blk.firstBytes,
    };
  }
  const dx = report.dax.find((d) => d.parent !== null && mine.has(d.parent));
  if (dx !== undefined)
    obs.daxDevice = {
      name: dx.name,
      parent: dx.parent,
      size: parseBig(dx.attrs['size']),
      resource: parseBig(dx.attrs['resource']),
    };

  const blockParents = new Map<string, string>();
  for (const b of report.blocks) if (b.parent !== null) blockParents.set(b.name, b.parent);
  obs.messages = report.messages.filter((m) => regionsOfMessage(m, blockParents).has(regionNo));
  if (narrow) {
    const ours = (d: string): boolean => mine.has(d) || mine.has(blockParents.get(d) ?? '');
    obs.messages = obs.messages.filter((m) => m.device === null || ours(m.device));
  }
  for (const m of obs.messages) {
    const f = probeFailure(m);
    const claimed = narrow && obs.claim !== null && f?.device === obs.claim.device;
    const inRegion = f !== null && !narrow && regionOfDevice(f.device) === regionNo;
    if (f !== null && (f.device === obs.namespace || claimed || inRegion)) obs.probeErrno = f.errno;
  }

  if (obs.claim !== null && obs.claim.kind !== 'btt' && obs.claim.resource !== null) {
    obs.dataStart = obs.claim.resource;
    obs.dataSize = obs.claim.size ?? obs.daxDevice?.size ?? null;
  } else if (obs.claim?.kind === 'btt') {
    obs.dataSize = obs.blockDevice?.size ?? null;
  } else if (obs.blockDevice !== null && obs.blockDevice.parent === obs.namespace) {
    obs.dataStart = obs.guestBase;
    obs.dataSize = obs.blockDevice.size;
  }
}

/**
 * The driver core's probe-failure line, in either format: "nd_pmem: probe of
 * namespace0.0 failed with error -95" (up to 6.1) or "nd_pmem namespace0.0:
 * probe with driver nd_pmem failed with error -95" (6.12 on).
 */
export function probeFailure(m: KernelMessage): { device: string; errno: number } | null {
  const old = /probe of (\S+) failed with error -(\d+)$/.exec(m.text);
  if (old?.[1] !== undefined && old[2] !== undefined) return { device: old[1], errno: Number(old[2]) };
  const now = /^probe with driver \S+ failed with error -(\d+)$/.exec(m.text);
  if (now?.[1] !== undefined && m.device !== null) return { device: m.device, errno: Number(now[1]) };
  return null;
}

/**
 * The guest runs with oops=panic, so a kernel bug while probing ends the boot
 * at once (panic=-1 reboots, -no-reboot exits) instead of hanging it. Returns
 * the crash's console lines, or null when the log shows no crash.
 */
export function crashLines(serial: string): string[] | null {
  const lines = serial.split(/\r?\n/).map((l) => l.replace(/^\[\s*[\d.]+\]\s?/, '').trim());
  const hits = lines.filter((l) =>
    /Kernel panic|^BUG:|^watchdog: BUG: soft lockup|blocked for more than \d+ seconds|^Oops:|^general protection fault|^kernel BUG at|^WARNING:|^RIP:|Fatal exception|exited with irqs disabled/.test(
      l,
    ),
  );
  return hits.some((l) => /Kernel panic/.test(l)) ? hits : null;
}

export function crashObservation(p: Placed, boot: number, crash: string[], release: string | null): KernelObservation {
  return blankObservation(p, boot, 0, crash, release);
}

export function tail(text: string, n: number): string {
  return text.trim().split(/\r?\n/).slice(-n).join(' | ');
}
