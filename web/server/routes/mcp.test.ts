import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposioProvider, LocalProvider, McpRegistry, PROXY_ERRORS } from '../../../mcp/index.js';
import { createLogger } from '../../../lib/logging.js';
import { MCP_OPERATIONS, signSandboxToken } from '../../../lib/sandbox-access/index.js';
import type { SandboxTokenSubject } from '../../../lib/sandbox-access/index.js';
import type { McpConnectOptions, McpProvider } from '../../../mcp/index.js';
import { startFakeMcpServer } from '../../../test/fakes/mcp/fake-server.js';
import { addTool, echoTool, slowTool } from '../../../test/fakes/mcp/tools.js';
import { bearerAuth } from '../auth.js';
import { errorHandler } from '../errors.js';
import { mcpProxyRoutes, mcpRoutes } from './mcp.js';

const secret = 'proxy-test-secret-0123456789abcdefghij';
const adminToken = 'admin-token-0123456789abcdefghij';
const PUBLIC_URL = 'https://dynamiq.example.com';

/** The routes as the lead wires them: admin routes behind the /api bearer hook, the proxy at the root. */
async function buildApp(registry: McpRegistry) {
  const log = createLogger('silent');
  const app = Fastify({ loggerInstance: log });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(log));
  app.removeContentTypeParser('text/plain');
  const deps = { mcp: registry, jwtSecret: secret, log, publicUrl: PUBLIC_URL };
  await app.register(async (api) => {
    api.addHook(
      'onRequest',
      bearerAuth({
        apiToken: adminToken,
        admin: { id: 'admin', displayName: 'Admin', role: 'admin' },
      }),
    );
    await mcpRoutes(api, deps);
  });
  await app.register(async (scope) => mcpProxyRoutes(scope, deps));
  return app;
}

interface RpcAnswer {
  jsonrpc: string;
  id: string | number | null;
  result?: { tools?: Array<{ name: string; annotations: unknown }> } & Record<string, unknown>;
  error?: { code: number; message: string; data: { code: string } & Record<string, unknown> };
}

const subject = (overrides: Partial<SandboxTokenSubject['scopes']> = {}): SandboxTokenSubject => ({
  userId: 'user-1',
  conversationId: 'conv-1',
  sandboxId: 'sbx-1',
  scopes: { apps: ['tools'], operations: [MCP_OPERATIONS.list, MCP_OPERATIONS.call], ...overrides },
});

