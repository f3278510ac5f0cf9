import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DynamiqError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/logging.js';

/**
 * Thrown by route handlers for an answer other than success; `reason` becomes the code
 * `dynamiq.http.<reason>` (e.g. `unauthorized`), stable for callers.
 */
export class HttpError extends DynamiqError {
  override readonly name = 'HttpError';
  constructor(status: number, reason: string, message: string) {
    super(`dynamiq.http.${reason}`, message, { status });
  }

  /** Fastify's name for the status, read by its default handlers. */
  get statusCode(): number {
    return this.status;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * The one Fastify error handler: every failure leaves as `{ error: { code, message } }`.
 * - A DynamiqError (any domain's) with its code, message and status; a 401 says how to
 *   authenticate (`www-authenticate: Bearer`).
 * - Input refused by the route's zod schema: 400 naming the field.
 * - Fastify's own 4xx (413, 415, a bad JSON body): their status and message.
 * - Anything else is a bug: logged, and answered 500 with a generic message and no internals.
 * Logs name the route pattern, never the URL: a query string may carry a sign-in token or an
 * OAuth code.
 */
export function errorHandler(log: Logger) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const route = { method: request.method, route: request.routeOptions.url };
    if (err instanceof DynamiqError) {
      // Ours, so the message is safe to show; a 5xx is still worth an operator's look.
      if (err.status >= 500) log.error({ ...route, code: err.code }, err.message);
      if (err.status === 401) reply.header('www-authenticate', 'Bearer');
      return reply.status(err.status).send(body(err.code, err.message));
    }
    const invalid = invalidInput(err);
    if (invalid) return reply.status(400).send(body('dynamiq.http.invalid_request', invalid));
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(body(fastifyCode(status), err.message));
    }
    log.error({ ...route, err }, 'request failed');
    return reply
      .status(500)
      .send(body('dynamiq.http.internal', 'Something went wrong; see the server log.'));
  };
}

/** What was wrong with the request, field by field, or undefined when it is not a zod error. */
function invalidInput(err: FastifyError | Error): string | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const where = err.validationContext ?? 'request';
  return err.validation
    .map((v) => {
      const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return `${where}${field ? `.${field}` : ''}: ${v.message}`;
    })
    .join('; ');
}

function fastifyCode(status: number): string {
  if (status === 413) return 'dynamiq.http.body_too_large';
  if (status === 415) return 'dynamiq.http.unsupported_media_type';
  return 'dynamiq.http.bad_request';
}

export const body = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/**
 * Fastify's `frameworkErrors`: failures before any route runs (a URL that does not decode, such
 * as `/api/%zz`), which would otherwise leave in Fastify's own shape, echoing the URL.
 */
export function frameworkErrorHandler(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (err.code === 'FST_ERR_BAD_URL') {
    void reply
      .status(400)
      .send(
        body('dynamiq.http.bad_request', 'The URL is not valid (a malformed percent-encoding).'),
      );
    return;
  }
  // A path parameter longer than the router's limit (100 characters): no route has such ids.
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply
      .status(414)
      .send(
        body('dynamiq.http.uri_too_long', 'A path segment is too long (at most 100 characters).'),
      );
    return;
  }
  void reply
    .status(500)
    .send(body('dynamiq.http.internal', 'Something went wrong; see the server log.'));
}
