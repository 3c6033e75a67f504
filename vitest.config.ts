import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    setupFiles: ['test/setup/quietOutput.ts'],
    testTimeout: 20_000,
    // What the code under test logs is shown for failing tests only: the output is test results.
    silent: 'passed-only',
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'functions/**/*.ts', 'local/**/*.ts'],
      reporter: ['text-summary'],
    },
  },
});
