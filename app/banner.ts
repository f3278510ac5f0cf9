import type { Config, Role } from '../lib/config/index.js';
import { LOGIN_LINK_TTL_SECONDS } from '../web/server/index.js';

export interface BannerInput {
  roles: ReadonlySet<Role>;
  /** Where the API, and the portal beside it, listen (api role). */
  url: string | undefined;
  /** The administrator's single-use sign-in link, until they have signed in once. */
  bootstrapLink: string | undefined;
  /** The generated administrator token's file, when DYNAMIQ_API_TOKEN is unset. */
  apiTokenFile: string | undefined;
  config: Pick<Config, 'llm' | 'sandbox' | 'slack' | 'teams' | 'discord'>;
}

/**
 * The short block `dynamiq start` prints for a person once everything runs: where to go, how
 * to sign in, and each missing piece with the variable that configures it.
 */
export function startBanner(input: BannerInput): string {
  const { roles, config } = input;
  const rows: [string, string][] = [];
  if (input.url) rows.push(['API and portal', input.url]);
  if (input.bootstrapLink)
    rows.push([
      'Sign in',
      `${input.bootstrapLink}  (the administrator; works once, for ${LOGIN_LINK_TTL_SECONDS / 60} minutes)`,
    ]);
  if (input.apiTokenFile) rows.push(['API token', input.apiTokenFile]);

  const missing: [string, string][] = [];
  if (roles.has('worker')) {
    if (!config.llm.configured)
      missing.push([
        'LLM',
        'set LLM_API_KEY (OpenAI) or LLM_BASE_URL (Ollama, vLLM, ...); until then the bot answers that it needs one',
      ]);
    if (config.sandbox.provider !== 'e2b')
      missing.push([
        'E2B',
        'local bubblewrap sandboxes are used; for E2B set SANDBOX_PROVIDER=e2b, E2B_API_KEY and E2B_TEMPLATE_ID',
      ]);
  }
  if (roles.has('api')) {
    if (config.slack.enabled)
      rows.push([
        'Slack',
        config.slack.appToken
          ? 'Socket Mode'
          : `request URL ${input.url ?? 'PUBLIC_URL'}/slack/events`,
      ]);
    else
      missing.push([
        'Slack',
        'set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET); see "Add Dynamiq to Slack" in the README',
      ]);
    if (config.teams.enabled)
      rows.push(['Teams', `messaging endpoint ${input.url ?? 'PUBLIC_URL'}/teams/messages`]);
    else
      missing.push([
        'Teams',
        'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD; see "Add Dynamiq to Microsoft Teams" in the README',
      ]);
    if (config.discord.enabled)
      rows.push([
        'Discord',
        `interactions endpoint ${input.url ?? 'PUBLIC_URL'}/discord/interactions`,
      ]);
    else
      missing.push([
        'Discord',
        'set DISCORD_BOT_TOKEN, DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID; see "Add Dynamiq to Discord" in the README',
      ]);
  }

  const lines = [`Dynamiq is running (roles: ${[...roles].join(', ')})`, ...table(rows)];
  if (missing.length) lines.push('Not configured:', ...table(missing));
  return lines.join('\n');
}

function table(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}
