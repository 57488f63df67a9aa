// The field tables proven: no gaps, no overlaps, exactly 4096
// bytes, and offsets/sizes equal to the layout table of docs/format.md,
// written out literally here rather than derived from src/.
import { BTT_FIELDS, KIND_SIZE, PFN_FIELDS, fieldSize, type FieldTable } from '../../src/index';

function assertContiguous(table: FieldTable): void {
  let pos = 0;
  for (const f of table) {
    expect({ field: f.name, offset: f.offset }).toEqual({ field: f.name, offset: pos });
    const size = fieldSize(f);
    expect(size).toBeGreaterThan(0);
    pos += size;
  }
  expect(pos).toBe(4096);
}

describe('PFN_FIELDS', () => {
  test('has no gaps or overlaps and covers exactly 4096 bytes', () => {
    assertContiguous(PFN_FIELDS);
    expect(PFN_FIELDS.reduce((n, f) => n + fieldSize(f), 0)).toBe(4096);
  });

  // Reference sheet, "Layout": offset | size | field | since (minor version).
  test.each([
    ['signature', 0, 16, 0],
    ['uuid', 16, 16, 0],
    ['parentUuid', 32, 16, 0],
    ['flags', 48, 4, 0],
    ['versionMajor', 52, 2, 0],
    ['versionMinor', 54, 2, 0],
    ['dataoff', 56, 8, 0],
    ['npfns', 64, 8, 0],
    ['mode', 72, 4, 0],
    ['startPad', 76, 4, 1],
    ['endTrunc', 80, 4, 1],
    ['align', 84, 4, 2],
    ['pageSize', 88, 4, 4],
    ['pageStructSize', 92, 2, 4],
    ['padding', 94, 3994, 0],
    ['checksum', 4088, 8, 0],
  ] as const)('%s at %d, %d bytes, since minor %d', (name, offset, size, since) => {
    const f = PFN_FIELDS.find((x) => x.name === name);
    expect(f).toBeDefined();
    expect(f?.offset).toBe(offset);
    expect(f === undefined ? -1 : fieldSize(f)).toBe(size);
    expect(f?.since).toBe(since);
  });

  test('lists exactly the reference fields, in offset order', () => {
    expect(PFN_FIELDS.map((f) => f.name)).toEqual([
      'signature',
      'uuid',
      'parentUuid',
      'flags',
      'versionMajor',
      'versionMinor',
      'dataoff',
      'npfns',
      'mode',
      'startPad',
      'endTrunc',
      'align',
      'pageSize',
      'pageStructSize',
      'padding',
      'checksum',
    ]);
  });

  test('ndctl JSON keys follow the documented order', () => {
    expect(PFN_FIELDS.filter((f) => 'key' in f).map((f) => (f as { key: string }).key)).toEqual([
      'signature',
      'uuid',
      'parent_uuid',
      'flags',
      'dataoff',
      'npfns',
      'mode',
      'start_pad',
      'end_trunc',
      'align',
      'page_size',
      'page_struct_size',
    ]);
  });
});

describe('BTT_FIELDS', () => {
  test('has no gaps or overlaps and covers exactly 4096 bytes', () => {
    assertContiguous(BTT_FIELDS);
  });

  // Reference sheet, "BTT info-block": the fields in order with their C sizes.
  test.each([
    ['signature', 0, 16],
    ['uuid', 16, 16],
    ['parentUuid', 32, 16],
    ['flags', 48, 4],
    ['versionMajor', 52, 2],
    ['versionMinor', 54, 2],
    ['externalLbasize', 56, 4],
    ['externalNlba', 60, 4],
    ['internalLbasize', 64, 4],
    ['internalNlba', 68, 4],
    ['nfree', 72, 4],
    ['infosize', 76, 4],
    ['nextoff', 80, 8],
    ['dataoff', 88, 8],
    ['mapoff', 96, 8],
    ['logoff', 104, 8],
    ['info2off', 112, 8],
    ['padding', 120, 3968],
    ['checksum', 4088, 8],
  ] as const)('%s at %d, %d bytes', (name, offset, size) => {
    const f = BTT_FIELDS.find((x) => x.name === name);
    expect(f).toBeDefined();
    expect(f?.offset).toBe(offset);
    expect(f === undefined ? -1 : fieldSize(f)).toBe(size);
  });

  test('has exactly the reference fields', () => {
    expect(BTT_FIELDS).toHaveLength(19);
  });
});

test('KIND_SIZE gives the C sizes', () => {
  expect(KIND_SIZE).toEqual({ sig16: 16, uuid: 16, u8: 1, u16: 2, u32: 4, u64: 8 });
});
