// The scanner's read buffer: the size asked for, a Buffer at the start of
// its own memory (a WebAssembly memory, page aligned by construction), and
// an ordinary Buffer when WebAssembly cannot give one.
import * as fs from 'node:fs';
import { pageAlignedBuffer } from '../../src/io/aligned';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('aligned');

describe('pageAlignedBuffer', () => {
  test.each([1, 4096, 65536, 65537, (4 << 20) + 8192])(
    '%i bytes: a Buffer of that size at offset 0 of its own memory',
    (n) => {
      const b = pageAlignedBuffer(n);
      expect(Buffer.isBuffer(b)).toBe(true);
      expect(b.byteLength).toBe(n);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(Math.ceil(n / 65536) * 65536); // whole wasm pages
      b[n - 1] = 0xa5;
      expect(b[n - 1]).toBe(0xa5);
    },
  );

  test('reads from a file land where asked', () => {
    const bytes = Buffer.from(Array.from({ length: 3 * 4096 }, (_, i) => (i * 7) & 0xff));
    const file = tmp.file('data', bytes);
    const b = pageAlignedBuffer(2 * 65536);
    const fd = fs.openSync(file, 'r');
    try {
      expect(fs.readSync(fd, b, 4096, bytes.length, 0)).toBe(bytes.length);
    } finally {
      fs.closeSync(fd);
    }
    expect(b.subarray(4096, 4096 + bytes.length).equals(bytes)).toBe(true);
  });

  test('without WebAssembly, or when it refuses the memory, an ordinary Buffer of the size', () => {
    const saved = (globalThis as { WebAssembly?: unknown }).WebAssembly;
    try {
      Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
      expect(pageAlignedBuffer(10000).byteLength).toBe(10000);
      Object.defineProperty(globalThis, 'WebAssembly', {
        value: {
          Memory: function refuse(): never {
            throw new RangeError('WebAssembly.Memory(): could not allocate memory');
          },
        },
        configurable: true,
        writable: true,
      });
      const b = pageAlignedBuffer(10000);
      expect(b.byteLength).toBe(10000);
      expect(Buffer.isBuffer(b)).toBe(true);
    } finally {
      Object.defineProperty(globalThis, 'WebAssembly', { value: saved, configurable: true, writable: true });
    }
  });
});
