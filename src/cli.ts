#!/usr/bin/env node
import { runCli } from './cli/index';
// `infoblock read ... | head`: a closed pipe ends the output, not with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : process.exit(2)));
void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
