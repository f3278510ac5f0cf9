import { McpConfigError } from '../errors.js';
import { localServerSchema } from '../local-servers.js';
import type { LocalServerConfig } from '../local-servers.js';
import { SessionProvider } from '../session/session-provider.js';
import type { McpEndpoint } from '../session/endpoint.js';
import type { SessionOptions } from '../session/session.js';
import type { McpTarget } from '../types.js';

/** Server names become app ids, so they follow the same rule as catalog ids. */
const APP_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface LocalProviderOptions extends SessionOptions {
  /** Servers by app id, in the `mcpServers` shape MCP clients use: `{ command, args, env }`. */
  servers: Record<string, LocalServerConfig>;
}

/**
 * Servers the operator runs: stdio commands started on demand (one process per user unless
 * `perUser: false`), or HTTP servers on the operator's network. No user credentials involved.
 */
export class LocalProvider extends SessionProvider {
  readonly name = 'local';
  readonly configured: boolean;
  private readonly servers: Record<string, LocalServerConfig>;

  constructor(options: LocalProviderOptions) {
    super(options);
    for (const [app, server] of Object.entries(options.servers)) {
      if (!APP_ID.test(app)) {
        throw new McpConfigError(
          `Local MCP server name "${app}" must be lower-case letters, digits, "-" or "_" (it becomes the app id).`,
        );
      }
      const parsed = localServerSchema.safeParse(server);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new McpConfigError(
          `Local MCP server "${app}" is malformed: ${issue?.path.join('.') || 'entry'} ${issue?.message}. Give either { command, args?, env? } or { url, headers? }.`,
        );
      }
    }
    this.servers = options.servers;
    this.configured = Object.keys(options.servers).length > 0;
  }

  override knownApps(): readonly string[] {
    return Object.keys(this.servers);
  }

  protected missingConfiguration(): string {
    return 'No local MCP servers are configured: set MCP_LOCAL_SERVERS.';
  }

  protected override sessionKey(target: McpTarget): string {
    return this.servers[target.app]?.perUser === false ? target.app : super.sessionKey(target);
  }

  protected async endpoint(target: McpTarget): Promise<McpEndpoint> {
    const server = this.servers[target.app];
    if (!server) throw new McpConfigError(`No local MCP server is named ${target.app}.`);
    if ('url' in server) {
      const headers = server.headers ?? {};
      return { transport: 'http', url: server.url, headers: () => headers };
    }
    return {
      transport: 'stdio',
      command: server.command,
      args: server.args,
      env: server.env,
      cwd: server.cwd,
    };
  }
}
