import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeComposio } from '../../test/fakes/composio/server.js';
import type { FakeComposio } from '../../test/fakes/composio/server.js';
import { ComposioProvider, McpRegistry } from '../index.js';

describe('Composio provider (against a local fake of its v3 API and MCP endpoint)', () => {
  let fake: FakeComposio;
  const registryWith = (options: Partial<ConstructorParameters<typeof ComposioProvider>[0]> = {}) =>
    new McpRegistry({
      providers: [new ComposioProvider({ apiKey: 'ck_test', apiUrl: fake.url, ...options })],
      apps: { github: { provider: 'composio' }, gh: { provider: 'composio', slug: 'github' } },
    });

  beforeAll(async () => {
    fake = await startFakeComposio({ apiKey: 'ck_test' });
  });
  afterAll(() => fake.close());

  it("creates the toolkit's MCP server once and gives each user their own URL", async () => {
    const registry = registryWith();
    try {
      const tools = await registry.listTools('alice', 'github');
      expect(tools.map((t) => t.name)).toEqual(['GITHUB_GET_A_REPOSITORY']);
      expect(tools[0]!.annotations.readOnlyHint).toBe(true);
      await registry.listTools('bob', 'gh');
      expect(fake.servers).toHaveLength(1);
      expect(fake.servers[0]).toMatchObject({
        name: 'dynamiq-github',
        auth_config_ids: ['ac_github'],
      });
      const mcpUrls = new Set(fake.mcp.requests.map((r) => r.url));
      expect(mcpUrls).toEqual(
        new Set([
          `/v3/mcp/${fake.servers[0]!.id}?user_id=alice`,
          `/v3/mcp/${fake.servers[0]!.id}?user_id=bob`,
        ]),
      );
      expect(fake.mcp.requests.every((r) => r.headers['x-api-key'] === 'ck_test')).toBe(true);
    } finally {
      await registry.close();
    }
    // A fresh process finds the server by name instead of creating another.
    const again = registryWith();
    await again.listTools('carol', 'github');
    expect(fake.servers).toHaveLength(1);
    await again.close();
  });

  it("acts with the user's connected account, and says so as a tool error when there is none", async () => {
    const registry = registryWith();
    try {
      const before = await registry.callTool('dave', 'github', 'GITHUB_GET_A_REPOSITORY', {
        owner: 'acme',
        repo: 'api',
      });
      expect(before).toMatchObject({
        isError: true,
        text: expect.stringContaining('No connected account'),
      });
      fake.connect('dave', 'github');
      const after = await registry.callTool('dave', 'github', 'GITHUB_GET_A_REPOSITORY', {
        owner: 'acme',
        repo: 'api',
      });
      expect(JSON.parse(after.text)).toEqual({ full_name: 'acme/api', as: 'dave' });
    } finally {
      await registry.close();
    }
  });

  it('creates an auth link for connecting the account', async () => {
    const registry = registryWith();
    const link = await registry.connectLink('erin', 'github', {
      successRedirectUrl: 'http://localhost/back',
    });
    expect(link?.url).toMatch(/^https:\/\/connect\.composio\.dev\/link\/lk_/);
    expect(fake.links.at(-1)).toEqual({
      userId: 'erin',
      authConfigId: 'ac_github',
      callbackUrl: 'http://localhost/back',
    });
    await registry.close();
  });

  it("lists a user's connected accounts in one request per page, maps statuses, deletes", async () => {
    const provider = new ComposioProvider({ apiKey: 'ck_test', apiUrl: fake.url });
    const active = fake.connect('gina', 'github');
    const expired = fake.connect('gina', 'notion');
    fake.setStatus(expired.id, 'EXPIRED');
    await provider.connectLink({ userId: 'gina', app: 'github', slug: 'github' });
    fake.connect('hank', 'github');
    const before = fake.accountRequests.length;
    const accounts = await provider.listAccounts('gina', ['github', 'notion']);
    expect(fake.accountRequests.length - before).toBe(1);
    const sent = new URL(fake.accountRequests.at(-1)!.url, 'http://x').searchParams;
    expect(sent.getAll('toolkit_slugs')).toEqual(['github', 'notion']);
    expect(accounts.map((a) => [a.app, a.state])).toEqual([
      ['github', 'connected'],
      ['notion', 'needs_reconnect'],
      ['github', 'pending'],
    ]);
    expect(accounts[1]!.error).toBe('The account is EXPIRED at Composio.');

    for (let n = 0; n < 230; n++) fake.connect(`many-${n % 2}`, 'github');
    const paged = fake.accountRequests.length;
    expect(await provider.listAccounts('many-0', ['github'])).toHaveLength(115);
    expect(fake.accountRequests.length - paged).toBe(2);

    await provider.deleteAccount(active.id);
    await provider.deleteAccount(active.id);
    expect((await provider.listAccounts('gina', ['github'])).map((a) => a.state)).toEqual([
      'pending',
    ]);
    const unconfigured = new ComposioProvider({ apiKey: undefined, apiUrl: fake.url });
    await expect(unconfigured.listAccounts('gina', ['github'])).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_config',
      message: expect.stringContaining('COMPOSIO_API_KEY'),
    });
    await provider.close();
  });

  it('uses configured server ids as they are', async () => {
    const id = fake.servers[0]!.id;
    const registry = registryWith({
      serverIds: { github: id },
      authConfigs: { github: 'ac_github' },
    });
    const before = fake.servers.length;
    await expect(registry.listTools('frank', 'github')).resolves.toHaveLength(1);
    expect(fake.servers.length).toBe(before);
    await registry.close();
  });

  it('reports a wrong API key as auth_failed and a toolkit without auth config as invalid_config', async () => {
    const wrongKey = new McpRegistry({
      providers: [new ComposioProvider({ apiKey: 'nope', apiUrl: fake.url })],
      defaultProvider: 'composio',
    });
    await expect(wrongKey.listTools('u', 'github')).rejects.toMatchObject({
      code: 'dynamiq.mcp.auth_failed',
      message: expect.stringContaining('COMPOSIO_API_KEY'),
    });
    await wrongKey.close();
    const registry = new McpRegistry({
      providers: [new ComposioProvider({ apiKey: 'ck_test', apiUrl: fake.url })],
      defaultProvider: 'composio',
    });
    await expect(registry.listTools('u', 'notion')).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_config',
      message: expect.stringContaining('no enabled auth config for the "notion" toolkit'),
    });
    await registry.close();
  });

  it('has a fake that refuses what the real service refuses', async () => {
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${fake.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      });
    const id = fake.servers[0]!.id;
    expect((await post(`/v3/mcp/${id}?user_id=u`, {})).status).toBe(401);
    expect((await post(`/v3/mcp/${id}`, { 'x-api-key': 'ck_test' })).status).toBe(400);
    expect((await post(`/v3/mcp/unknown?user_id=u`, { 'x-api-key': 'ck_test' })).status).toBe(404);
    const accounts = `${fake.url}/api/v3/connected_accounts`;
    expect((await fetch(`${accounts}?user_ids=u`)).status).toBe(401);
    expect((await fetch(accounts, { headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${accounts}/ca_x`, { method: 'DELETE' })).status).toBe(401);
    expect(
      (await fetch(`${accounts}/ca_x`, { method: 'DELETE', headers: { 'x-api-key': 'ck_test' } }))
        .status,
    ).toBe(404);
  });
});
