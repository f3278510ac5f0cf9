import type { z } from 'zod';
import { McpAuthError, McpServerError, McpUnavailableError } from '../errors.js';

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
  /** Said in the error when the service refuses the credentials. */
  authHint: string;
  /** Names the service in errors, e.g. `Pipedream`. */
  service: string;
  provider: string;
  timeoutMs?: number;
}

/**
 * One JSON request to a provider's REST API, with the answer checked against `schema`. Failures
 * become typed MCP errors: refused credentials are `auth_failed`, no answer is `unavailable`.
 */
export async function requestJson<T>(
  url: string,
  schema: z.ZodType<T>,
  req: JsonRequest,
): Promise<T> {
  const method = req.method ?? (req.body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(req.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    throw new McpUnavailableError(`Could not reach ${req.service} at ${origin(url)}: ${reason}.`, {
      provider: req.provider,
      cause: err,
    });
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new McpAuthError(
      `${req.service} refused Dynamiq's credentials (HTTP ${response.status}). ${req.authHint}`,
      { provider: req.provider },
    );
  }
  if (!response.ok) {
    throw new McpServerError(
      `${req.service} answered HTTP ${response.status} to ${method} ${new URL(url).pathname}: ${errorText(text)}`,
      { provider: req.provider, serverCode: response.status },
    );
  }
  let json: unknown = null;
  try {
    // 204 No Content (a DELETE) has no body: it parses as null.
    if (text !== '') json = JSON.parse(text);
  } catch {
    throw new McpServerError(`${req.service} answered with something other than JSON.`, {
      provider: req.provider,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new McpServerError(
      `${req.service} answered in an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? '?'}.`,
      { provider: req.provider },
    );
  }
  return parsed.data;
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** The service's own message when its error body has one, so the operator sees the cause. */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error as Record<string, unknown> | string | undefined;
    const message =
      (typeof error === 'object' ? error?.message : error) ??
      body.message ??
      body.error_description;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || '(empty body)';
}
