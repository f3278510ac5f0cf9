import type { ActivityOptions } from '@temporalio/workflow';
import { ActivityCancellationType } from '@temporalio/workflow';
import type { AgentLimits } from '../../lib/config/index.js';

/**
 * Activity options of the agent's steps, built from the limits the turn started with (they
 * are data in history, so a changed setting never changes a recorded turn's replay).
 */

/** One LLM step. Retried on 429 (after Retry-After), 5xx, timeouts and dropped connections. */
export const llmStepOptions = (_limits: AgentLimits): ActivityOptions => ({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['dynamiq.llm.request_rejected'],
  },
});

/**
 * Tool calls in the conversation's sandbox, sent to the worker that holds it. A command is
 * never retried: one whose worker died is reported as interrupted (it may have partly run)
 * and the LLM decides. File reads and writes are idempotent and may run again. Cancellation
 * waits until the command's process tree is gone.
 */
export const sandboxToolOptions = (
  limits: AgentLimits,
  taskQueue: string,
  tool: 'run_command' | 'read_file' | 'write_file' | 'list_files',
): ActivityOptions => ({
  taskQueue,
  scheduleToStartTimeout: limits.sandboxHostWaitMs,
  startToCloseTimeout: limits.commandTimeoutMs + 60_000,
  heartbeatTimeout: limits.toolHeartbeatMs,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry:
    tool === 'run_command'
      ? { maximumAttempts: 1 }
      : { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});

/** MCP calls: retried only when the tool says repeating it is harmless. */
export const mcpToolOptions = (limits: AgentLimits, repeatable: boolean): ActivityOptions => ({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: limits.toolHeartbeatMs,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: repeatable
    ? { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 }
    : { maximumAttempts: 1 },
});

/** Which worker holds the sandbox: any worker answers, with its own task queue. */
export const SANDBOX_HOST_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
};

/** Closing a sandbox on the worker that holds it. */
export const closeSandboxOptions = (taskQueue: string, waitMs: number): ActivityOptions => ({
  taskQueue,
  scheduleToStartTimeout: waitMs,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Posting to a chat platform: idempotent on the front end's side, so retried freely. */
export const FRONT_END_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
};
