import { DynamiqError } from '../lib/errors/index.js';

/**
 * Stable error codes of the MCP layer. Callers (the agent loop, the sandbox proxy, mcp-cli)
 * branch on `code` (or its last part, `reason`), never on the message.
 */
export type McpErrorCode =
  | 'dynamiq.mcp.unknown_app'
  | 'dynamiq.mcp.unknown_tool'
  | 'dynamiq.mcp.invalid_arguments'
  | 'dynamiq.mcp.server_error'
  | 'dynamiq.mcp.timeout'
  | 'dynamiq.mcp.cancelled'
  | 'dynamiq.mcp.not_connected'
  | 'dynamiq.mcp.auth_failed'
  | 'dynamiq.mcp.unavailable'
  | 'dynamiq.mcp.invalid_config';

/**
 * HTTP status and retryability per code. The sandbox proxy derives its JSON-RPC error code
 * from the status (mcp/sandbox-proxy.ts), so a status here is also a protocol decision.
 */
const MCP_ERRORS: Record<McpErrorCode, { status: number; retryable: boolean }> = {
  'dynamiq.mcp.unknown_app': { status: 404, retryable: false },
  'dynamiq.mcp.unknown_tool': { status: 404, retryable: false },
  'dynamiq.mcp.invalid_arguments': { status: 400, retryable: false },
  'dynamiq.mcp.server_error': { status: 502, retryable: false },
  'dynamiq.mcp.timeout': { status: 504, retryable: true },
  // 499: the caller went away (nginx's "client closed request").
  'dynamiq.mcp.cancelled': { status: 499, retryable: false },
  'dynamiq.mcp.not_connected': { status: 409, retryable: false },
  'dynamiq.mcp.auth_failed': { status: 502, retryable: false },
  'dynamiq.mcp.unavailable': { status: 503, retryable: true },
  'dynamiq.mcp.invalid_config': { status: 500, retryable: false },
};

interface McpErrorFields {
  app?: string;
  tool?: string;
  provider?: string;
  cause?: unknown;
}

/** Thrown by the MCP layer on purpose; the base of every MCP error below. */
export class McpError extends DynamiqError {
  declare readonly code: McpErrorCode;
  readonly app: string | undefined;
  readonly tool: string | undefined;
  readonly provider: string | undefined;

  constructor(code: McpErrorCode, message: string, fields: McpErrorFields = {}) {
    super(code, message, { ...MCP_ERRORS[code], cause: fields.cause });
    this.name = 'McpError';
    this.app = fields.app;
    this.tool = fields.tool;
    this.provider = fields.provider;
  }
}

/** Thrown when no registered provider serves the app asked for. */
export class McpUnknownAppError extends McpError {
  constructor(app: string, known: string[]) {
    const hint = known.length
      ? `Known apps: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}.`
      : 'No MCP provider is configured; set PIPEDREAM_*, COMPOSIO_API_KEY or MCP_LOCAL_SERVERS.';
    super('dynamiq.mcp.unknown_app', `No MCP provider serves the app "${app}". ${hint}`, { app });
    this.name = 'McpUnknownAppError';
  }
}

/** Thrown when the app's server does not list a tool of that name. */
export class McpUnknownToolError extends McpError {
  constructor(app: string, tool: string, known: string[]) {
    const sample = known.slice(0, 15).join(', ');
    super(
      'dynamiq.mcp.unknown_tool',
      `The "${app}" app has no tool "${tool}". List its tools first${sample ? `; some are: ${sample}` : ''}.`,
      { app, tool },
    );
    this.name = 'McpUnknownToolError';
  }
}

/** Thrown before anything is sent when arguments do not match the tool's input schema. */
export class McpInvalidArgumentsError extends McpError {
  /** What the JSON Schema validator reported, e.g. `data/a must be number`. */
  readonly details: string;

  constructor(app: string, tool: string, details: string) {
    super(
      'dynamiq.mcp.invalid_arguments',
      `Arguments for ${app}/${tool} do not match its input schema: ${details}. Fix them and call again.`,
      { app, tool },
    );
    this.name = 'McpInvalidArgumentsError';
    this.details = details;
  }
}

/** Thrown when the MCP server answers a request with a JSON-RPC error or an HTTP failure. */
export class McpServerError extends McpError {
  /** JSON-RPC error code from the server, or the HTTP status when it refused the request. */
  readonly serverCode: number | undefined;

  constructor(message: string, fields: McpErrorFields & { serverCode?: number } = {}) {
    super('dynamiq.mcp.server_error', message, fields);
    this.name = 'McpServerError';
    this.serverCode = fields.serverCode;
  }
}

/** Thrown when a request got no answer in time; the server was told to cancel it. */
export class McpTimeoutError extends McpError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, fields: McpErrorFields = {}) {
    const what = fields.tool ? `${fields.app}/${fields.tool}` : `the ${fields.app ?? 'MCP'} server`;
    super(
      'dynamiq.mcp.timeout',
      `No answer from ${what} within ${timeoutMs} ms; it was cancelled.`,
      fields,
    );
    this.name = 'McpTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown when the caller's AbortSignal fired; the server was sent notifications/cancelled. */
export class McpCancelledError extends McpError {
  constructor(fields: McpErrorFields = {}) {
    super('dynamiq.mcp.cancelled', 'The MCP request was cancelled by the caller.', fields);
    this.name = 'McpCancelledError';
  }
}

/** Thrown when the user has not connected the app's account, or the grant was revoked. */
export class McpNotConnectedError extends McpError {
  constructor(app: string, provider: string, reason = `The user has not connected ${app} yet`) {
    super('dynamiq.mcp.not_connected', `${reason}; connect it in the portal and try again.`, {
      app,
      provider,
    });
    this.name = 'McpNotConnectedError';
  }
}

/** Thrown when the provider rejects Dynamiq's own credentials (client id/secret, API key). */
export class McpAuthError extends McpError {
  constructor(message: string, fields: McpErrorFields = {}) {
    super('dynamiq.mcp.auth_failed', message, fields);
    this.name = 'McpAuthError';
  }
}

/** Thrown when a server cannot be reached or started: network down, command missing, crash. */
export class McpUnavailableError extends McpError {
  constructor(message: string, fields: McpErrorFields = {}) {
    super('dynamiq.mcp.unavailable', message, fields);
    this.name = 'McpUnavailableError';
  }
}

/** Thrown at start-up when provider options are missing or malformed; names the field. */
export class McpConfigError extends McpError {
  constructor(message: string) {
    super('dynamiq.mcp.invalid_config', message);
    this.name = 'McpConfigError';
  }
}
