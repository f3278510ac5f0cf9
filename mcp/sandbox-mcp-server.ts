import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpRegistry } from './registry.js';
import { PROXY_ERRORS, handleProxyRequest, toProxyError } from './sandbox-proxy.js';
import type { ProxyScope } from './sandbox-proxy.js';

const SERVER_VERSION = '0.1.0';

/** One forwarded request, for the caller's audit log: `outcome` is `ok` or the refusal's code. */
export interface SandboxMcpAuditEntry {
  method: 'tools/list' | 'tools/call';
  app: string;
  tool?: string;
  outcome: string;
  /** `performance.now()` when the request arrived. */
  started: number;
}

export interface SandboxMcpServerOptions {
  /** Called once per tools/list and tools/call, whatever the outcome. */
  audit?: (entry: SandboxMcpAuditEntry) => void;
  /** Called with anything that is not an MCP or proxy error (a bug), before answering -32603. */
  onUnexpected?: (err: unknown) => void;
}

/**
 * One app of a sandbox's scope as a standard MCP server (the SDK's low-level `Server`: its tools
 * are forwarded, not declared). `tools/list` and `tools/call` go through `handleProxyRequest`,
 * so the token's apps and operations are checked exactly as for the private dialect of
 * `/api/mcp/proxy`; its refusals are JSON-RPC errors with the same codes and `data.code`.
 * Connect it to one transport; closing it aborts the calls in flight.
 */
export function sandboxMcpServer(
  mcp: McpRegistry,
  scope: ProxyScope,
  app: string,
  options: SandboxMcpServerOptions = {},
): Server {
  const server = new Server(
    { name: `dynamiq-${app}`, version: SERVER_VERSION },
    { capabilities: { tools: {} } },
  );

  const forward = async (
    method: SandboxMcpAuditEntry['method'],
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<unknown> => {
    const started = performance.now();
    const tool = typeof params.name === 'string' ? params.name : undefined;
    try {
      const result = await handleProxyRequest(mcp, scope, method, { app, ...params }, signal);
      options.audit?.({ method, app, tool, outcome: 'ok', started });
      return result;
    } catch (err) {
      const rpc = toProxyError(err);
      options.audit?.({ method, app, tool, outcome: rpc?.data.code ?? 'internal', started });
      if (!rpc) {
        options.onUnexpected?.(err);
        throw rpcError(PROXY_ERRORS.internal, 'The proxy failed; see the server log.', {
          code: 'internal',
        });
      }
      throw rpcError(rpc.rpcCode, rpc.message, rpc.data);
    }
  };

  // Every tool fits in one page: a cursor, if a client sends one, is ignored.
  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    return (await forward('tools/list', {}, extra.signal)) as ListToolsResult;
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    const r = (await forward(
      'tools/call',
      { name, ...(args === undefined ? {} : { arguments: args }) },
      extra.signal,
    )) as Pick<CallToolResult, 'content' | 'structuredContent' | 'isError'> & {
      truncated: boolean;
    };
    // The standard result, bounded like the private dialect's; a cut is said in `_meta`.
    return {
      content: r.content,
      ...(r.structuredContent === undefined ? {} : { structuredContent: r.structuredContent }),
      isError: r.isError,
      ...(r.truncated ? { _meta: { 'dynamiq/truncated': true } } : {}),
    };
  });

  return server;
}

/**
 * An error the SDK answers as `{code, message, data}` as given (the SDK's McpError would put
 * "MCP error <code>:" in front of the message, and the client adds it once more).
 */
function rpcError(code: number, message: string, data: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { code, data });
}
