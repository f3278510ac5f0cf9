import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpAuthError, McpConfigError, McpNotConnectedError } from '../errors.js';
import { SessionProvider } from '../session/session-provider.js';
import type { McpEndpoint } from '../session/endpoint.js';
import type { SessionOptions } from '../session/session.js';
import type { McpCallOptions, McpRequestOptions, McpTarget } from '../types.js';

/** A vendor's own remote MCP server, e.g. Sentry's https://mcp.sentry.dev/mcp. */
export interface DirectServer {
  url: string;
  /** Extra fixed headers some servers want (never the user's token: that comes per user). */
  headers?: Record<string, string>;
}

/**
 * The user's OAuth access token for an app, or undefined when they have not connected it.
 * `forceRefresh` is set after the server refused the last token: refresh it before answering.
 */
export type GetAccessToken = (
  userId: string,
  appId: string,
  options?: { forceRefresh: boolean },
) => Promise<string | undefined>;

export interface DirectProviderOptions extends SessionOptions {
  /** Servers by Dynamiq app id. */
  servers: Record<string, DirectServer>;
  /** Without it the provider is listed as unconfigured and refuses calls. */
  getAccessToken: GetAccessToken | undefined;
}

/**
 * Official remote MCP servers reached with the user's own OAuth token as a bearer. The token is
 * read when a session opens and again (refreshed) when the server refuses it.
 */
export class DirectProvider extends SessionProvider {
  readonly name = 'direct';
  readonly configured: boolean;

  constructor(private readonly options: DirectProviderOptions) {
    super(options);
    this.configured = options.getAccessToken !== undefined;
  }

  override knownApps(): readonly string[] {
    return Object.keys(this.options.servers);
  }

  override listTools(target: McpTarget, options?: McpRequestOptions): Promise<Tool[]> {
    return super.listTools(target, options).catch((err: unknown) => reconnect(err, target));
  }

  override callTool(
    target: McpTarget,
    name: string,
    args: Record<string, unknown>,
    options?: McpCallOptions,
  ): Promise<CallToolResult> {
    return super
      .callTool(target, name, args, options)
      .catch((err: unknown) => reconnect(err, target));
  }

  protected missingConfiguration(): string {
    return "Direct MCP servers need the users' OAuth tokens, and no token source (getAccessToken) was given.";
  }

  protected async endpoint(target: McpTarget, fresh: boolean): Promise<McpEndpoint> {
    const server = this.options.servers[target.app];
    if (!server)
      throw new McpConfigError(`No direct MCP server URL is configured for ${target.app}.`);
    const token = await this.options.getAccessToken!(target.userId, target.app, {
      forceRefresh: fresh,
    });
    if (!token) throw new McpNotConnectedError(target.app, this.name);
    const headers = { ...server.headers, authorization: `Bearer ${token}` };
    return {
      transport: 'http',
      url: server.url,
      headers: () => headers,
    };
  }
}

/** A token refused even after a refresh means the grant is gone: the user must connect again. */
function reconnect(err: unknown, target: McpTarget): never {
  if (err instanceof McpAuthError) {
    throw new McpNotConnectedError(
      target.app,
      'direct',
      `${target.app} refused the user's authorization even after a refresh`,
    );
  }
  throw err;
}
