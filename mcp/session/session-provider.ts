import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpConfigError, McpServerError } from '../errors.js';
import type { McpCallOptions, McpProvider, McpRequestOptions, McpTarget } from '../types.js';
import { linkedSignal } from '../util/abort.js';
import type { HttpTransportKind, McpEndpoint } from './endpoint.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, McpSession } from './session.js';
import type { SessionOptions } from './session.js';

/** Default wait for one request, in milliseconds; progress notifications restart it. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
// A server that keeps handing out cursors would otherwise keep us listing forever.
const MAX_TOOL_PAGES = 50;

/**
 * Shared machinery of every provider: sessions per (user, app) with idle close, pagination,
 * progress, cancellation and error mapping. A provider only says where and how to connect.
 */
export abstract class SessionProvider implements McpProvider {
  abstract readonly name: string;
  abstract readonly configured: boolean;

  private readonly sessions = new Map<string, McpSession>();
  private readonly listeners = new Set<(target: McpTarget) => void>();
  private readonly transportKinds = new Map<string, HttpTransportKind>();
  private readonly sessionOptions: Required<SessionOptions>;

  constructor(options: SessionOptions = {}) {
    this.sessionOptions = {
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    };
  }

  /**
   * How to reach the app's server for this user. `fresh` is true after the server refused the
   * credentials: drop cached tokens and fetch new ones.
   */
  protected abstract endpoint(target: McpTarget, fresh: boolean): Promise<McpEndpoint>;

  /** Which targets share one session. Default: one per user and app. */
  protected sessionKey(target: McpTarget): string {
    return `${target.userId}\u0000${target.app}`;
  }

  /** Explains in an error what to set when the provider lacks credentials. */
  protected abstract missingConfiguration(): string;

  knownApps(): readonly string[] | undefined {
    return undefined;
  }

  async listTools(target: McpTarget, options: McpRequestOptions = {}): Promise<Tool[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const link = linkedSignal(options.signal);
    return this.session(target)
      .run(
        async (client) => {
          const tools: Tool[] = [];
          const seen = new Set<string>();
          let cursor: string | undefined;
          for (let page = 0; page < MAX_TOOL_PAGES; page++) {
            const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
              signal: link.signal,
              timeout: timeoutMs,
            });
            tools.push(...result.tools);
            cursor = result.nextCursor;
            if (cursor === undefined) return tools;
            if (seen.has(cursor)) break;
            seen.add(cursor);
          }
          throw new McpServerError(
            `The ${target.app} server kept paginating its tool list (over ${MAX_TOOL_PAGES} pages or a repeated cursor).`,
            { app: target.app, provider: this.name },
          );
        },
        { signal: options.signal, timeoutMs },
      )
      .finally(link.dispose);
  }

  async callTool(
    target: McpTarget,
    name: string,
    args: Record<string, unknown>,
    options: McpCallOptions = {},
  ): Promise<CallToolResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const link = linkedSignal(options.signal);
    return this.session(target)
      .run(
        async (client) =>
          (await client.callTool({ name, arguments: args }, undefined, {
            signal: link.signal,
            timeout: timeoutMs,
            resetTimeoutOnProgress: true,
            maxTotalTimeout: options.maxTotalTimeoutMs,
            onprogress: options.onProgress
              ? ({ progress, total, message }) =>
                  options.onProgress!({
                    progress,
                    ...(total === undefined ? {} : { total }),
                    ...(message === undefined ? {} : { message }),
                  })
              : undefined,
          })) as CallToolResult,
        { signal: options.signal, timeoutMs, tool: name },
      )
      .finally(link.dispose);
  }

  onToolsChanged(listener: (target: McpTarget) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.close()));
  }

  /** Open sessions right now (for tests and metrics). */
  get openSessions(): number {
    return [...this.sessions.values()].filter((s) => s.connected).length;
  }

  private session(target: McpTarget): McpSession {
    if (!this.configured) throw new McpConfigError(this.missingConfiguration());
    const key = this.sessionKey(target);
    let session = this.sessions.get(key);
    if (!session) {
      const created: McpSession = new McpSession(
        {
          resolve: (fresh) => this.endpoint(target, fresh),
          onToolsChanged: () => this.listeners.forEach((listener) => listener(target)),
          onIdleClose: () => {
            if (this.sessions.get(key) === created) this.sessions.delete(key);
          },
          transportKinds: this.transportKinds,
          app: target.app,
          provider: this.name,
        },
        this.sessionOptions,
      );
      session = created;
      this.sessions.set(key, session);
    }
    return session;
  }
}
