#!/usr/bin/env node
import { runCli } from './cli/index';
// Output is written synchronously to the descriptors (src/io/stdio.ts): a
// closed pipe (`infoblock read ... | head`) ends the output quietly, a failed
// write is reported as an error and exit 2.
void runCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
