import type { Integration } from '../integrations/index.js';
import { McpConfigError } from './errors.js';
import { ComposioProvider } from './providers/composio.js';
import type { ComposioProviderOptions } from './providers/composio.js';
import { DirectProvider } from './providers/direct.js';
import type { DirectServer, GetAccessToken } from './providers/direct.js';
import type { LocalServerConfig } from './local-servers.js';
import { LocalProvider } from './providers/local.js';
import { PipedreamProvider } from './providers/pipedream.js';
import type { PipedreamProviderOptions } from './providers/pipedream.js';
import { McpRegistry } from './registry.js';
import type { AppBinding } from './registry.js';
import type { McpProvider } from './types.js';

export const MCP_PROVIDER_NAMES = ['pipedream', 'composio', 'direct', 'local'] as const;
export type McpProviderName = (typeof MCP_PROVIDER_NAMES)[number];

/** Everything configurable about MCP, resolved from the environment by lib/config. */
export interface McpSettings {
  /** Serves apps nothing else claims (env MCP_DEFAULT_PROVIDER). Default: Pipedream when configured, else Composio. */
  defaultProvider?: McpProviderName;
  /** Close an idle session after this many ms (env MCP_SESSION_IDLE_MS). Default 300000. */
  sessionIdleMs?: number;
  /** Reuse a tool list for this many ms (env MCP_TOOLS_CACHE_TTL_MS). Default 300000. */
  toolsCacheTtlMs?: number;
  /** Wait for a tool call without progress, in ms (env MCP_CALL_TIMEOUT_MS). Default 60000. */
  callTimeoutMs?: number;
  /** Largest tool result kept, in characters (env MCP_MAX_RESULT_CHARS). Default 50000. */
  maxResultChars?: number;
  pipedream?: Omit<PipedreamProviderOptions, 'idleTimeoutMs' | 'connectTimeoutMs'>;
  composio?: Omit<ComposioProviderOptions, 'idleTimeoutMs' | 'connectTimeoutMs'>;
  /** Operator servers by app id (env MCP_LOCAL_SERVERS, JSON; see `parseLocalServers`). */
  localServers?: Record<string, LocalServerConfig>;
  /** Vendor servers by app id beyond those in the catalog, e.g. a self-hosted Sentry's. */
  directServers?: Record<string, DirectServer>;
}

export interface McpRegistryDeps {
  /** The user's OAuth token for a direct server; without it direct servers are unconfigured. */
  getAccessToken?: GetAccessToken;
  /** Catalog entries whose `mcp` field binds apps to providers (pass `catalog` from integrations). */
  integrations?: readonly Integration[];
}

/** Builds the registry with every provider (configured or not, so the API can list them). */
export function createMcpRegistry(settings: McpSettings, deps: McpRegistryDeps = {}): McpRegistry {
  const session = { idleTimeoutMs: settings.sessionIdleMs };
  const apps: Record<string, AppBinding> = {};
  const direct: Record<string, DirectServer> = {};
  for (const integration of deps.integrations ?? []) {
    const mcp = integration.mcp;
    if (!mcp || !integration.enabled) continue;
    if (mcp.provider === 'direct') {
      // Per-tenant URLs ({stack}) need the tenant's value; those are configured per deployment.
      if (mcp.serverUrl && !mcp.serverUrl.includes('{'))
        direct[integration.id] = { url: mcp.serverUrl };
    } else {
      apps[integration.id] = { provider: mcp.provider, slug: mcp.appSlug ?? integration.id };
    }
  }
  Object.assign(direct, settings.directServers);
  const pipedream = new PipedreamProvider({
    clientId: undefined,
    clientSecret: undefined,
    projectId: undefined,
    ...settings.pipedream,
    ...session,
  });
  const composio = new ComposioProvider({ apiKey: undefined, ...settings.composio, ...session });
  const providers: McpProvider[] = [
    pipedream,
    composio,
    new DirectProvider({ servers: direct, getAccessToken: deps.getAccessToken, ...session }),
  ];
  const local = settings.localServers ?? {};
  if (Object.keys(local).length > 0)
    providers.push(new LocalProvider({ servers: local, ...session }));
  for (const app of Object.keys(local)) delete apps[app];

  const defaultProvider =
    settings.defaultProvider ??
    (pipedream.configured ? 'pipedream' : composio.configured ? 'composio' : undefined);
  if (defaultProvider === 'local' && !providers.some((p) => p.name === 'local')) {
    throw new McpConfigError('MCP_DEFAULT_PROVIDER is local, but MCP_LOCAL_SERVERS is empty.');
  }
  return new McpRegistry({
    providers,
    defaultProvider,
    apps,
    toolCacheTtlMs: settings.toolsCacheTtlMs,
    callTimeoutMs: settings.callTimeoutMs,
    maxResultChars: settings.maxResultChars,
  });
}
