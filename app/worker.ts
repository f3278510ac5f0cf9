import { randomUUID } from 'node:crypto';
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

/** The longest a heartbeat (and so a cancellation's delivery) waits in the worker. */
export const HEARTBEAT_THROTTLE = '1 second' as const;

/**
 * This worker's own task queue for the tool calls of sandboxes it holds (Temporal's
 * worker-specific task queue pattern): unique per process, so a restarted worker gets a new
 * one and calls for the old one time out before they start and move on.
 */
export function hostTaskQueueOf(taskQueue: string, host: string = os.hostname()): string {
  return `${taskQueue}/host/${host}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * A worker for the task queue with every workflow and activity, plus (when `hostTaskQueue`
 * differs) one for the same activities on the worker's own queue; `run` runs both. Workflow code is bundled
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
  hostTaskQueue?: string;
  /** Bounds on what the worker holds (config.temporal); the SDK's defaults when left out. */
  limits?: { maxCachedWorkflows: number; maxConcurrentActivities: number };
}): Promise<Worker> {
  const activities = createActivities(opts.deps);
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    activities,
    dataConverter: opts.dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10 seconds' as const,
    // A cancellation reaches a running activity only in the answer to a heartbeat it sends,
    // and the SDK sends them at most every 0.8 × the heartbeat timeout (12 s for a command
    // under the 15 s default): a cancelled `sleep 300` ran that long before it was killed.
    // Tool runs heartbeat every second, so this bounds the wait to about one second.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    ...(opts.limits && {
      maxConcurrentActivityTaskExecutions: opts.limits.maxConcurrentActivities,
      maxConcurrentLocalActivityExecutions: opts.limits.maxConcurrentActivities,
    }),
  };
  const main = await Worker.create({
    ...common,
    taskQueue: opts.taskQueue,
    ...(opts.limits && { maxCachedWorkflows: opts.limits.maxCachedWorkflows }),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
  if (!opts.hostTaskQueue || opts.hostTaskQueue === opts.taskQueue) return main;
  const host = await Worker.create({ ...common, taskQueue: opts.hostTaskQueue });
  return pairOf(main, host);
}

/**
 * The two workers as one: `run` runs both until either stops, `shutdown` stops both. Callers
 * (the worker role, tests) keep using the Worker API they know.
 */
function pairOf(main: Worker, host: Worker): Worker {
  const run = main.run.bind(main);
  const shutdown = main.shutdown.bind(main);
  return Object.assign(main, {
    run: async () => {
      const runs = [run(), host.run()];
      // Either one stopping (a shutdown, a fatal error) stops the other.
      await Promise.race(runs).catch(() => undefined);
      if (host.getState() === 'RUNNING') host.shutdown();
      if (main.getState() === 'RUNNING') shutdown();
      const results = await Promise.allSettled(runs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown: () => {
      if (host.getState() === 'RUNNING') host.shutdown();
      shutdown();
    },
  });
}
