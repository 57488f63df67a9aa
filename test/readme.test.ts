// Keeps the README true: its library example runs as written (against a
// bundled sample instead of ns.img) and prints what the README implies.
import * as fs from 'node:fs';
import * as path from 'node:path';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('README: the first two commands are npm start and npm test', () => {
  const commands = [...readme.matchAll(/^(npm [a-z:]+)/gm)].map((m) => m[1]);
  expect(commands.slice(0, 2)).toEqual(['npm start', 'npm test']);
});

test('README: the library example runs', () => {
  const m = /## The library\s+```ts\n([\s\S]*?)```/.exec(readme);
  expect(m).not.toBeNull();
  const sample = path.join(__dirname, '..', 'samples', 'legacy-startpad.head');
  const code = (m?.[1] ?? '')
    .replace(/import \{([^}]*)\} from 'node:fs';/, 'const {$1} = require("node:fs");')
    .replace(/import \{([^}]*)\} from 'nd-infoblock';/, 'const {$1} = require("../src/index");')
    .replace(/'ns\.img'/g, JSON.stringify(sample));
  const logged: unknown[][] = [];
  const fakeConsole = { log: (...a: unknown[]) => logged.push(a) };
  // Runs the README's example:
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- see above
  new Function('require', 'console', code)(require, fakeConsole);
  expect(logged[0]).toEqual(['pfn', 4096, true]); // findBlocks
  expect(logged[1]).toEqual(['claimed', 0x1300000n, null]); // checkHead at its base
  expect(logged[2]).toEqual([true]); // the patched copy has a valid checksum
  expect(logged[3]).toEqual([[['pfn', 4096n]]]); // scanTarget over the whole (8 KiB) sample
});
