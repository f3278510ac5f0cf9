import { z } from 'zod';
import { MCP_OPERATIONS } from '../lib/sandbox-access/index.js';
import { DynamiqError } from '../lib/errors/index.js';
import { McpError } from './errors.js';
import type { McpRegistry } from './registry.js';

/** JSON-RPC error codes of the sandbox proxy; `error.data.code` carries a stable string code. */
export const PROXY_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  upstream: -32000,
  timeout: -32001,
  notConnected: -32002,
  forbidden: -32003,
  unauthorized: -32004,
  cancelled: -32005,
} as const;

/**
 * A JSON-RPC error answer of the proxy: a protocol value sent with HTTP 200 (or the transport
 * status the route picks), so it is not a DynamiqError; `toProxyError` makes one from those.
 */
export class ProxyError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data: { code: string } & Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

/** Who calls through the proxy and what their sandbox token allows. */
export interface ProxyScope {
  userId: string;
  apps: readonly string[];
  operations: readonly string[];
}

const app = z.string().min(1).max(64);
const METHODS = {
  'apps/list': { operation: MCP_OPERATIONS.list, params: z.strictObject({}).optional() },
  'tools/list': { operation: MCP_OPERATIONS.list, params: z.strictObject({ app }) },
  'tools/call': {
    operation: MCP_OPERATIONS.call,
    params: z.strictObject({
      app,
      name: z.string().min(1).max(128),
      arguments: z.record(z.string(), z.unknown()).optional(),
    }),
  },
} as const;

export const PROXY_METHODS = Object.keys(METHODS);

/**
 * Runs one proxy method for a sandbox: `apps/list`, `tools/list {app}`, `tools/call {app, name,
 * arguments}`, each limited to the apps and operations of the caller's scope.
 */
export async function handleProxyRequest(
  mcp: McpRegistry,
  scope: ProxyScope,
  method: string,
  rawParams: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  if (!Object.hasOwn(METHODS, method)) {
    throw new ProxyError(
      PROXY_ERRORS.methodNotFound,
      `Unknown method ${method}; use ${PROXY_METHODS.join(', ')}.`,
      {
        code: 'method_not_found',
      },
    );
  }
  const spec = METHODS[method as keyof typeof METHODS];
  if (!scope.operations.includes(spec.operation)) {
    throw new ProxyError(
      PROXY_ERRORS.forbidden,
      `This sandbox token does not allow ${spec.operation}.`,
      {
        code: 'forbidden_operation',
      },
    );
  }
  const parsed = spec.params.safeParse(rawParams);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProxyError(
      PROXY_ERRORS.invalidParams,
      `Invalid params for ${method}: ${issue?.path.join('.') || 'params'} ${issue?.message ?? ''}`.trim(),
      { code: 'invalid_params' },
    );
  }
  if (method === 'apps/list') return { apps: appsInScope(mcp, scope) };
  const params = parsed.data as { app: string; name?: string; arguments?: Record<string, unknown> };
  if (!scope.apps.includes(params.app)) {
    throw new ProxyError(
      PROXY_ERRORS.forbidden,
      `This sandbox may not use ${params.app}; its token allows: ${scope.apps.join(', ') || 'no apps'}.`,
      { code: 'forbidden_app', app: params.app },
    );
  }
  if (method === 'tools/list') {
    const tools = await mcp.listTools(scope.userId, params.app, { signal });
    return {
      tools: tools.map(({ name, title, description, inputSchema, annotations }) => ({
        name,
        title,
        description,
        inputSchema,
        annotations,
      })),
    };
  }
  const r = await mcp.callTool(scope.userId, params.app, params.name!, params.arguments, {
    signal,
  });
  return {
    content: r.content,
    structuredContent: r.structuredContent,
    isError: r.isError,
    truncated: r.truncated,
    text: r.text,
  };
}

/** The scope's apps that some provider serves, with that provider. */
function appsInScope(mcp: McpRegistry, scope: ProxyScope) {
  return scope.apps.flatMap((id) => {
    try {
      const { provider } = mcp.resolve(scope.userId, id);
      return [{ app: id, provider: provider.name, configured: provider.configured }];
    } catch {
      return [];
    }
  });
}

/**
 * The JSON-RPC code for a DynamiqError, derived from its HTTP status: a refused argument is
 * invalidParams, 401/403 are unauthorized/forbidden, 409 is an app the user must connect first,
 * 499/504 are cancelled/timeout, and anything else is the upstream's failure.
 */
function rpcCodeOf(err: DynamiqError): number {
  switch (err.status) {
    case 400:
    case 404:
      return PROXY_ERRORS.invalidParams;
    case 401:
      return PROXY_ERRORS.unauthorized;
    case 403:
      return PROXY_ERRORS.forbidden;
    case 409:
      return PROXY_ERRORS.notConnected;
    case 499:
      return PROXY_ERRORS.cancelled;
    case 504:
      return PROXY_ERRORS.timeout;
    default:
      return PROXY_ERRORS.upstream;
  }
}

/**
 * The JSON-RPC error for anything the proxy threw (a sandbox token refusal, an MCP error, a
 * proxy refusal); undefined for a bug (log it). `error.data.code` is the error's `reason`,
 * the short code mcp-cli shows (`expired`, `unknown_tool`).
 */
export function toProxyError(err: unknown): ProxyError | undefined {
  if (err instanceof ProxyError) return err;
  if (err instanceof DynamiqError) {
    const where = err instanceof McpError ? err : undefined;
    return new ProxyError(rpcCodeOf(err), err.message, {
      code: err.reason,
      ...(where?.app ? { app: where.app } : {}),
      ...(where?.tool ? { tool: where.tool } : {}),
    });
  }
  return undefined;
}
