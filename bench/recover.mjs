// recover on an image crowded with structures: N small ext2 superblocks
// (a 2 KiB filesystem every 2 KiB from 9 MiB on, none inside another),
// so every one of them is a possible data start. Times the whole
// `infoblock recover --json` process and its peak memory (the kernel's
// maxRSS of that node process, read by a preload at its exit; VmHWM
// sampled from /proc as a cross-check), and the
// scan and the planner alone in this process. Figures, not a test; before
// issue 18 the planner compared every structure with every other one
// (31,616 superblocks: 14 s and 720 MB; 126,463: ~4 minutes).
//
//   npm run build && node bench/recover.mjs [--size-mib 256] [--stride 2048] [--runs 3] [--keep FILE]
import { spawn } from 'node:child_process';
import { setInterval, clearInterval } from 'node:timers';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { scanTarget } = require('../dist/scan/scan.js');
const { planRecovery, scanLimit } = require('../dist/recover/plan-recovery.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizeMiB = Number(opt('--size-mib', '256'));
const stride = Number(opt('--stride', '2048'));
const runs = Number(opt('--runs', '3'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recover-bench-'));
const file = opt('--keep', path.join(dir, 'crowded.img'));
// Loaded into the measured node process (-r): its exact peak resident set, on stderr as it exits.
const preload = path.join(dir, 'max-rss.cjs');
fs.writeFileSync(
  preload,
  "process.on('exit', () => require('fs').writeSync(2, `maxRSS ${process.resourceUsage().maxRSS} kB\\n`));\n",
);
const BASE = 0x100000000n;

/** A minimal ext2 superblock (1 KiB blocks, 2 of them) as the scanner recognises it. */
function superblock() {
  const sb = Buffer.alloc(1024);
  sb.writeUInt32LE(16, 0); // inodes
  sb.writeUInt32LE(2, 4); // blocks: a 2 KiB filesystem
  sb.writeUInt32LE(1, 20); // first data block (1 KiB blocks)
  sb.writeUInt32LE(0, 24); // log block size
  sb.writeUInt32LE(8192, 32); // blocks per group
  sb.writeUInt32LE(16, 40); // inodes per group
  sb.writeUInt16LE(0xef53, 56);
  sb.writeUInt32LE(1, 76); // revision
  return sb;
}

function makeImage() {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, sizeMiB * 2 ** 20);
  const fd = fs.openSync(file, 'r+');
  const chunk = Buffer.alloc(1 << 20);
  const sb = superblock();
  let n = 0;
  for (let mib = 9; mib < sizeMiB; mib++) {
    chunk.fill(0);
    for (let at = 0; at + stride <= chunk.length; at += stride) {
      sb.copy(chunk, at + 1024);
      n++;
    }
    fs.writeSync(fd, chunk, 0, chunk.length, mib * 2 ** 20);
  }
  fs.closeSync(fd);
  return n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Run a process to its end, sampling its peak resident set (VmHWM) from /proc. */
function measured(argv) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // bash's `time` gives the child's CPU seconds (user + sys): on a loaded machine the wall time says little.
    const words = argv.map((a) => `'${a}'`).join(' ');
    const cmd = `TIMEFORMAT='%U %S'; time "${process.execPath}" -r '${preload}' ${words} > /dev/null`;
    const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let hwm = 0;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const sample = () => {
      try {
        // bash's child: the node process
        const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
        for (const pid of kids.filter((k) => k !== '')) {
          const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]));
        }
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(sample, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(err);
      const max = /maxRSS (\d+) kB/.exec(err);
      if (code !== 0 && code !== 1) reject(new Error(`recover exited ${code}: ${err}`));
      else
        resolve({
          s,
          cpu: cpu === null ? NaN : Number(cpu[1]) + Number(cpu[2]),
          mib: hwm / 1024,
          maxRss: max === null ? NaN : Number(max[1]) / 1024,
          code,
        });
    });
  });
}

const n = makeImage();
console.log(
  `machine: ${os.cpus().length} cores, node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(`image: ${sizeMiB} MiB, ${n} ext2 superblocks every ${stride} bytes from 9 MiB on`);

const size = BigInt(sizeMiB) << 20n;
const head = Buffer.alloc(8192);
const scanT = [];
const planT = [];
let plan;
let found = 0;
const cpuPlan = [];
for (let r = 0; r < runs; r++) {
  let t = process.hrtime.bigint();
  const findings = scanTarget({ target: file, to: scanLimit(size) }).findings;
  scanT.push(Number(process.hrtime.bigint() - t) / 1e9);
  found = findings.length;
  t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  plan = planRecovery(head, findings, { nsBase: BASE, nsSize: size, kernel: 'linux-6.1' });
  planT.push(Number(process.hrtime.bigint() - t) / 1e9);
  const c = process.cpuUsage(c0);
  cpuPlan.push((c.user + c.system) / 1e6);
}
console.log(`scan (in process)        : ${median(scanT).toFixed(2)} s, ${found} structures (median of ${runs})`);
console.log(
  `planRecovery (in process): ${median(planT).toFixed(2)} s wall, ${median(cpuPlan).toFixed(2)} s CPU: ` +
    `${plan.status}, ${plan.candidates.length} candidates kept + ${plan.omitted} counted, ` +
    `${plan.rejected.length} places not used`,
);
const whole = [];
for (let r = 0; r < runs; r++)
  whole.push(await measured([path.join(root, 'dist/cli.js'), 'recover', file, '--ns-base', '0x100000000', '--json']));
const best = median(whole.map((w) => w.s));
console.log(
  `infoblock recover --json : ${best.toFixed(2)} s wall, ${median(whole.map((w) => w.cpu)).toFixed(2)} s CPU, ` +
    `peak RSS ${Math.max(...whole.map((w) => w.maxRss)).toFixed(0)} MiB (maxRSS; VmHWM sampled ` +
    `${Math.max(...whole.map((w) => w.mib)).toFixed(0)} MiB; whole process, median of ${runs})`,
);
if (opt('--keep', null) === null) fs.rmSync(dir, { recursive: true, force: true });
