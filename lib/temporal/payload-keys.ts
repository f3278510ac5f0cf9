// Which master keys Temporal still needs. A running workflow is replayed from its whole history
// (its input, every signal and update it received, every activity result) whenever a worker
// picks it up again, so every key any of those payloads is sealed with must stay configured
// until the run closes or continues as new.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { isBoundPayload, payloadKeyId } from '../crypto/index.js';

/** What the current run of one workflow holds, by key. */
export interface RunKeyUsage {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Encrypted payloads in the run's history, by the master key id they are sealed with. */
  keyIds: Map<string, number>;
  /** Encrypted payloads sealed before payloads were bound to their workflow. */
  unbound: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every payload in a history event, wherever the event type keeps it. */
export function payloadsIn(event: HistoryEvent): Payload[] {
  const found: Payload[] = [];
  const walk = (value: unknown) => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && isMetadata(record.metadata)) {
      found.push(record as Payload);
      return;
    }
    for (const child of Object.values(record)) walk(child);
  };
  walk(event);
  return found;
}

const isMetadata = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.values(v).every((x) => x instanceof Uint8Array);

/** Adds the keys of one history's events to `usage`. */
export function countKeys(usage: RunKeyUsage, events: readonly HistoryEvent[]): void {
  for (const event of events) {
    for (const payload of payloadsIn(event)) {
      const keyId = payloadKeyId(payload);
      if (keyId === undefined) continue;
      usage.keyIds.set(keyId, (usage.keyIds.get(keyId) ?? 0) + 1);
      if (!isBoundPayload(payload)) usage.unbound += 1;
    }
  }
}

/**
 * The key usage of every running workflow on the task queue, read from the raw (still
 * encrypted) histories, so no key is needed to take stock. One history page at a time.
 */
export async function runningKeyUsage(
  client: Client,
  opts: { namespace: string; taskQueue: string },
): Promise<RunKeyUsage[]> {
  const query = `ExecutionStatus = "Running" AND TaskQueue = "${opts.taskQueue.replaceAll('"', '')}"`;
  const runs: RunKeyUsage[] = [];
  for await (const info of client.workflow.list({ query })) {
    const usage: RunKeyUsage = {
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.type,
      keyIds: new Map(),
      unbound: 0,
    };
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: opts.namespace,
        execution: { workflowId: info.workflowId, runId: info.runId },
        maximumPageSize: 500,
        nextPageToken,
      });
      countKeys(usage, page.history?.events ?? []);
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    runs.push(usage);
  }
  return runs;
}
