import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
// The low-level Server, not McpServer: only it lets a test page the tool list and fake failures.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, ServerNotification, Tool } from '@modelcontextprotocol/sdk/types.js';

export interface ToolContext {
  /** Headers of the request that opened the session (who is calling, for which app). */
  headers: http.IncomingHttpHeaders;
  url: URL;
  signal: AbortSignal;
  progress(progress: number, total?: number): Promise<void>;
}

export interface FakeTool extends Tool {
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult> | CallToolResult;
}

export interface FakeMcpOptions {
  /** Refuses a request before MCP sees it, as an auth layer would: return a status and body. */
  authorize?: (
    req: http.IncomingMessage,
    url: URL,
  ) => { status: number; body: unknown } | undefined;
  /** The tools a new session gets, from the headers and URL that opened it. */
  tools: (session: { headers: http.IncomingHttpHeaders; url: URL }) => FakeTool[];
  /** Tools per tools/list page; the rest follow behind `nextCursor`. Default: all at once. */
  pageSize?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** JSON-RPC method(s) in a POST body. */
  rpc: string[];
}

interface Session {
  server: Server;
  transport: StreamableHTTPServerTransport;
  tools: FakeTool[];
}

/**
 * A real MCP server (the SDK's Server over Streamable HTTP) whose tools, paging, auth and
 * session lifetime a test controls. `handle` can be mounted inside another fake's HTTP server.
 */
export function createFakeMcpHandler(opts: FakeMcpOptions) {
  const sessions = new Map<string, Session>();
  const requests: RecordedRequest[] = [];
  const cancelled: string[] = [];
  const extraTools: FakeTool[] = [];
  let sessionsOpened = 0;

  function newSession(req: http.IncomingMessage, url: URL): Session {
    const server = new Server(
      { name: 'fake-mcp', version: '1.0.0' },
      { capabilities: { tools: { listChanged: true } } },
    );
    const session: Session = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => void sessions.set(id, session),
      }),
      tools: opts.tools({ headers: req.headers, url }),
    };
    const all = () => [...session.tools, ...extraTools];
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      const size = opts.pageSize ?? Number.MAX_SAFE_INTEGER;
      const start = Number(request.params?.cursor ?? 0);
      const page = all().slice(start, start + size);
      const next = start + size < all().length ? String(start + size) : undefined;
      return {
        tools: page.map(({ run: _run, ...tool }) => tool),
        ...(next ? { nextCursor: next } : {}),
      };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = all().find((t) => t.name === request.params.name);
      if (!tool)
        throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
      extra.signal.addEventListener('abort', () => cancelled.push(String(extra.requestId)));
      const token = request.params._meta?.progressToken;
      return tool.run(request.params.arguments ?? {}, {
        headers: req.headers,
        url,
        signal: extra.signal,
        progress: async (progress, total) => {
          if (token === undefined) return;
          const note: ServerNotification = {
            method: 'notifications/progress',
            params: { progressToken: token, progress, ...(total === undefined ? {} : { total }) },
          };
          await extra.sendNotification(note);
        },
      });
    });
    sessionsOpened++;
    return session;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    const rpc = (Array.isArray(body) ? body : body ? [body] : []).map((m) =>
      String((m as { method?: string }).method),
    );
    requests.push({
      method: req.method ?? '',
      url: url.pathname + url.search,
      headers: req.headers,
      rpc,
    });
    const refused = opts.authorize?.(req, url);
    if (refused) return json(res, refused.status, refused.body);
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      // The spec's answer for a session the server no longer has; clients must start over.
      if (!session) return json(res, 404, rpcError(-32001, 'Session not found'));
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !rpc.includes('initialize')) {
      return json(res, 400, rpcError(-32000, 'Bad Request: No valid session ID provided'));
    }
    const session = newSession(req, url);
    await session.server.connect(session.transport);
    return session.transport.handleRequest(req, res, body);
  }

  return {
    handle,
    requests,
    /** Request ids the client cancelled (notifications/cancelled received). */
    cancelled,
    get sessionsOpened() {
      return sessionsOpened;
    },
    get liveSessions() {
      return sessions.size;
    },
    /** Forgets every session, as a restarted or expiring server would. */
    async expireSessions() {
      const live = [...sessions.values()];
      sessions.clear();
      await Promise.all(live.map((s) => s.transport.close()));
    },
    /** Adds a tool to every session and announces it with notifications/tools/list_changed. */
    async addTool(tool: FakeTool) {
      extraTools.push(tool);
      await Promise.all([...sessions.values()].map((s) => s.server.sendToolListChanged()));
    },
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
      sessions.clear();
    },
  };
}

export type FakeMcpHandler = ReturnType<typeof createFakeMcpHandler>;

/** The handler on its own loopback HTTP server, answering at `/mcp`. */
export async function startFakeMcpServer(opts: FakeMcpOptions) {
  const mcp = createFakeMcpHandler(opts);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/mcp') return json(res, 404, { error: 'not found' });
    mcp.handle(req, res, url).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, rpcError(-32603, String(err)));
    });
  });
  const address = await listen(server);
  const closeSessions = mcp.close;
  // Assigned onto the handler, not spread, so its live getters keep working.
  return Object.assign(mcp, {
    url: `http://127.0.0.1:${address.port}/mcp`,
    close: async () => {
      await closeSessions();
      await closeServer(server);
    },
  });
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const rpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  id: null,
  error: { code, message },
});

export async function listen(server: http.Server): Promise<AddressInfo> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address() as AddressInfo;
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
