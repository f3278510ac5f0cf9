import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../integrations/index.js';
import { startFakeMcpServer } from '../../test/fakes/mcp/fake-server.js';
import { echoTool } from '../../test/fakes/mcp/tools.js';
import { createMcpRegistry } from '../index.js';
import type { GetAccessToken } from '../index.js';

describe("direct provider (a vendor's remote MCP server, the user's OAuth token as bearer)", () => {
  const valid = new Set(['token-1']);
  let fake: Awaited<ReturnType<typeof startFakeMcpServer>>;
  const asked: Array<{ userId: string; appId: string; forceRefresh: boolean | undefined }> = [];
  let issued = 1;
  const getAccessToken: GetAccessToken = async (userId, appId, options) => {
    asked.push({ userId, appId, forceRefresh: options?.forceRefresh });
    if (userId === 'stranger') return undefined;
    if (options?.forceRefresh) valid.add(`token-${++issued}`);
    return userId === 'revoked' ? 'revoked-token' : `token-${issued}`;
  };

  beforeAll(async () => {
    fake = await startFakeMcpServer({
      authorize: (req) => {
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        return token && valid.has(token)
          ? undefined
          : { status: 401, body: { error: 'invalid_token' } };
      },
      tools: () => [echoTool('whoami', (h) => `${String(h.authorization)}: `)],
    });
  });
  afterAll(() => fake.close());

  const registry = (withTokens = true) =>
    // Sentry is in the catalog as a direct server; the URL is pointed at the fake.
    createMcpRegistry(
      { directServers: { sentry: { url: fake.url } } },
      { integrations: catalog, ...(withTokens ? { getAccessToken } : {}) },
    );

  it("sends the user's token as a bearer to the catalog's direct server", async () => {
    const reg = registry();
    expect(reg.apps().find((a) => a.id === 'sentry')).toMatchObject({
      provider: 'direct',
      configured: true,
    });
    const result = await reg.callTool('alice', 'sentry', 'whoami', { message: 'hi' });
    expect(result.text).toBe('Bearer token-1: hi');
    expect(asked).toContainEqual({ userId: 'alice', appId: 'sentry', forceRefresh: false });
    await reg.close();
  });

  it('asks for a refreshed token once when the server refuses the current one', async () => {
    const reg = registry();
    await reg.callTool('alice', 'sentry', 'whoami', { message: 'one' });
    valid.clear();
    const result = await reg.callTool('alice', 'sentry', 'whoami', { message: 'two' });
    expect(result.text).toBe('Bearer token-2: two');
    expect(asked.at(-1)).toEqual({ userId: 'alice', appId: 'sentry', forceRefresh: true });
    await reg.close();
  });

  it('says not_connected when the user has no token, or it is refused even after a refresh', async () => {
    const reg = registry();
    await expect(reg.listTools('stranger', 'sentry')).rejects.toMatchObject({
      code: 'dynamiq.mcp.not_connected',
      message: expect.stringContaining('has not connected sentry'),
    });
    await expect(reg.listTools('revoked', 'sentry')).rejects.toMatchObject({
      code: 'dynamiq.mcp.not_connected',
      message: expect.stringContaining('refused'),
    });
    await reg.close();
  });

  it('is listed as unconfigured without a token source', async () => {
    const reg = registry(false);
    expect(reg.providers().find((p) => p.name === 'direct')).toMatchObject({ configured: false });
    await expect(reg.listTools('alice', 'sentry')).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_config',
    });
    await reg.close();
  });
});
