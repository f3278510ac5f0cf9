/**
 * `dynamiq health --role api|worker`: the container health check of one role. Exit 0 when
 * healthy, 1 otherwise, with one line saying why.
 *
 * api: GET /readyz on the configured PORT (200 when the database and Temporal answer).
 * worker: asks Temporal (DescribeTaskQueue, the same connection settings as the roles) whether
 * this host's worker (its identity, `workerIdentity()`) has polled the task queue recently,
 * for workflow tasks and for activity tasks: a worker that has stopped or lost Temporal stops
 * polling, so this sees what a process check cannot.
 */
import proto from '@temporalio/proto';
import type { Config, Role } from '../../lib/config/index.js';
import { connectClient, targetFromConfig } from '../../lib/temporal/index.js';
import { workerIdentity } from '../worker.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/**
 * How recent a poll must be. An idle worker's long polls are answered empty after about
 * 60 s and renewed at once, and Temporal records a poller when its poll starts: a live
 * worker's newest poll is at most a little over a minute old.
 */
export const POLLED_WITHIN_MS = 90_000;
/** Each request the check makes gives up after this long. */
const REQUEST_TIMEOUT_MS = 5_000;

export interface Health {
  healthy: boolean;
  /** One line: what was checked and what was seen. */
  line: string;
}

export async function workerHealth(
  config: Config,
  opts: { identity?: string; withinMs?: number; now?: () => number } = {},
): Promise<Health> {
  const address = config.temporal.address;
  if (!address)
    return {
      healthy: false,
      line: 'TEMPORAL_ADDRESS is not set: a worker with embedded Temporal cannot be checked from outside',
    };
  const identity = opts.identity ?? workerIdentity();
  const withinMs = opts.withinMs ?? POLLED_WITHIN_MS;
  const now = opts.now ?? Date.now;
  const { namespace, taskQueue } = config.temporal;
  let client;
  try {
    client = await connectClient(targetFromConfig(config, address), undefined, {
      connectTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (err) {
    return { healthy: false, line: `cannot reach Temporal at ${address}: ${messageOf(err)}` };
  }
  try {
    const ages: string[] = [];
    for (const [kind, type] of [
      ['workflow', TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
      ['activity', TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
    ] as const) {
      const { pollers } = await client.connection.withDeadline(now() + REQUEST_TIMEOUT_MS, () =>
        client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: type,
        }),
      );
      const last = Math.max(
        -Infinity,
        ...pollers.filter((p) => p.identity === identity).map((p) => millisOf(p.lastAccessTime)),
      );
      if (last === -Infinity)
        return {
          healthy: false,
          line: `no poll from ${identity} on task queue "${taskQueue}" (${kind} tasks) in namespace "${namespace}"`,
        };
      const age = now() - last;
      if (age > withinMs)
        return {
          healthy: false,
          line: `${identity} last polled task queue "${taskQueue}" (${kind} tasks) ${seconds(age)} ago (limit ${seconds(withinMs)})`,
        };
      ages.push(`${kind} ${seconds(Math.max(0, age))} ago`);
    }
    return {
      healthy: true,
      line: `${identity} polls task queue "${taskQueue}" (${ages.join(', ')})`,
    };
  } catch (err) {
    return {
      healthy: false,
      line: `Temporal at ${address} did not describe task queue "${taskQueue}": ${messageOf(err)}`,
    };
  } finally {
    await client.connection.close();
  }
}

export async function apiHealth(config: Config): Promise<Health> {
  const host = ['0.0.0.0', '::', ''].includes(config.host)
    ? '127.0.0.1'
    : config.host.includes(':')
      ? `[${config.host}]`
      : config.host;
  const url = `http://${host}:${config.port}/readyz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await res.text()).trim();
    return { healthy: res.status === 200, line: `${url}: ${res.status} ${body}` };
  } catch (err) {
    return { healthy: false, line: `${url}: ${messageOf(err)}` };
  }
}

/** Prints the one line and returns the exit status (0 healthy, 1 not). */
export async function healthCommand(
  config: Config,
  role: Role,
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const health = role === 'api' ? await apiHealth(config) : await workerHealth(config);
  out(`${health.healthy ? 'healthy' : 'unhealthy'}: ${health.line}`);
  return health.healthy ? 0 : 1;
}

function millisOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return -Infinity;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function messageOf(err: unknown): string {
  const e = err as { cause?: unknown; message?: string };
  const cause = e.cause as { message?: string } | undefined;
  return [e.message ?? String(err), cause?.message].filter(Boolean).join(': ');
}
