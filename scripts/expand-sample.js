#!/usr/bin/env node
/**
 * Expand an 8 KiB namespace head (samples/*.head) into a full-size image:
 * the head at offset 0, the file extended to SIZE bytes (sparse: the rest
 * reads as zeros and takes no disk space).
 *
 *   node scripts/expand-sample.js HEAD OUT.img SIZE [--force]
 *
 * SIZE: bytes, with an optional K/M/G/T suffix (binary) or 0x hex.
 * Refuses to overwrite an existing OUT unless --force. Exit 0 on success,
 * 2 on any error (one line on stderr).
 */
'use strict';
const fs = require('node:fs');

const HEAD_SIZE = 8192;
const USAGE = 'usage: node scripts/expand-sample.js HEAD OUT.img SIZE [--force]';

class Fail extends Error {}

function parseSize(text) {
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([kKmMgGtT]?)$/.exec(text);
  if (m === null) throw new Fail(`bad SIZE '${text}' (expected bytes with an optional K/M/G/T suffix, e.g. 1G)`);
  const shift = { '': 0n, k: 10n, m: 20n, g: 30n, t: 40n }[m[2].toLowerCase()];
  const n = BigInt(m[1]) << shift;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fail(`SIZE '${text}' is too large`);
  return Number(n);
}

function reason(e) {
  const known = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    EEXIST: 'already exists',
    ENOSPC: 'no space left on device',
    ENOTDIR: 'not a directory',
    EFBIG: 'file too large',
  };
  return (e && known[e.code]) || (e && e.code) || String(e);
}

function main(argv) {
  const force = argv.includes('--force');
  const args = argv.filter((a) => a !== '--force');
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-') && a !== '-');
  if (unknown !== undefined) throw new Fail(`unknown option '${unknown}'\n${USAGE}`);
  if (args.length !== 3) throw new Fail(`expected HEAD OUT.img SIZE\n${USAGE}`);
  const [headPath, outPath, sizeText] = args;
  const size = parseSize(sizeText);

  let head;
  try {
    head = fs.readFileSync(headPath);
  } catch (e) {
    throw new Fail(`cannot read head '${headPath}': ${reason(e)}`);
  }
  if (head.length !== HEAD_SIZE)
    throw new Fail(`'${headPath}' is ${head.length} bytes, not an ${HEAD_SIZE}-byte namespace head`);
  if (size < HEAD_SIZE) throw new Fail(`SIZE ${size} is smaller than the ${HEAD_SIZE}-byte head`);

  let fd;
  try {
    // 'wx' refuses an existing OUT; with --force 'w' truncates it to 0 first so no old bytes survive.
    fd = fs.openSync(outPath, force ? 'w' : 'wx');
  } catch (e) {
    if (e && e.code === 'EEXIST') throw new Fail(`'${outPath}' already exists (use --force to overwrite it)`);
    throw new Fail(`cannot create '${outPath}': ${reason(e)}`);
  }
  try {
    fs.writeSync(fd, head, 0, HEAD_SIZE, 0);
    fs.ftruncateSync(fd, size);
  } catch (e) {
    throw new Fail(`cannot write '${outPath}': ${reason(e)}`);
  } finally {
    fs.closeSync(fd);
  }
  process.stderr.write(`expand-sample: wrote ${outPath} (${size} bytes, head from ${headPath})\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof Fail)) throw e;
  process.stderr.write(`expand-sample: ${e.message}\n`);
  process.exitCode = 2;
}
