import { DynamiqError } from '../../lib/errors/index.js';

/**
 * Thrown when the LLM server refused the request as such (a wrong API key, an unknown model,
 * a malformed request): the same request would be refused again, so it is not retried.
 */
export class LlmRequestRejectedError extends DynamiqError {
  override name = 'LlmRequestRejectedError';
  constructor(
    /** The LLM server's HTTP status. */
    readonly httpStatus: number,
    message: string,
  ) {
    super('dynamiq.llm.request_rejected', message, { status: 502, retryable: false });
  }
}
