import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  // The package's own name resolves to the sources in tests (as tsconfig.json's "paths" do for tsc
  // and tsx); package.json's "exports" point at the compiled dist/, which test/package.spec.ts checks.
  resolve: {
    alias: [
      { find: /^pixelstreams$/, replacement: source('./index.ts') },
      { find: /^pixelstreams\/props$/, replacement: source('./props/index.ts') },
      { find: /^pixelstreams\/props\/vitest$/, replacement: source('./props/vitest.ts') },
    ],
  },
  test: {
    include: ['src/**/*.spec.ts', 'streams/**/*.spec.ts', 'pipelines/**/*.spec.ts', 'props/**/*.spec.ts', 'test/**/*.spec.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
