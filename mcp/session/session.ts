import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { raceAbort } from '../util/abort.js';
import { openTransport } from './endpoint.js';
import type { HttpTransportKind, McpEndpoint, OpenedTransport } from './endpoint.js';
import { isSessionExpired, isUnauthorized, shouldFallBackToSse, toMcpError } from './map-error.js';

export interface SessionOptions {
  /** Close a session after this long without a request, in milliseconds. Default 5 minutes. */
  idleTimeoutMs?: number;
  /** How long starting and initializing a session may take, in milliseconds. Default 30 s. */
  connectTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface SessionHooks {
  /** Where to connect; `fresh` asks for new credentials after the server refused the last ones. */
  resolve(fresh: boolean): Promise<McpEndpoint>;
  onToolsChanged(): void;
  /** Called after the session closed itself for being idle. */
  onIdleClose(): void;
  /** Shared across sessions: which HTTP transport a URL answered with. */
  transportKinds: Map<string, HttpTransportKind>;
  app: string;
  provider: string;
}

export interface RunContext {
  signal?: AbortSignal;
  timeoutMs: number;
  tool?: string;
}

const CLIENT_INFO = { name: 'dynamiq', version: '0.1.0' };

/**
 * One MCP client connection for one (user, app), opened on first use and reused. A session the
 * server forgot (404 for our Mcp-Session-Id) or credentials it refused are re-established once,
 * transparently; a request already sent is never repeated for any other reason.
 */
export class McpSession {
  private client: Client | undefined;
  private opened: OpenedTransport | undefined;
  private connecting: Promise<Client> | undefined;
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly hooks: SessionHooks,
    private readonly options: Required<SessionOptions>,
  ) {}

  /** True while a live connection exists (for tests and metrics). */
  get connected(): boolean {
    return this.client !== undefined;
  }

  async run<T>(op: (client: Client) => Promise<T>, ctx: RunContext): Promise<T> {
    this.active++;
    clearTimeout(this.idleTimer);
    const errorContext = () => ({
      ...ctx,
      app: this.hooks.app,
      provider: this.hooks.provider,
      stderrTail: this.opened?.stderrTail(),
    });
    const connect = (fresh: boolean) =>
      raceAbort(this.ensure(fresh), ctx.signal).catch((err: unknown) => {
        throw toMcpError(err, { ...errorContext(), timeoutMs: this.options.connectTimeoutMs });
      });
    try {
      let client = await connect(false);
      try {
        return await op(client);
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        const unauthorized = isUnauthorized(err);
        if (!unauthorized && !isSessionExpired(err)) throw err;
        // The server refused the request before running it, so sending it again is safe.
        await this.drop(client);
        client = await connect(unauthorized);
        return await op(client);
      }
    } catch (err) {
      throw toMcpError(err, errorContext());
    } finally {
      this.active--;
      this.armIdleTimer();
    }
  }

  /** Ends the session; a later `run` opens a new one. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    if (client) await this.drop(client, true);
  }

  private ensure(fresh: boolean): Promise<Client> {
    this.closed = false;
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect(fresh).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(fresh: boolean): Promise<Client> {
    try {
      return await this.connectOnce(fresh);
    } catch (err) {
      if (!fresh && isUnauthorized(err)) return await this.connectOnce(true);
      throw err;
    }
  }

  private async connectOnce(fresh: boolean): Promise<Client> {
    const endpoint = await this.hooks.resolve(fresh);
    if (endpoint.transport === 'stdio') return this.attach(endpoint, 'streamable');
    const kinds = this.hooks.transportKinds;
    // Per server, not per user: per-user query strings (Composio's user_id) share one answer.
    const { origin, pathname } = new URL(endpoint.url);
    const key = origin + pathname;
    const known = kinds.get(key);
    try {
      const client = await this.attach(endpoint, known ?? 'streamable');
      kinds.set(key, known ?? 'streamable');
      return client;
    } catch (err) {
      if (known === 'sse') kinds.delete(key);
      if (known || endpoint.sseFallback === false || !shouldFallBackToSse(err)) throw err;
      const client = await this.attach(endpoint, 'sse').catch(() => {
        throw err;
      });
      kinds.set(key, 'sse');
      return client;
    }
  }

  private async attach(endpoint: McpEndpoint, kind: HttpTransportKind): Promise<Client> {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () =>
      this.hooks.onToolsChanged(),
    );
    const opened = openTransport(endpoint, kind);
    this.opened = opened;
    client.onclose = () => {
      // A stdio server that exited, or a transport closed under us: the next run reconnects.
      if (this.client === client) this.client = undefined;
    };
    await client.connect(opened.transport, { timeout: this.options.connectTimeoutMs });
    this.client = client;
    return client;
  }

  private async drop(client: Client, polite = false): Promise<void> {
    if (this.client === client) this.client = undefined;
    const opened = this.opened;
    if (polite && opened) await opened.terminate();
    await client.close().catch(() => {});
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.active > 0 || this.closed || !this.client) return;
    this.idleTimer = setTimeout(() => {
      if (this.active > 0) return;
      void this.close().then(() => this.hooks.onIdleClose());
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }
}
