import { z } from 'zod';
import { ENDPOINT_FIELDS, catalog, checkEndpointOverrides } from '../integrations/index.js';
import type { EndpointOverrides } from '../integrations/index.js';
import { oauthClientsFromEnv } from '../integrations/connections/index.js';
import type { OAuthClients } from '../integrations/connections/index.js';
import { checkLocalServers } from '../mcp/index.js';
import type { McpSettings } from '../mcp/index.js';
import { ConfigError } from '../lib/config/index.js';
import type { Config } from '../lib/config/index.js';

/** What the parts need beyond the plain configuration, checked against the catalog. */
export interface AppSettings {
  /** OAuth apps per integration, from OAUTH_<ID>_CLIENT_ID / OAUTH_<ID>_CLIENT_SECRET. */
  oauthClients: OAuthClients;
  /** From INTEGRATION_ENDPOINTS. */
  endpointOverrides: EndpointOverrides;
  /** MCP providers and limits, as createMcpRegistry takes them. */
  mcp: McpSettings;
}

const overridesSchema = z.record(z.string(), z.partialRecord(z.enum(ENDPOINT_FIELDS), z.string()), {
  error: 'must be a JSON object of integration ids to {field: URL}',
});

/**
 * Cross-checks the configuration against the integrations catalog and the MCP server schema,
 * which lib/config does not know. Every problem is one line naming the variable; they are
 * thrown together as a ConfigError, like lib/config's own.
 */
export function resolveSettings(config: Config): AppSettings {
  const problems: string[] = [];
  let oauthClients: OAuthClients = new Map();
  try {
    oauthClients = oauthClientsFromEnv(config.oauthClientEnv, catalog);
  } catch (err) {
    problems.push(...(err as Error).message.split('\n'));
  }
  let endpointOverrides: EndpointOverrides = {};
  if (config.integrationEndpoints !== undefined) {
    const parsed = overridesSchema.safeParse(config.integrationEndpoints);
    if (!parsed.success) {
      problems.push(`INTEGRATION_ENDPOINTS ${parsed.error.issues[0]!.message}`);
    } else {
      try {
        checkEndpointOverrides(parsed.data, catalog);
        endpointOverrides = parsed.data;
      } catch (err) {
        problems.push(`INTEGRATION_ENDPOINTS ${(err as Error).message}`);
      }
    }
  }
  let localServers: McpSettings['localServers'] = {};
  try {
    localServers = checkLocalServers(config.mcp.localServers);
  } catch (err) {
    problems.push((err as Error).message);
  }
  problems.push(...slackProblems(config));
  problems.push(...teamsProblems(config));
  problems.push(...discordProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return { oauthClients, endpointOverrides, mcp: { ...config.mcp, localServers } };
}

/** Half a Slack configuration is a mistake worth stopping for: say which variable completes it. */
function slackProblems({ slack }: Config): string[] {
  const problems: string[] = [];
  if ((slack.clientId === undefined) !== (slack.clientSecret === undefined)) {
    problems.push('SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set together');
  }
  const hasApp = slack.botToken !== undefined || slack.clientId !== undefined;
  if (hasApp && !slack.signingSecret && !slack.appToken) {
    problems.push(
      'SLACK_SIGNING_SECRET is needed to verify Slack requests (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  if (!hasApp && (slack.signingSecret || slack.appToken)) {
    problems.push(
      'Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET',
    );
  }
  return problems;
}

/** Half a Teams configuration is a mistake worth stopping for: say which variable completes it. */
function teamsProblems({ teams }: Config): string[] {
  const problems: string[] = [];
  const msi = teams.appType === 'UserAssignedMSI';
  if (
    teams.appId === undefined &&
    (teams.appPassword !== undefined || teams.tenantId !== undefined)
  ) {
    problems.push("MICROSOFT_APP_ID is needed for Teams (the Azure Bot's Microsoft App ID)");
  }
  if (teams.appId !== undefined && !msi && teams.appPassword === undefined) {
    problems.push(
      "MICROSOFT_APP_PASSWORD is needed for Teams (a client secret of the bot's app registration)",
    );
  }
  if (teams.appId !== undefined && teams.appType !== 'MultiTenant' && !teams.tenantId) {
    problems.push(`MICROSOFT_APP_TENANT_ID is needed when MICROSOFT_APP_TYPE is ${teams.appType}`);
  }
  return problems;
}

/** Discord needs all three of its settings; a partial set names what is missing. */
function discordProblems({ discord }: Config): string[] {
  const set = {
    DISCORD_BOT_TOKEN: discord.botToken,
    DISCORD_PUBLIC_KEY: discord.publicKey,
    DISCORD_APPLICATION_ID: discord.applicationId,
  };
  const missing = Object.entries(set)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length === 0 || missing.length === 3) return [];
  return [
    `Discord needs ${missing.join(' and ')} as well (set DISCORD_BOT_TOKEN, DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID together, or none)`,
  ];
}
