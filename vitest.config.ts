import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.dynamiq/**', '.tools/**', 'tools/**'],
    globalSetup: ['test/setup/temporal.ts', 'test/setup/portal.ts'],
    setupFiles: ['test/setup/quiet-temporal.ts'],
    pool: 'forks',
    // Two cores: more files at once only adds contention with the Temporal server.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
