// The repair samples: make-images.sh expands the committed heads into sparse
// 1 GiB images, and the walk-through of docs/repair.md holds on them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from '../support/run';
import { useTmpDir } from '../support/tmp';

const SAMPLES = path.resolve(__dirname, '../../samples/repair');
const tmp = useTmpDir('samples');
let dir: string;
beforeAll(() => {
  dir = tmp.dir;
  const r = spawnSync('sh', [path.join(SAMPLES, 'make-images.sh'), dir], { encoding: 'utf8' });
  expect(r.status).toBe(0);
});

test.each(['legacy', 'ndctl-O'])('%s.img is a 1 GiB image whose head is the committed one', (name) => {
  const img = path.join(dir, `${name}.img`);
  expect(fs.statSync(img).size).toBe(1 << 30);
  const fd = fs.openSync(img, 'r');
  const head = Buffer.alloc(8192);
  fs.readSync(fd, head, 0, 8192, 0);
  fs.closeSync(fd);
  expect(head.equals(fs.readFileSync(path.join(SAMPLES, `${name}.head`)))).toBe(true);
});

test('walk-through 1: legacy -> map -> restore', async () => {
  const img = path.join(dir, 'legacy.img');
  const ns = ['--ns-base', '0x100100000'];
  expect((await run(['check', img, ...ns, '--no-dax'])).code).toBe(0);
  expect((await run(['migrate', img, ...ns, '--to', 'map', '--dry-run'])).code).toBe(0);
  const m = await run(['migrate', img, ...ns, '--to', 'map']);
  expect(m.code).toBe(0);
  expect(m.out).toMatch(/data start 0x1300000 -> 0x1300000 \(unchanged\)/);
  expect((await run(['check', img, ...ns, '--kernel', 'map'])).code).toBe(0);
  expect((await run(['restore', img])).code).toBe(0);
  expect((await run(['check', img, ...ns, '--no-dax'])).code).toBe(0);
});

test('walk-through 2: the ndctl -O block is ambiguous, then repaired for linux-6.1', async () => {
  const img = path.join(dir, 'ndctl-O.img');
  const ns = ['--ns-base', '0x100100000'];
  expect((await run(['check', img, ...ns])).code).toBe(1);
  expect((await run(['migrate', img, ...ns, '--to', 'legacy'])).code).toBe(1);
  expect((await run(['migrate', img, ...ns, '--from', 'map', '--to', 'legacy'])).code).toBe(1);
  expect((await run(['migrate', img, ...ns, '--from', 'map', '--to', 'legacy', '--allow-hazard'])).code).toBe(0);
  expect((await run(['check', img, ...ns, '--no-dax'])).code).toBe(0);
});
