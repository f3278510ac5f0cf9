// One error model for every part: a stable namespaced code, an HTTP status, a retryable flag.
// The HTTP error handler (web/server/errors.ts) and the activities' Temporal mapper read it.

export { DynamiqError } from './base.js';
export type { DynamiqErrorOptions } from './base.js';
export { mappingFailures, toApplicationFailure } from './temporal.js';
