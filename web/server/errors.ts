import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from '../../lib/logging.js';

/** Thrown by route handlers for an answer other than success; `code` is stable for callers. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Every failure leaves as `{ error: { code, message } }`; nothing internal leaks. */
export function errorHandler(log: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      return reply.status(err.statusCode).send(body(err.code, err.message));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const details = err.validation.map((v) => {
        const field = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return `${where}${field ? `.${field}` : ''}: ${v.message}`;
      });
      return reply.status(400).send(body('invalid_request', details.join('; ')));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code =
        status === 413
          ? 'body_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : 'bad_request';
      return reply.status(status).send(body(code, err.message));
    }
    log.error({ err, url: request.url }, 'request failed');
    return reply.status(500).send(body('internal', 'Something went wrong; see the server log.'));
  };
}

export const body = (code: string, message: string): ErrorBody => ({ error: { code, message } });
