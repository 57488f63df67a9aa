// Every command's --help ends with its exit statuses (issue 22, item 6): the commands without their own
// line get the exit-status table's (src/cli/exit-status.ts), explain and kernel-check among them.
import { buildProgram } from '../../src/cli/index';
import { EXIT_STATUS } from '../../src/cli/exit-status';
import { run } from '../support/run';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const commands = buildProgram(quiet).commands.flatMap((c) =>
  c.commands.length > 0 ? c.commands.map((s) => [`${c.name()} ${s.name()}`]) : [[c.name()]],
);

test('the list covers every command of the exit-status table', () => {
  expect(new Set(commands.map(([c]) => (c ?? '').split(' ')[0]))).toEqual(new Set(Object.keys(EXIT_STATUS)));
});

test.each(commands)('%s --help has an exit-status line', async (command) => {
  const r = await run([...(command ?? '').split(' '), '--help']);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/\nExit status: 0 /);
});

test.each([
  ['explain', 'Exit status: 0 the layout was drawn; 2 usage or I/O error.'],
  ['corpus', 'Exit status: 0 the corpus and its manifest were written; 2 usage or I/O error.'],
])("%s: the line is the table's", async (command, line) => {
  expect((await run([command, '--help'])).out).toContain(`\n${line}\n`);
});
