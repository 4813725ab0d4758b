#!/usr/bin/env node
// The packages run from TypeScript source (no build step): register tsx, then start the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
