#!/usr/bin/env node
// The packages run from TypeScript source (no build step): register tsx, then start the CLI.
import { register } from 'tsx/esm/api';

register();
const argv = process.argv.slice(2);
// First, before TF.js and its backends install handlers of their own: any error that escapes a promise still ends
// with exit 1, one paragraph on stderr and, under --json, a JSON error line (docs/errors.md).
const { failureContext, installCrashGuard } = await import('../src/failure.ts');
installCrashGuard(failureContext(argv));
const { main } = await import('../src/main.ts');
process.exitCode = await main(argv);
