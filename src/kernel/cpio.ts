/**
 * A minimal writer for the cpio "newc" format (what the Linux initramfs
 * unpacker reads), so building the initramfs needs no cpio binary.
 * Layout per entry: "070701", 13 eight-digit hex fields, the NUL-terminated
 * name padded to 4 bytes, then the data padded to 4 bytes; a "TRAILER!!!"
 * entry ends the archive.
 */

export type CpioEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; name: string; target: string }
  | { kind: 'chardev'; name: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Serialize entries (in the given order: parents before children) to a newc archive. */
export function writeCpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, nlink: number, data: Uint8Array, rdevMajor = 0, rdevMinor = 0): void => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0];
    const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)));
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.name.replace(/^\/+/, '');
    switch (e.kind) {
      case 'dir':
        push(name, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array(0));
        break;
      case 'file':
        push(name, S_IFREG | (e.mode ?? 0o644), 1, e.data);
        break;
      case 'symlink':
        push(name, S_IFLNK | 0o777, 1, Buffer.from(e.target, 'utf8'));
        break;
      case 'chardev':
        push(name, S_IFCHR | (e.mode ?? 0o600), 1, new Uint8Array(0), e.major, e.minor);
        break;
    }
  }
  ino = 0;
  push('TRAILER!!!', 0, 1, new Uint8Array(0));
  return Buffer.concat(parts);
}
