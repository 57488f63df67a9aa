// One vocabulary (issue 22, item 4): the library's restore results use the restore document's status words,
// so what restoreTarget / restoreRealign return is what schemas/restore.schema.json allows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { migrateTarget, restoreTarget } from '../../src/migrate/apply';
import { InvalidArgumentError } from '../../src/format/errors';
import { thrownBy } from '../support/errors';
import { replaceInfoBlock } from '../../src/replace/replace';
import { smallImage } from '../support/adversarial';
import { useTmpDir } from '../support/tmp';

const tmp = useTmpDir('vocabulary');
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../schemas/restore.schema.json'), 'utf8')) as {
  properties: { status: { enum: string[] } };
};

test("restoreTarget says 'restored', then 'unchanged': both words of the restore schema", () => {
  const target = path.join(tmp.dir, 'ns.img');
  const original = smallImage(target);
  replaceInfoBlock({ target, plan: () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 5) & 0xff) });
  const first = restoreTarget({ target });
  expect(fs.readFileSync(target).subarray(0, 8192).equals(original.subarray(0, 8192))).toBe(true);
  const again = restoreTarget({ target });
  expect([first.status, again.status]).toEqual(['restored', 'unchanged']);
  expect(schema.properties.status.enum).toEqual(expect.arrayContaining([first.status, again.status]));
});

test('a missing offset says "offset is required", not "must be a bigint (got undefined)"', () => {
  const target = path.join(tmp.dir, 'no-offset.img');
  smallImage(target);
  const opts = { target, to: 'map' } as unknown as Parameters<typeof migrateTarget>[0];
  const err = thrownBy(() => migrateTarget(opts));
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect({ message: (err as Error).message, field: (err as InvalidArgumentError).field }).toEqual({
    message: 'offset is required (a bigint)',
    field: 'offset',
  });
});
