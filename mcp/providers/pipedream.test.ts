import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../integrations/index.js';
import { startFakePipedream } from '../../test/fakes/pipedream/server.js';
import type { FakePipedream } from '../../test/fakes/pipedream/server.js';
import { McpRegistry, PipedreamProvider, createMcpRegistry } from '../index.js';
import type { PipedreamProviderOptions } from '../index.js';

const creds = { clientId: 'client-id', clientSecret: 'client-secret', projectId: 'proj_abc123' };

describe('Pipedream Connect provider (against a local fake of its API and MCP server)', () => {
  let fake: FakePipedream;
  let options: PipedreamProviderOptions;

  beforeAll(async () => {
    fake = await startFakePipedream({ ...creds, environment: 'production' });
    options = { ...creds, environment: 'production', apiUrl: fake.apiUrl, mcpUrl: fake.mcpUrl };
  });
  afterAll(() => fake.close());

  it('sends the documented headers with a cached client-credentials token', async () => {
    const registry = createMcpRegistry({ pipedream: options }, { integrations: catalog });
    try {
      expect(registry.defaultProvider).toBe('pipedream');
      // The catalog binds Dynamiq's `linear` to Pipedream's `linear_app`.
      const tools = await registry.listTools('user-42', 'linear');
      expect(tools.map((t) => t.name)).toEqual(['linear_app-create-issue']);
      const slack = await registry.callTool('user-42', 'slack', 'slack-send-message', {
        channel: 'ops',
        text: 'deploy done',
      });
      expect(slack.text).toBe('Sent "deploy done" to #ops as user-42');
      await registry.callTool('user-7', 'slack', 'slack-send-message', {
        channel: 'ops',
        text: 'hi',
      });

      const posts = fake.mcp.requests.filter((r) => r.method === 'POST');
      expect(posts.length).toBeGreaterThan(4);
      for (const r of posts) {
        expect(r.headers.authorization).toMatch(/^Bearer pd_at_/);
        expect(r.headers['x-pd-project-id']).toBe('proj_abc123');
        expect(r.headers['x-pd-environment']).toBe('production');
      }
      expect(
        new Set(
          posts.map((r) => `${r.headers['x-pd-external-user-id']}/${r.headers['x-pd-app-slug']}`),
        ),
      ).toEqual(new Set(['user-42/linear_app', 'user-42/slack', 'user-7/slack']));
      expect(fake.tokenRequests).toBe(1);
    } finally {
      await registry.close();
    }
  });

  it('refreshes the access token shortly before it expires', async () => {
    const shortLived = await startFakePipedream({ ...creds, tokenTtlSeconds: 2 });
    const provider = new PipedreamProvider({
      ...creds,
      apiUrl: shortLived.apiUrl,
      mcpUrl: shortLived.mcpUrl,
      tokenRefreshMarginMs: 1_500,
    });
    const registry = new McpRegistry({ providers: [provider], defaultProvider: 'pipedream' });
    try {
      await registry.listTools('u', 'slack');
      expect(shortLived.tokenRequests).toBe(1);
      await new Promise((r) => setTimeout(r, 600));
      await registry.callTool('u', 'slack', 'slack-send-message', { channel: 'a', text: 'b' });
      expect(shortLived.tokenRequests).toBe(2);
    } finally {
      await registry.close();
      await shortLived.close();
    }
  });

  it('gets a new token and carries on when the MCP server refuses the cached one', async () => {
    const provider = new PipedreamProvider(options);
    const registry = new McpRegistry({ providers: [provider], defaultProvider: 'pipedream' });
    try {
      await registry.listTools('u', 'slack');
      const before = fake.tokenRequests;
      fake.expireAccessTokens();
      const result = await registry.callTool('u', 'slack', 'slack-send-message', {
        channel: 'a',
        text: 'b',
      });
      expect(result.isError).toBe(false);
      expect(fake.tokenRequests).toBe(before + 1);
    } finally {
      await registry.close();
    }
  });

  it('creates a Connect token and returns its Connect Link for the app', async () => {
    const registry = createMcpRegistry({ pipedream: options }, { integrations: catalog });
    const link = await registry.connectLink('user-42', 'linear', {
      successRedirectUrl: 'http://localhost/done',
    });
    expect(link?.url).toMatch(
      /^https:\/\/pipedream\.com\/_static\/connect\.html\?token=ctok_\w+&connectLink=true&app=linear_app$/,
    );
    expect(link?.expiresAt).toBeTruthy();
    expect(fake.connectTokens.at(-1)?.externalUserId).toBe('user-42');
    await registry.close();
  });

  it("lists a user's accounts across pages, maps their health, and deletes them", async () => {
    const provider = new PipedreamProvider(options);
    for (let n = 0; n < 101; n++) fake.connectAccount('many', n % 2 ? 'slack' : 'gmail');
    const sick = fake.connectAccount('many', 'notion', { healthy: false, error: 'token revoked' });
    fake.connectAccount('many', 'jira', { dead: true });
    const before = fake.accountRequests.length;
    const accounts = await provider.listAccounts('many', ['gmail', 'slack', 'notion', 'jira']);
    expect(accounts).toHaveLength(103);
    expect(fake.accountRequests.length - before).toBe(2);
    expect(accounts.find((a) => a.id === sick.id)).toEqual({
      id: sick.id,
      app: 'notion',
      state: 'needs_reconnect',
      label: null,
      createdAt: sick.createdAt,
      updatedAt: sick.updatedAt,
      error: 'token revoked',
    });
    expect(accounts.find((a) => a.app === 'jira')?.state).toBe('needs_reconnect');
    expect(accounts.filter((a) => a.state === 'connected')).toHaveLength(101);

    // One app is filtered at Pipedream; apps not asked for are left out.
    const notion = await provider.listAccounts('many', ['notion']);
    expect(notion.map((a) => a.id)).toEqual([sick.id]);
    expect(new URL(fake.accountRequests.at(-1)!.url, 'http://x').searchParams.get('app')).toBe(
      'notion',
    );
    await provider.deleteAccount(sick.id);
    await provider.deleteAccount(sick.id);
    expect(await provider.listAccounts('many', ['notion'])).toEqual([]);
    await provider.close();
  });

  it('reports wrong client credentials as auth_failed, naming what to fix', async () => {
    const registry = new McpRegistry({
      providers: [new PipedreamProvider({ ...options, clientSecret: 'wrong' })],
      defaultProvider: 'pipedream',
    });
    await expect(registry.listTools('u', 'slack')).rejects.toMatchObject({
      code: 'dynamiq.mcp.auth_failed',
      message: expect.stringContaining('PIPEDREAM_CLIENT_SECRET'),
    });
    await registry.close();
  });

  it('refuses every call with a setup hint while unconfigured', async () => {
    const registry = createMcpRegistry({
      pipedream: { clientId: 'x', clientSecret: undefined, projectId: undefined },
    });
    expect(registry.providers().find((p) => p.name === 'pipedream')).toMatchObject({
      configured: false,
    });
    const unconfigured = new McpRegistry({
      providers: [
        new PipedreamProvider({ clientId: 'x', clientSecret: undefined, projectId: undefined }),
      ],
      defaultProvider: 'pipedream',
    });
    await expect(unconfigured.listTools('u', 'slack')).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_config',
      message: expect.stringContaining('PIPEDREAM_PROJECT_ID'),
    });
  });

  it('has a fake that refuses what the real service refuses', async () => {
    const token = (
      (await (
        await fetch(`${fake.apiUrl}/v1/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'client_credentials',
            client_id: 'client-id',
            client_secret: 'client-secret',
          }),
        })
      ).json()) as { access_token: string }
    ).access_token;
    const init = (headers: Record<string, string>) => ({
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    const all = {
      authorization: `Bearer ${token}`,
      'x-pd-project-id': creds.projectId,
      'x-pd-environment': 'production',
      'x-pd-external-user-id': 'u',
      'x-pd-app-slug': 'slack',
    };
    const { 'x-pd-app-slug': _slug, ...noSlug } = all;
    expect((await fetch(fake.mcpUrl, init(noSlug))).status).toBe(400);
    expect(
      (await fetch(fake.mcpUrl, init({ ...all, authorization: 'Bearer forged' }))).status,
    ).toBe(401);
    expect(
      (await fetch(fake.mcpUrl, init({ ...all, 'x-pd-project-id': 'proj_other' }))).status,
    ).toBe(403);

    const accounts = (project: string, headers: Record<string, string>) =>
      fetch(`${fake.apiUrl}/v1/connect/${project}/accounts?external_user_id=u`, { headers });
    const good = { authorization: `Bearer ${token}`, 'x-pd-environment': 'production' };
    expect((await accounts(creds.projectId, good)).status).toBe(200);
    expect((await accounts(creds.projectId, { 'x-pd-environment': 'production' })).status).toBe(
      401,
    );
    expect((await accounts(creds.projectId, { ...good, authorization: 'Bearer x' })).status).toBe(
      401,
    );
    expect((await accounts(creds.projectId, { authorization: good.authorization })).status).toBe(
      400,
    );
    expect((await accounts('proj_other', good)).status).toBe(404);
    const remove = await fetch(`${fake.apiUrl}/v1/connect/${creds.projectId}/accounts/apn_x`, {
      method: 'DELETE',
    });
    expect(remove.status).toBe(401);
  });
});
