import { defineConfig } from 'vitest/config';

// Tests run against source: workspace packages resolve to their src/index.ts via package.json "exports".
export default defineConfig({
  test: {
    include: ['packages/**/*.test.ts', 'tools/**/*.test.ts', 'benchmarks/**/*.test.ts', 'docs/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
