/**
 * A regular file's allocation map: the byte ranges that hold data, so a
 * scan can skip the holes of a sparse image instead of reading zeros. Node's
 * fs has no lseek, and a native addon would need a build step, so a small
 * helper process asks the kernel (lseek SEEK_DATA / SEEK_HOLE) on the very
 * file descriptor we opened, passed to it as its stdin: no path to re-resolve,
 * nothing to escape. perl is tried first (perl-base is part of every Debian
 * and most other systems), then python3. Where neither runs, or the file
 * system cannot say (it then reports the whole file as data), the caller reads
 * everything, as before.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Extent {
  /** First byte holding data. */
  start: bigint;
  /** End (exclusive): the hole after it, or the end of the file. */
  end: bigint;
}

export interface AllocationMap {
  /** What answered, for the coverage line: e.g. 'SEEK_DATA/SEEK_HOLE via perl'. */
  method: string;
  /** The data ranges in file order; holes lie between them. */
  extents: Extent[];
}

// Both print "start end" per data range, walking SEEK_DATA then SEEK_HOLE on fd 0 up to its size.
// 3 and 4 are Linux's SEEK_DATA and SEEK_HOLE (perl's Fcntl exports them only on some builds).
const PERL =
  'my $e=(stat(STDIN))[7];my $p=0;while($p<$e){my $d=sysseek(STDIN,$p,3);last unless defined $d;' +
  'my $h=sysseek(STDIN,$d,4);last unless defined $h;print(($d+0)," ",($h+0),"\\n");$p=$h+0}';
const PYTHON =
  'import os,sys\ne=os.fstat(0).st_size;p=0\nwhile p<e:\n try:d=os.lseek(0,p,os.SEEK_DATA)\n except OSError:break\n' +
  ' h=os.lseek(0,d,os.SEEK_HOLE);sys.stdout.write("%d %d\\n"%(d,h));p=h\n';

export interface MapHelper {
  name: string;
  /** The program and its arguments; it gets the file as its stdin and prints "start end" lines. */
  argv: string[];
}

export const MAP_HELPERS: readonly MapHelper[] = [
  { name: 'perl', argv: ['perl', '-e', PERL] },
  { name: 'python3', argv: ['python3', '-c', PYTHON] },
];

function parse(out: string, size: bigint): Extent[] | null {
  const extents: Extent[] = [];
  let last = 0n;
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m === null) return null;
    const start = BigInt(m[1] as string);
    const end = BigInt(m[2] as string);
    // Ranges must grow and stay inside the file as it was: anything else is not trusted.
    if (start < last || end <= start || start >= size) return null;
    extents.push({ start, end: end > size ? size : end });
    last = end;
  }
  return extents;
}

/**
 * The data ranges of the regular file open as `fd` (`size` bytes), or null
 * when no helper could tell (the caller then reads the whole file).
 */
export function allocationMap(fd: number, size: bigint, helpers = MAP_HELPERS): AllocationMap | null {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return null;
  }
  if (!st.isFile()) return null; // a block device has no holes to find
  for (const h of helpers) {
    const r = spawnSync(h.argv[0] as string, h.argv.slice(1), {
      stdio: [fd, 'pipe', 'ignore'],
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 60_000,
    });
    if (r.error !== undefined || r.status !== 0 || typeof r.stdout !== 'string') continue;
    const extents = parse(r.stdout, size);
    if (extents !== null) return { method: `SEEK_DATA/SEEK_HOLE via ${h.name}`, extents };
  }
  return null;
}
