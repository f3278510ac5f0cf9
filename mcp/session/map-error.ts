import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError as SdkMcpError } from '@modelcontextprotocol/sdk/types.js';
import {
  McpAuthError,
  McpCancelledError,
  McpError,
  McpServerError,
  McpTimeoutError,
  McpUnavailableError,
} from '../errors.js';

export interface ErrorContext {
  app?: string;
  tool?: string;
  provider?: string;
  timeoutMs: number;
  /** The caller's signal: an abort it caused is `cancelled`, not `timeout`. */
  signal?: AbortSignal;
  /** What a stdio server last wrote to stderr; usually says why it died. */
  stderrTail?: string;
  /** Said when the server refuses the credentials. */
  authHint?: string;
}

/** HTTP status of a transport failure, if the server answered at all. */
export function httpStatus(err: unknown): number | undefined {
  if (err instanceof StreamableHTTPError || err instanceof SseError) {
    return typeof err.code === 'number' && err.code >= 100 ? err.code : undefined;
  }
  return undefined;
}

/**
 * The server no longer knows our Mcp-Session-Id. The spec says 404; servers built on the SDK's
 * own examples (server-everything among them) answer 400 "No valid session ID provided".
 */
export function isSessionExpired(err: unknown): boolean {
  const status = httpStatus(err);
  return status === 404 || (status === 400 && /session/i.test((err as Error).message));
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof UnauthorizedError || httpStatus(err) === 401;
}

/** Per the SDK's compatibility advice: a 4xx to the first POST means "try HTTP+SSE". */
export function shouldFallBackToSse(err: unknown): boolean {
  const status = httpStatus(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403;
}

/** Turns anything the SDK or the network throws into one of our typed errors. */
export function toMcpError(err: unknown, ctx: ErrorContext): McpError {
  if (err instanceof McpError) return err;
  const fields = { app: ctx.app, tool: ctx.tool, provider: ctx.provider, cause: err };
  if (ctx.signal?.aborted) return new McpCancelledError(fields);
  const what = ctx.tool ? `${ctx.app}/${ctx.tool}` : `the ${ctx.app ?? 'MCP'} server`;
  if (err instanceof SdkMcpError) {
    if (err.code === ErrorCode.RequestTimeout) return new McpTimeoutError(ctx.timeoutMs, fields);
    if (err.code === ErrorCode.ConnectionClosed) return closed(what, ctx, fields);
    const message = err.message.replace(/^MCP error -?\d+: /, '');
    return new McpServerError(`${what} answered with an error: ${message}`, {
      ...fields,
      serverCode: err.code,
    });
  }
  if (isUnauthorized(err) || httpStatus(err) === 403) {
    const hint = ctx.authHint ? ` ${ctx.authHint}` : '';
    return new McpAuthError(
      `${what} refused the credentials (HTTP ${httpStatus(err) ?? 401}).${hint}`,
      fields,
    );
  }
  const status = httpStatus(err);
  if (status !== undefined) {
    return new McpServerError(
      `${what} failed with HTTP ${status}: ${short((err as Error).message)}`,
      {
        ...fields,
        serverCode: status,
      },
    );
  }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new McpTimeoutError(ctx.timeoutMs, fields);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return new McpUnavailableError(
      `Could not start the ${ctx.app ?? 'MCP'} server: ${(err as Error).message}. Check its command.`,
      fields,
    );
  }
  if (err instanceof Error && err.message === 'Not connected') return closed(what, ctx, fields);
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    const reason = (err.cause as Error | undefined)?.message ?? err.message;
    return new McpUnavailableError(`Could not reach ${what}: ${reason}.`, fields);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new McpServerError(`${what} failed: ${short(message)}`, fields);
}

function closed(
  what: string,
  ctx: ErrorContext,
  fields: ConstructorParameters<typeof McpUnavailableError>[1],
) {
  const stderr = ctx.stderrTail ? ` Its last output: ${short(ctx.stderrTail)}` : '';
  return new McpUnavailableError(`${what} closed the connection.${stderr}`, fields);
}

function short(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
