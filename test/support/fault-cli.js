#!/usr/bin/env node
// Test-only entry: runs the built CLI (dist/) with a fault hook installed.
//
//   node test/support/fault-cli.js '<spec JSON>' ARGS...
//
// spec: { kill?: STEP, hit?: N (kill at the N-th time STEP is reached, default 1),
//         tear?: BYTES (stop the block write after BYTES, then 'mid-write'),
//         sleep?: { [STEP]: MS } (pause at a step, to widen a race window),
//         rss?: true (print "maxrss <KiB>" as the last stderr line) }
// Steps are listed in src/io/faults.ts. A kill is SIGKILL: no cleanup runs.
'use strict';
const path = require('node:path');
const { runCli } = require(path.resolve(__dirname, '../../dist/cli/index.js'));

const spec = JSON.parse(process.argv[2] || '{}');
const seen = {};
const pause = new Int32Array(new SharedArrayBuffer(4));
const faults = {
  at(step) {
    seen[step] = (seen[step] || 0) + 1;
    const ms = spec.sleep && spec.sleep[step];
    if (ms) Atomics.wait(pause, 0, 0, ms);
    if (spec.kill === step && seen[step] === (spec.hit || 1)) process.kill(process.pid, 'SIGKILL');
  },
  tear() {
    return spec.tear === undefined ? undefined : spec.tear;
  },
};
if (spec.rss) process.on('exit', () => process.stderr.write(`maxrss ${process.resourceUsage().maxRSS}\n`));
void runCli(process.argv.slice(3), { faults }).then((code) => (process.exitCode = code));
