import path from 'node:path';
import type { Config } from '../lib/config/index.js';
import { MemoryEventBus } from '../lib/events/index.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import type { ServerDeps } from '../web/server/index.js';
import type { Core } from './core.js';

/** Where `npm run build` (Vite) writes the portal; the api role serves it at `/`. */
export const PORTAL_DIR = path.join(PROJECT_ROOT, 'web', 'app', 'dist');

/** The Status page's facts: what the configuration put in force, with no secret in it. */
export function deploymentFacts(config: Config, core: Core): NonNullable<ServerDeps['deployment']> {
  const pd = config.mcp.pipedream;
  return {
    llm: {
      configured: config.llm.configured,
      baseUrl: config.llm.baseUrl ? new URL(config.llm.baseUrl).origin : null,
      model: config.llm.model,
    },
    temporal: {
      address: core.temporal.address,
      embedded: !config.temporal.address,
      namespace: config.temporal.namespace,
      uiUrl: null,
    },
    database: { kind: config.databaseUrl ? 'postgresql' : 'embedded' },
    sandbox: {
      provider: config.sandbox.provider,
      network: config.sandbox.network,
      e2bKey: Boolean(config.e2b.apiKey),
    },
    eventBus: core.bus instanceof MemoryEventBus ? 'memory' : 'postgres',
    mcpProviders: {
      pipedream: Boolean(pd.clientId && pd.clientSecret && pd.projectId),
      composio: Boolean(config.mcp.composio.apiKey),
    },
    masterKeyFromEnv: Boolean(config.masterKey),
    chat: {
      slack: config.slack.enabled ? (config.slack.appToken ? 'socket' : 'http') : false,
      teams: config.teams.enabled,
      discord: config.discord.enabled,
    },
  };
}
