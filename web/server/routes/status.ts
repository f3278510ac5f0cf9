import type { FastifyInstance } from 'fastify';
import type { StatusPart, StatusResponse } from '../../contract/index.js';
import type { ServerDeps } from '../deps.js';
import type { DeploymentFacts } from '../deployment.js';
import { HttpError } from '../errors.js';
import { probe } from './health.js';

const part = (p: Omit<StatusPart, 'fix' | 'link'> & Partial<StatusPart>): StatusPart => ({
  fix: null,
  link: null,
  ...p,
});

/** `GET /api/status` (administrators): each part, whether it works, and what to set to fix it. */
export async function statusRoutes(root: FastifyInstance, deps: ServerDeps): Promise<void> {
  root.get('/api/status', async (request): Promise<StatusResponse> => {
    if (request.user.role !== 'admin')
      throw new HttpError(403, 'forbidden', 'Only an administrator sees the deployment status.');
    const facts: DeploymentFacts | undefined = deps.deployment;
    const [database, temporal] = await Promise.all([
      probe(() => deps.db.$queryRaw`SELECT 1`),
      probe(() => deps.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const parts: StatusPart[] = [];
    if (facts) {
      const { llm, sandbox, mcpProviders } = facts;
      parts.push(
        part({
          id: 'llm',
          label: 'LLM',
          state: llm.configured ? 'ok' : 'off',
          detail: llm.configured
            ? `${llm.model} at ${llm.baseUrl ?? 'OpenAI'}`
            : 'No LLM configured: the bot answers that it needs one.',
          fix: llm.configured
            ? null
            : 'Set LLM_API_KEY (OpenAI) or LLM_BASE_URL (Ollama, vLLM, Azure OpenAI), and LLM_MODEL.',
        }),
      );
      parts.push(
        part({
          id: 'temporal',
          label: 'Temporal',
          state: temporal === 'ok' ? 'ok' : 'failing',
          detail: `${facts.temporal.embedded ? 'Embedded dev server' : 'Cluster'} at ${facts.temporal.address}, namespace ${facts.temporal.namespace}${temporal === 'ok' ? '' : `: ${temporal}`}`,
          fix:
            temporal === 'ok'
              ? null
              : 'Check that the server at TEMPORAL_ADDRESS answers (and TEMPORAL_API_KEY / TEMPORAL_TLS for Temporal Cloud).',
          link: facts.temporal.uiUrl,
        }),
      );
      parts.push(
        part({
          id: 'database',
          label: 'Database',
          state: database === 'ok' ? 'ok' : 'failing',
          detail: `${facts.database.kind === 'embedded' ? 'Embedded PostgreSQL in the data folder (this process only)' : 'PostgreSQL'}${database === 'ok' ? '' : `: ${database}`}`,
          fix:
            database !== 'ok'
              ? 'Check that the database at DATABASE_URL answers.'
              : facts.database.kind === 'embedded'
                ? 'For production, or to split roles, set DATABASE_URL to a PostgreSQL database.'
                : null,
        }),
      );
      parts.push(
        part({
          id: 'sandbox',
          label: 'Sandboxes',
          state: sandbox.provider === 'e2b' && !sandbox.e2bKey ? 'failing' : 'ok',
          detail:
            sandbox.provider === 'e2b'
              ? 'E2B cloud sandboxes'
              : `Local bubblewrap sandboxes; network ${NETWORK_DETAIL[sandbox.network]}`,
          fix:
            sandbox.provider === 'e2b' && !sandbox.e2bKey
              ? 'Set E2B_API_KEY (and E2B_TEMPLATE_ID).'
              : sandbox.network === 'shared' && sandbox.provider === 'local'
                ? 'Set SANDBOX_NETWORK=proxied: sandboxes then reach only the internet and the broker, through the egress proxy.'
                : null,
        }),
      );
      parts.push(
        part({
          id: 'event-bus',
          label: 'Live events',
          state: 'ok',
          detail:
            facts.eventBus === 'memory'
              ? 'In memory (every role in one process)'
              : 'PostgreSQL LISTEN/NOTIFY',
        }),
      );
      for (const [id, label, on, fix] of [
        [
          'pipedream',
          'Pipedream Connect',
          mcpProviders.pipedream,
          'Set PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID.',
        ],
        ['composio', 'Composio', mcpProviders.composio, 'Set COMPOSIO_API_KEY.'],
      ] as const) {
        parts.push(
          part({
            id,
            label,
            state: on ? 'ok' : 'off',
            detail: on ? 'Configured' : 'Not configured: its MCP apps cannot be connected.',
            fix: on ? null : fix,
          }),
        );
      }
      const chat = facts.chat;
      const live = {
        teams: deps.teams?.status(),
        discord: deps.discordGateway?.().state,
      };
      if (chat) {
        parts.push(
          part({
            id: 'slack',
            label: 'Slack',
            state: chat.slack ? 'ok' : 'off',
            detail: chat.slack
              ? chat.slack === 'socket'
                ? 'Socket Mode'
                : 'Events at /slack/events'
              : 'Not configured',
            fix: chat.slack
              ? null
              : 'Set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET); see "Add Dynamiq to Slack".',
          }),
          part({
            id: 'teams',
            label: 'Microsoft Teams',
            state: !chat.teams ? 'off' : live.teams === 'keys_unreachable' ? 'failing' : 'ok',
            detail: !chat.teams
              ? 'Not configured'
              : live.teams === 'keys_unreachable'
                ? "Microsoft's signing keys cannot be fetched: Teams messages are refused"
                : 'Activities at /teams/messages',
            fix: !chat.teams
              ? 'Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD; see "Add Dynamiq to Microsoft Teams".'
              : live.teams === 'keys_unreachable'
                ? "Check that this host reaches Microsoft's OpenID endpoints (login.botframework.com)."
                : null,
          }),
          part({
            id: 'discord',
            label: 'Discord',
            state: !chat.discord
              ? 'off'
              : live.discord && live.discord !== 'ready'
                ? 'failing'
                : 'ok',
            detail: !chat.discord
              ? 'Not configured'
              : live.discord && live.discord !== 'ready'
                ? `Gateway ${live.discord}; interactions at /discord/interactions still answer`
                : `Interactions at /discord/interactions${live.discord ? '; gateway connected' : ''}`,
            fix: !chat.discord
              ? 'Set DISCORD_BOT_TOKEN, DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID; see "Add Dynamiq to Discord".'
              : live.discord && live.discord !== 'ready'
                ? 'Check the bot token and that this host reaches gateway.discord.gg; it retries with back-off.'
                : null,
          }),
        );
      }
      parts.push(
        part({
          id: 'master-key',
          label: 'Secrets at rest',
          state: 'ok',
          detail: facts.masterKeyFromEnv
            ? 'Sealed with DYNAMIQ_MASTER_KEY'
            : 'Sealed with a key generated into the data folder',
          fix: facts.masterKeyFromEnv
            ? null
            : 'For production, set DYNAMIQ_MASTER_KEY and keep it outside the data folder.',
        }),
      );
    }
    return { parts };
  });
}

const NETWORK_DETAIL = {
  proxied: 'private, out only through the egress proxy',
  none: 'off (loopback only)',
  shared: 'shared with the host',
} as const;
