import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StdioClientTransport,
  getDefaultEnvironment,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** A remote server reached over HTTP (Streamable HTTP, with the older HTTP+SSE as fallback). */
export interface HttpEndpoint {
  transport: 'http';
  url: string;
  /**
   * Headers sent with every request. Called per request, so a rotating access token is picked up
   * without reconnecting; keep it cheap (cache the token).
   */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Try the 2024-11-05 HTTP+SSE transport when the first POST is refused with a 4xx. Default true. */
  sseFallback?: boolean;
  /** Said in the error when the server refuses the credentials, e.g. which variable to fix. */
  authHint?: string;
}

/** A server started as a child process speaking MCP on its stdin and stdout. */
export interface StdioEndpoint {
  transport: 'stdio';
  command: string;
  args?: string[];
  /**
   * Extra environment variables. The process otherwise gets only the SDK's safe defaults
   * (HOME, PATH, USER, ...), never the worker's secrets.
   */
  env?: Record<string, string>;
  cwd?: string;
}

export type McpEndpoint = HttpEndpoint | StdioEndpoint;

/** Which HTTP transport answered last time for a URL, so reconnects skip the failed probe. */
export type HttpTransportKind = 'streamable' | 'sse';

const STDERR_TAIL_CHARS = 2000;

export interface OpenedTransport {
  transport: Transport;
  /** The last lines the process wrote to stderr, for error messages (stdio only). */
  stderrTail(): string;
  /** Ends the server side of the session politely (HTTP DELETE) before closing. */
  terminate(): Promise<void>;
}

export function openTransport(endpoint: McpEndpoint, kind: HttpTransportKind): OpenedTransport {
  if (endpoint.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: endpoint.command,
      args: endpoint.args ?? [],
      env: { ...getDefaultEnvironment(), ...endpoint.env },
      cwd: endpoint.cwd,
      stderr: 'pipe',
    });
    let tail = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    return { transport, stderrTail: () => tail.trim(), terminate: async () => {} };
  }
  const fetchWithHeaders = withHeaders(endpoint.headers);
  const url = new URL(endpoint.url);
  if (kind === 'sse') {
    const transport = new SSEClientTransport(url, { fetch: fetchWithHeaders });
    return { transport, stderrTail: () => '', terminate: async () => {} };
  }
  const transport = new StreamableHTTPClientTransport(url, { fetch: fetchWithHeaders });
  return {
    transport,
    stderrTail: () => '',
    // Servers may answer 405 (no termination) or be gone already; neither matters here.
    terminate: () => transport.terminateSession().catch(() => {}),
  };
}

function withHeaders(headers: HttpEndpoint['headers']): typeof fetch {
  if (!headers) return (input, init) => fetch(input, init);
  return async (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(await headers())) merged.set(name, value);
    return fetch(input, { ...init, headers: merged });
  };
}
