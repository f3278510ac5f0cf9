/** `dynamiq.<domain>.<reason>`: lowercase words joined by underscores, e.g. `dynamiq.broker.expired`. */
const CODE = /^dynamiq\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

export interface DynamiqErrorOptions {
  /** The HTTP status an API answers with; 500 when left out. */
  status?: number;
  /** Whether the same call may succeed if tried again unchanged; false when left out. */
  retryable?: boolean;
  /** How long to wait before a retry is worth it, in milliseconds (e.g. a provider's Retry-After). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Base class of every error Dynamiq throws on purpose. `code` is stable and namespaced
 * (`dynamiq.<domain>.<reason>`), so callers branch on it, never on the message; the message
 * says how to fix the problem and is safe to show (it never carries a secret). The HTTP error
 * handler sends `{error: {code, message}}` with `status`; activities become Temporal failures
 * that are retried only when `retryable`.
 */
export class DynamiqError extends Error {
  override name = 'DynamiqError';
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: DynamiqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!CODE.test(code))
      throw new TypeError(`error code ${code} is not dynamiq.<domain>.<reason>`);
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The code without `dynamiq.<domain>.`, e.g. `expired`; audit records and JSON-RPC use it. */
  get reason(): string {
    return this.code.slice(this.code.lastIndexOf('.') + 1);
  }
}
