import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config/index.js';
import { startBanner } from './banner.js';

const both = new Set(['api', 'worker'] as const);

describe('startBanner', () => {
  it('on embedded defaults: where to go, how to sign in, and what is missing with its variable', () => {
    const text = startBanner({
      roles: both,
      url: 'http://127.0.0.1:3000',
      bootstrapLink: 'http://localhost:3000/auth/link?token=abc',
      apiTokenFile: '/srv/.dynamiq/api-token',
      config: loadConfig({}),
    });
    expect(text).toBe(
      [
        'Dynamiq is running (roles: api, worker)',
        '  API and portal  http://127.0.0.1:3000',
        '  Sign in         http://localhost:3000/auth/link?token=abc  (the administrator; works once, for 15 minutes)',
        '  API token       /srv/.dynamiq/api-token',
        'Not configured:',
        '  LLM      set LLM_API_KEY (OpenAI) or LLM_BASE_URL (Ollama, vLLM, ...); until then the bot answers that it needs one',
        '  E2B      local bubblewrap sandboxes are used; for E2B set SANDBOX_PROVIDER=e2b, E2B_API_KEY and E2B_TEMPLATE_ID',
        '  Slack    set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET); see "Add Dynamiq to Slack" in the README',
        '  Teams    set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD; see "Add Dynamiq to Microsoft Teams" in the README',
        '  Discord  set DISCORD_BOT_TOKEN, DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID; see "Add Dynamiq to Discord" in the README',
      ].join('\n'),
    );
  });

  it('leaves out what is configured or does not apply to the roles running', () => {
    const config = loadConfig({
      LLM_BASE_URL: 'http://localhost:11434/v1',
      SANDBOX_PROVIDER: 'e2b',
      E2B_API_KEY: 'k',
      E2B_TEMPLATE_ID: 't',
    });
    expect(
      startBanner({
        roles: new Set(['worker']),
        url: undefined,
        bootstrapLink: undefined,
        apiTokenFile: undefined,
        config,
      }),
    ).toBe('Dynamiq is running (roles: worker)');
    const api = startBanner({
      roles: new Set(['api']),
      url: 'http://0.0.0.0:3000',
      bootstrapLink: undefined,
      apiTokenFile: undefined,
      config: loadConfig({}),
    });
    expect(api).not.toMatch(/LLM|E2B|Sign in|API token/);
    expect(api).toContain('  API and portal  http://0.0.0.0:3000');
    expect(api).toContain('Slack    set SLACK_SIGNING_SECRET');
  });

  it('says where Slack sends its requests once Slack is configured', () => {
    const config = loadConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1' });
    const text = startBanner({
      roles: both,
      url: 'http://127.0.0.1:3000',
      bootstrapLink: undefined,
      apiTokenFile: undefined,
      config,
    });
    expect(text).toContain('  Slack           request URL http://127.0.0.1:3000/slack/events');
    expect(text).not.toContain('set SLACK_SIGNING_SECRET');
  });
});
