import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests run against source, never a build: workspace packages export their src/*.ts under the `source` condition
// (their `default` is dist/, the build), which the resolver here and every node process the tests start resolve
// (NODE_OPTIONS below; packages/cli/bin/fbnet.js then runs the CLI from source through tsx).
const SOURCE = 'source';

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: ['packages/**/*.test.ts', 'tools/**/*.test.ts', 'benchmarks/**/*.test.ts', 'docs/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE}`].filter(Boolean).join(' ') },
  },
});
