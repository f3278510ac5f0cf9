import { ApplicationFailure } from '@temporalio/common';
import { DynamiqError } from './base.js';

/**
 * The Temporal failure for an error an activity threw: a DynamiqError becomes an
 * ApplicationFailure whose `type` is its code, retried only when the error is `retryable`, and
 * after `retryAfterMs` when it names one. Anything else is returned unchanged, so Temporal
 * applies the activity's retry policy to it (a bug or an outage is worth another attempt).
 * The cause is left out: it may hold a provider's raw answer, and failures live in history.
 */
export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof DynamiqError)) return err;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    ...(err.retryable && err.retryAfterMs !== undefined
      ? { nextRetryDelay: err.retryAfterMs }
      : {}),
  });
}

/** `fn` with every error it throws passed through `toApplicationFailure`. */
export function mappingFailures<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toApplicationFailure(err);
    }
  };
}
