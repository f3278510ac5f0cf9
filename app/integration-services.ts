import { catalog } from '../integrations/index.js';
import { Connections } from '../integrations/connections/index.js';
import { createMcpRegistry } from '../mcp/index.js';
import type { McpRegistry } from '../mcp/index.js';
import type { Config } from '../lib/config/index.js';
import type { Logger } from '../lib/logging.js';
import type { Core } from './core.js';
import type { AppSettings } from './settings.js';
import type { Shutdown } from './shutdown.js';

export interface IntegrationServices {
  /** MCP tools of every provider: the agent's tool calls (worker) and the sandbox proxy (api). */
  mcp: McpRegistry;
  /** Users' connections: OAuth tokens and keys, refreshed in one place. */
  connections: Connections;
}

/** The MCP registry and the connection service, built once per process for every role. */
export function buildIntegrationServices(
  config: Config,
  settings: AppSettings,
  core: Core,
  log: Logger,
  shutdown: Shutdown,
): IntegrationServices {
  // The two need each other at call time only: official remote MCP servers (Sentry, ...) take
  // the user's own OAuth token from Connections, and Connections shows, connects and
  // disconnects mcp-type integrations through the registry's Pipedream and Composio providers.
  const late: { connections?: Connections } = {};
  const mcp = createMcpRegistry(settings.mcp, {
    integrations: catalog,
    getAccessToken: async (userId, appId) => {
      if (!late.connections) throw new Error('connections are not ready yet');
      return (await late.connections.getAccessToken(userId, appId)).accessToken;
    },
  });
  shutdown.add(() => mcp.close());
  const connections = new Connections({
    db: core.database.prisma,
    keyring: core.keyring,
    log,
    publicUrl: config.publicUrl,
    oauthClients: settings.oauthClients,
    endpointOverrides: settings.endpointOverrides,
    providerAccounts: mcp.accountProviders(),
  });
  late.connections = connections;
  return { mcp, connections };
}
