import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedTemporal } from '../../lib/temporal/index.js';
import { WORKFLOWS_PATH } from '../../app/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundle: string;
  }
}

/**
 * One real Temporal dev server for the whole run (the same embedded server `npm start`
 * uses; built from the Go module proxy when missing), and the workflow code bundled once.
 */
export default async function setup(project: TestProject) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dynamiq-test-temporal-'));
  const [temporal, bundle] = await Promise.all([
    startEmbeddedTemporal({
      dataDir,
      namespace: 'default',
      log: (line) => console.log(line),
      serverLogLevel: 'error',
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
  ]);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundle', bundle.code);
  return async () => {
    await temporal.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};
