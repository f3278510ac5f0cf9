import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** A conversation with no message for this long closes; the next message starts a new run. */
export const IDLE_CLOSE_AFTER = '7 days';
/** Turns per run before continue-as-new keeps the event history small. */
export const TURNS_PER_RUN = 100;
/** Event ids remembered to drop redelivered chat events. */
export const SEEN_EVENT_IDS_KEPT = 500;

/**
 * Database writes: quick and idempotent, so they run as local activities in the worker that
 * runs the workflow. That saves two server round trips per write (about 25 ms each on the
 * embedded server); a crash mid-write re-runs the write, which finds the row it wrote.
 */
export const STORE_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 20,
  },
};

/**
 * One LLM request. The activity heartbeats every second while it streams, so a worker that
 * dies mid-answer is noticed after the heartbeat timeout and the turn runs again elsewhere.
 */
export const LLM_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 4,
    // The activity's failure is already non-retryable; naming its type keeps that true here.
    nonRetryableErrorTypes: ['dynamiq.llm.request_rejected'],
  },
};

/** Sandbox work: commands heartbeat every second while they run. */
export const SANDBOX_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
};