describe('MCP routes', () => {
  let fake: Awaited<ReturnType<typeof startFakeMcpServer>>;
  let registry: McpRegistry;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let token: string;

  const rpc = async (body: unknown, bearer: string | undefined = token) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/mcp/proxy',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.statusCode, body: res.json<RpcAnswer>(), headers: res.headers };
  };
  const call = (method: string, params?: unknown, bearer?: string) =>
    rpc({ jsonrpc: '2.0', id: 7, method, ...(params === undefined ? {} : { params }) }, bearer);

  beforeAll(async () => {
    fake = await startFakeMcpServer({ tools: () => [echoTool(), addTool, slowTool] });
    registry = new McpRegistry({
      providers: [
        new LocalProvider({ servers: { tools: { url: fake.url }, secrets: { url: fake.url } } }),
      ],
    });
    app = await buildApp(registry);
    token = await signSandboxToken(subject(), secret);
  });
  afterAll(async () => {
    await app.close();
    await registry.close();
    await fake.close();
  });

  it('lists providers for the administrator, and only for them', async () => {
    const ok = await app.inject({
      url: '/api/mcp/providers',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(ok.json()).toEqual({
      providers: [{ name: 'local', configured: true, default: false }],
      defaultProvider: null,
    });
    const apps = await app.inject({
      url: '/api/mcp/apps',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(apps.json<{ apps: Array<{ id: string }> }>().apps.map((a) => a.id)).toEqual([
      'secrets',
      'tools',
    ]);
    expect(
      (
        await app.inject({
          url: '/api/mcp/providers',
          headers: { authorization: `Bearer ${token}` },
        })
      ).statusCode,
    ).toBe(401);
    const noFlow = await app.inject({
      method: 'POST',
      url: '/api/mcp/apps/tools/connect',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: {},
    });
    expect(noFlow.json()).toMatchObject({ error: { code: 'dynamiq.http.no_connect_flow' } });
  });

  it('lists the apps in scope, their tools, and calls a tool with a valid sandbox token', async () => {
    expect((await call('apps/list')).body).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { apps: [{ app: 'tools', provider: 'local', configured: true }] },
    });
    const tools = await call('tools/list', { app: 'tools' });
    expect(tools.body.result!.tools!.map((t: { name: string }) => t.name)).toEqual([
      'echo',
      'add',
      'slow',
    ]);
    expect(tools.body.result!.tools![0]!.annotations).toEqual({
      readOnlyHint: true,
      openWorldHint: false,
    });
    const sum = await call('tools/call', {
      app: 'tools',
      name: 'add',
      arguments: { a: 20, b: 22 },
    });
    expect(sum.status).toBe(200);
    expect(sum.body.result).toMatchObject({
      isError: false,
      structuredContent: { sum: 42 },
      text: '{"sum":42}',
    });
  });

  it('refuses a missing, expired, forged or administrator token with 401', async () => {
    const missing = await call('apps/list', undefined, '');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({
      code: PROXY_ERRORS.unauthorized,
      data: { code: 'missing_token' },
    });
    expect(missing.headers['www-authenticate']).toContain('Bearer');

    const expired = await signSandboxToken(subject(), secret, {
      now: new Date(Date.now() - 3600_000),
    });
    expect((await call('apps/list', undefined, expired)).body.error!.data).toEqual({
      code: 'expired',
    });
    const forged = await signSandboxToken(subject(), 'someone-elses-secret-0123456789abcdef');
    expect((await call('apps/list', undefined, forged)).body.error!.data).toEqual({
      code: 'invalid_signature',
    });
    const admin = await call('apps/list', undefined, adminToken);
    expect(admin.status).toBe(401);
    expect(admin.body.error!.data).toEqual({ code: 'malformed' });
    expect(fake.requests.filter((r) => r.headers.authorization)).toHaveLength(0);
  });

  it('refuses apps and operations outside the token scope', async () => {
    const outside = await call('tools/call', {
      app: 'secrets',
      name: 'echo',
      arguments: { message: 'x' },
    });
    expect(outside.status).toBe(200);
    expect(outside.body.error).toMatchObject({
      code: PROXY_ERRORS.forbidden,
      data: { code: 'forbidden_app', app: 'secrets' },
    });
    expect((await call('tools/list', { app: 'secrets' })).body.error!.data.code).toBe(
      'forbidden_app',
    );
    const readOnly = await signSandboxToken(subject({ operations: [MCP_OPERATIONS.list] }), secret);
    const denied = await call(
      'tools/call',
      { app: 'tools', name: 'echo', arguments: { message: 'x' } },
      readOnly,
    );
    expect(denied.body.error!.data.code).toBe('forbidden_operation');
    expect((await call('tools/list', { app: 'tools' }, readOnly)).body.result!.tools!).toHaveLength(
      3,
    );
  });

  it('answers bad input with the proper JSON-RPC errors', async () => {
    const parse = await rpc('{"jsonrpc":"2.0",');
    expect(parse.status).toBe(400);
    expect(parse.body).toMatchObject({ id: null, error: { code: PROXY_ERRORS.parseError } });
    const notRpc = await rpc({ hello: 'world' });
    expect(notRpc.status).toBe(400);
    expect(notRpc.body.error!.code).toBe(PROXY_ERRORS.invalidRequest);
    const batch = await rpc([{ jsonrpc: '2.0', id: 1, method: 'apps/list' }]);
    expect(batch.body.error!.message).toContain('batches are not supported');
    const unknown = await call('resources/read', {});
    expect(unknown.body.error).toMatchObject({ code: PROXY_ERRORS.methodNotFound });
    const params = await call('tools/call', { app: 'tools' });
    expect(params.body.error).toMatchObject({
      code: PROXY_ERRORS.invalidParams,
      data: { code: 'invalid_params' },
    });
    const args = await call('tools/call', {
      app: 'tools',
      name: 'add',
      arguments: { a: 'one', b: 2 },
    });
    expect(args.body.error).toMatchObject({
      code: PROXY_ERRORS.invalidParams,
      data: { code: 'invalid_arguments', app: 'tools', tool: 'add' },
    });
    const tool = await call('tools/call', { app: 'tools', name: 'nope', arguments: {} });
    expect(tool.body.error!.data.code).toBe('unknown_tool');
  });

  it('cancels the upstream call when the sandbox hangs up', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const calls = () => fake.requests.filter((r) => r.rpc.includes('tools/call')).length;
    const callsBefore = calls();
    const controller = new AbortController();
    const pending = fetch(`http://127.0.0.1:${port}/api/mcp/proxy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { app: 'tools', name: 'slow', arguments: { ms: 10_000 } },
      }),
      signal: controller.signal,
    }).catch(() => undefined);
    const deadline = Date.now() + 5_000;
    while (calls() === callsBefore) {
      if (Date.now() > deadline) throw new Error('the call never reached the server');
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = fake.cancelled.length;
    controller.abort();
    await pending;
    while (fake.cancelled.length === before) {
      if (Date.now() > deadline + 5_000) throw new Error('the server was never told to cancel');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

describe('MCP connect links', () => {
  // A provider with a hosted connect page that records where it was told to send the browser.
  const asked: Array<McpConnectOptions | undefined> = [];
  const hosted: McpProvider = {
    name: 'hosted',
    configured: true,
    knownApps: () => ['notes'],
    listTools: async () => [],
    callTool: async () => ({ content: [] }),
    onToolsChanged: () => () => {},
    connectLink: async (_target, options) => {
      asked.push(options);
      return { url: 'https://connect.provider.example/abc', expiresAt: undefined };
    },
    close: async () => {},
  };
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    app = await buildApp(new McpRegistry({ providers: [hosted] }));
  });
  afterAll(async () => {
    await app.close();
  });
  const connect = (payload: object) =>
    app.inject({
      method: 'POST',
      url: '/api/mcp/apps/notes/connect',
      headers: { authorization: `Bearer ${adminToken}` },
      payload,
    });

  it('refuses redirects to other sites (no open redirect through the provider page)', async () => {
    for (const evil of [
      'https://evil.example/phish',
      '//evil.example/phish',
      '/\\evil.example',
      'https://dynamiq.example.com.evil.example/',
      'https://user:pw@dynamiq.example.com/x',
      'javascript:alert(1)',
    ]) {
      for (const field of ['successRedirectUrl', 'errorRedirectUrl']) {
        const res = await connect({ [field]: evil });
        expect(res.statusCode, `${field}=${evil}`).toBe(400);
        expect(res.json()).toMatchObject({
          error: { code: 'dynamiq.http.invalid_request', message: expect.stringContaining(field) },
        });
      }
    }
    expect(asked).toEqual([]);
  });

  it('passes paths and URLs under PUBLIC_URL on, made absolute', async () => {
    const res = await connect({
      successRedirectUrl: '/integrations?connected=notes',
      errorRedirectUrl: `${PUBLIC_URL}/integrations?failed=notes`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ url: 'https://connect.provider.example/abc' });
    expect(asked.at(-1)).toEqual({
      successRedirectUrl: `${PUBLIC_URL}/integrations?connected=notes`,
      errorRedirectUrl: `${PUBLIC_URL}/integrations?failed=notes`,
    });
  });

  // Found by the API fuzz test: an app whose provider lacks its settings answered 500.
  it("answers 409 naming what to set when the app's provider is not configured", async () => {
    const unconfigured = await buildApp(
      new McpRegistry({
        providers: [new ComposioProvider({ apiKey: undefined })],
        defaultProvider: 'composio',
      }),
    );
    try {
      const res = await unconfigured.inject({
        method: 'POST',
        url: '/api/mcp/apps/confluence/connect',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: {},
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        error: {
          code: 'dynamiq.http.provider_not_configured',
          message: expect.stringContaining('COMPOSIO_API_KEY'),
        },
      });
    } finally {
      await unconfigured.close();
    }
  });
});
