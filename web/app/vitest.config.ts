import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The portal's component tests: a DOM (happy-dom), no Temporal or database. */
export default defineConfig({
  root: here,
  plugins: [react()],
  test: {
    include: ['src/**/*.test.tsx'],
    environment: 'happy-dom',
    setupFiles: ['src/test-setup.ts'],
    pool: 'threads',
    maxWorkers: 1,
  },
});
