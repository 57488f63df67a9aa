// `npm run docs` (TypeDoc): the API reference builds with warnings treated as
// errors (broken {@link}s fail it) and has a page per package entry, with the
// doc comments of the public entry points on them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTmpDir } from '../support/tmp';

const root = path.join(__dirname, '../..');
const tmp = useTmpDir('api-docs');
let out: string;
let status: number | null;
let log: string;

/** A generated page as text (tags dropped, entities decoded, blanks squeezed). */
function page(rel: string): string {
  const html = fs.readFileSync(path.join(out, rel), 'utf8');
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

beforeAll(() => {
  out = tmp.dir;
  const typedoc = path.join(root, 'node_modules/typedoc/bin/typedoc');
  const r = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: root, encoding: 'utf8' });
  status = r.status;
  log = `${r.stdout}${r.stderr}`;
}, 120_000);

test('typedoc succeeds with warnings as errors', () => {
  expect({ status, log: log.split('\n').filter((l) => /warning|error/i.test(l)) }).toEqual({ status: 0, log: [] });
});

const PAGES = ['nd-infoblock', 'format', 'validate', 'migrate', 'corpus', 'scan', 'recover', 'kernel', 'pack', 'cli'];
test.each(PAGES.map((p) => [p]))('a page for %s', (name) => {
  expect(fs.existsSync(path.join(out, 'modules', `${name}.html`))).toBe(true);
});

test.each([
  ['modules/nd-infoblock.html', 'never loads the command line'],
  ['modules/format.html', 'Import it alone as nd-infoblock/format'],
  ['functions/cli.runCli.html', 'Never exits the process and never throws'],
  ['functions/format.decodeBttBlock.html', 'never mutates block'],
  ['classes/format.InfoblockError.html', 'Base of every error the library throws on purpose'],
])('%s carries its doc comment', (rel, text) => {
  expect(page(rel)).toContain(text);
});
