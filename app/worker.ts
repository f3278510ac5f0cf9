import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps } from '../activities/index.js';

const here = fileURLToPath(import.meta.url);
/** workflows/index.ts under tsx, workflows/index.js in a compiled build. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${here.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/**
 * The identity a worker role on this host polls with, so that `dynamiq health --role worker`
 * (another process on the same host or in the same container) can find it among the pollers.
 */
export function workerIdentity(host: string = os.hostname()): string {
  return `dynamiq-worker@${host}`;
}

/**
 * A worker for the task queue with every workflow and activity. Workflow code is bundled
 * from `workflows/` at creation (a few seconds); pass a prebuilt bundle to skip that.
 */
export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  dataConverter: DataConverter;
  workflowBundle?: { code: string };
  identity?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.deps),
    dataConverter: opts.dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10 seconds',
  });
}
