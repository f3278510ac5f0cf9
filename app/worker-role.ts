import type { NativeConnection, Worker } from '@temporalio/worker';
import {
  CommandCredentials,
  LocalSandboxProvider,
  SandboxSessions,
  createSandboxProvider,
  localSandboxRoot,
} from '../activities/sandbox/index.js';
import type { Config } from '../lib/config/index.js';
import type { Logger } from '../lib/logging.js';
import { connectNative } from '../lib/temporal/index.js';
import type { Core } from './core.js';
import type { IntegrationServices } from './integration-services.js';
import type { Shutdown } from './shutdown.js';
import { createWorker, hostTaskQueueOf, workerIdentity } from './worker.js';
import type { FrontEnds } from '../activities/agent/index.js';

/** How often the worker closes idle sandboxes and those of deleted conversations. */
const REAP_EVERY_MS = 60_000;

/**
 * The worker role: the Temporal worker with every workflow and activity, and the sandbox
 * reaper. `brokerUrl` is read per command: in one process the api binds after the worker.
 */
export async function startWorkerRole(opts: {
  config: Config;
  core: Core;
  services: IntegrationServices;
  brokerUrl: () => string;
  log: Logger;
  shutdown: Shutdown;
  workflowBundle?: { code: string };
  /** Chat platforms the worker posts answers and approvals to. */
  frontEnds?: FrontEnds;
}): Promise<Worker> {
  const { config, core, log, shutdown } = opts;
  const db = core.database.prisma;
  if (config.sandbox.provider === 'local' && config.sandbox.network === 'shared') {
    log.warn(
      'SANDBOX_NETWORK=shared: sandboxes use the host network and reach its loopback services ' +
        '(Temporal, the database) and cloud metadata endpoints; use proxied unless you must',
    );
  }
  const where = localSandboxRoot(config);
  if (config.sandbox.provider === 'local' && where.legacy) {
    log.warn(
      { dir: where.root, default: config.sandbox.dir },
      `local sandboxes stay in ${where.root}, inside the data folder, where an earlier version ` +
        `put them and some still live; once they have closed (idle or ended), a restart puts ` +
        `new ones in ${config.sandbox.dir}. Set SANDBOX_DIR to choose the folder yourself`,
    );
  }
  const provider = createSandboxProvider(config, { brokerUrl: opts.brokerUrl, root: where.root });
  if (provider instanceof LocalSandboxProvider) {
    provider.limitsInForce().then(
      (limits) =>
        log.info(
          { network: config.sandbox.network, dir: where.root },
          `local sandboxes: ${limits}`,
        ),
      (err: unknown) => log.warn({ err }, 'local sandboxes are not usable on this host yet'),
    );
  }
  const sandboxes = new SandboxSessions(db, provider, {
    providerName: config.sandbox.provider,
    idleTimeoutMs: config.sandbox.idleTimeoutMs,
  });
  const reaper = setInterval(() => {
    sandboxes.reap().then(
      ({ closed }) => closed.length && log.info({ closed }, 'closed idle or orphaned sandboxes'),
      (err: unknown) => log.warn({ err }, 'sandbox reaper failed; will retry'),
    );
  }, REAP_EVERY_MS);
  reaper.unref();
  shutdown.add(async () => clearInterval(reaper));

  const connection: NativeConnection = await connectNative(core.temporal);
  shutdown.add(() => connection.close());
  // Local sandboxes exist on this host only: their tool calls come to this worker's own queue.
  const hostTaskQueue =
    config.sandbox.provider === 'local'
      ? hostTaskQueueOf(config.temporal.taskQueue)
      : config.temporal.taskQueue;
  const worker = await createWorker({
    connection,
    namespace: core.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    hostTaskQueue,
    limits: config.temporal,
    deps: {
      db,
      bus: core.bus,
      llm: config.llm,
      sandboxes,
      commandCredentials: new CommandCredentials(db, {
        jwtSecret: core.jwtSecret,
        brokerUrl: opts.brokerUrl,
      }),
      mcp: opts.services.mcp,
      connections: opts.services.connections,
      keyring: core.keyring,
      agent: config.agent,
      hostTaskQueue,
      frontEnds: opts.frontEnds ?? {},
    },
    dataConverter: core.dataConverter,
    workflowBundle: opts.workflowBundle,
    identity: workerIdentity(),
  });
  const running = worker.run();
  shutdown.add(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  log.info(
    { taskQueue: config.temporal.taskQueue, hostTaskQueue, identity: workerIdentity() },
    'worker started',
  );
  return worker;
}
