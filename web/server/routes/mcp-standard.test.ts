import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalProvider, McpRegistry, PROXY_ERRORS } from '../../../mcp/index.js';
import { createLogger } from '../../../lib/logging.js';
import {
  MCP_OPERATIONS,
  SANDBOX_ENV,
  SANDBOX_OPERATIONS,
  brokerSandboxEnv,
  signSandboxToken,
} from '../../../lib/sandbox-access/index.js';
import type { SandboxTokenSubject } from '../../../lib/sandbox-access/index.js';
import { everythingStdio } from '../../../test/fakes/mcp/everything.js';
import { errorHandler } from '../errors.js';
import { mcpProxyRoutes } from './mcp.js';

const secret = 'standard-mcp-test-secret-0123456789abcdef';

const subject = (overrides: Partial<SandboxTokenSubject['scopes']> = {}): SandboxTokenSubject => ({
  userId: 'user-1',
  conversationId: 'conv-1',
  sandboxId: 'sbx-1',
  scopes: {
    apps: ['everything'],
    operations: [MCP_OPERATIONS.list, MCP_OPERATIONS.call],
    ...overrides,
  },
});

interface AuditLine {
  msg: string;
  userId?: string;
  sandboxId?: string;
  jti?: string;
  mcpProxy?: { method: string; app?: string; tool?: string; outcome: string; endpoint?: string };
}

// The reference server from npm (server-everything over stdio, started by the local provider),
// reached by the SDK's own client through the api on a loopback port.
describe('standard MCP endpoint for sandboxes (/api/mcp/sandbox/{app}/mcp)', () => {
  const lines: AuditLine[] = [];
  const log = createLogger('info', 'test', {
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as AuditLine) },
  });
  let registry: McpRegistry;
  let app: FastifyInstance;
  let base: string;
  const clients: Client[] = [];

  const audits = () => lines.filter((l) => l.msg === 'mcp proxy request');
  const endpoint = (name = 'everything') => new URL(`${base}/${name}/mcp`);
  const connect = async (token: string, name = 'everything') => {
    const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(
      new StreamableHTTPClientTransport(endpoint(name), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  /** The HTTP status of a refused connection, from the SDK client's error. */
  const refusal = async (token: string, name = 'everything') => {
    const err: unknown = await connect(token, name).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    return err as StreamableHTTPError;
  };
  const post = (token: string | undefined, name = 'everything') =>
    fetch(endpoint(name), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  beforeAll(async () => {
    registry = new McpRegistry({
      providers: [
        new LocalProvider({ servers: { everything: everythingStdio, other: everythingStdio } }),
      ],
    });
    // As buildServer does: the client that hangs up leaves a socket with no complete request on
    // it, which close() would otherwise wait for until Node's headersTimeout (60 s).
    app = Fastify({ forceCloseConnections: true });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(errorHandler(log));
    app.removeContentTypeParser('text/plain');
    await app.register(async (scope) =>
      mcpProxyRoutes(scope, { mcp: registry, jwtSecret: secret, log }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    // Where a sandbox is told the endpoints are.
    base = brokerSandboxEnv({ brokerUrl: `http://127.0.0.1:${port}/`, token: 'x' })[
      SANDBOX_ENV.mcpUrl
    ]!;
  }, 30_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await app.close();
    await registry.close();
  });

  it('tells sandboxes where it is', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/mcp\/sandbox$/);
  });

  it("lists and calls a reference server's tools with the official SDK client and a sandbox token", async () => {
    const token = await signSandboxToken(subject(), secret);
    const client = await connect(token);
    expect(client.getServerVersion()?.name).toBe('dynamiq-everything');
    expect(client.getServerCapabilities()?.tools).toBeDefined();

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(tools.find((t) => t.name === 'get-sum')).toMatchObject({
      description: 'Returns the sum of two numbers',
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: true },
    });

    const echo = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(echo).toMatchObject({
      isError: false,
      content: [{ type: 'text', text: 'Echo: hello' }],
    });
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } });
    expect(sum.content).toEqual([{ type: 'text', text: 'The sum of 20 and 22 is 42.' }]);

    // A tool-level refusal upstream is the same JSON-RPC error as in the private dialect.
    const unknown: unknown = await client.callTool({ name: 'no-such-tool', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(McpError);
    expect(unknown).toMatchObject({
      code: PROXY_ERRORS.invalidParams,
      data: { code: 'unknown_tool', app: 'everything', tool: 'no-such-tool' },
    });

    const forwarded = audits().filter((l) => l.mcpProxy?.endpoint === 'standard');
    expect(
      forwarded.map((l) => [l.mcpProxy!.method, l.mcpProxy!.tool, l.mcpProxy!.outcome]),
    ).toEqual([
      ['tools/list', undefined, 'ok'],
      ['tools/call', 'echo', 'ok'],
      ['tools/call', 'get-sum', 'ok'],
      ['tools/call', 'no-such-tool', 'unknown_tool'],
    ]);
    expect(forwarded[0]).toMatchObject({
      userId: 'user-1',
      sandboxId: 'sbx-1',
      mcpProxy: { app: 'everything' },
    });
    expect(forwarded[0]!.jti).toEqual(expect.any(String));
  });

  it('refuses a missing, forged or expired token with 401 and www-authenticate: Bearer', async () => {
    const callTool = vi.spyOn(registry, 'callTool');
    const listTools = vi.spyOn(registry, 'listTools');
    const forged = await signSandboxToken(subject(), 'someone-elses-secret-0123456789abcdef');
    const expired = await signSandboxToken(subject(), secret, {
      now: new Date(Date.now() - 3600_000),
    });
    expect((await refusal(forged)).code).toBe(401);
    expect((await refusal(expired)).code).toBe(401);
    for (const [token, code] of [
      [undefined, 'dynamiq.http.missing_token'],
      [forged, 'dynamiq.sandbox_token.invalid_signature'],
      [expired, 'dynamiq.sandbox_token.expired'],
      ['not-a-jwt', 'dynamiq.sandbox_token.malformed'],
    ] as const) {
      const res = await post(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toMatchObject({ error: { code } });
    }
    expect(callTool).not.toHaveBeenCalled();
    expect(listTools).not.toHaveBeenCalled();
    expect(
      audits()
        .slice(-4)
        .map((l) => l.mcpProxy!.outcome),
    ).toEqual(['missing_token', 'invalid_signature', 'expired', 'malformed']);
  });

  it('refuses an app outside the token scope, and a token without MCP operations, with 403', async () => {
    const callTool = vi.spyOn(registry, 'callTool');
    const listTools = vi.spyOn(registry, 'listTools');
    const otherApp = await signSandboxToken(subject({ apps: ['other'] }), secret);
    expect((await refusal(otherApp)).code).toBe(403);
    // The app exists and the token is valid for another one: still refused.
    const wrongApp = await signSandboxToken(subject(), secret);
    expect((await refusal(wrongApp, 'other')).code).toBe(403);
    const res = await post(otherApp);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(await res.json()).toMatchObject({ error: { code: 'dynamiq.http.forbidden_app' } });

    const cloudOnly = await signSandboxToken(
      subject({ operations: [SANDBOX_OPERATIONS.awsCredentials] }),
      secret,
    );
    const noOps = await post(cloudOnly);
    expect(noOps.status).toBe(403);
    expect(await noOps.json()).toMatchObject({
      error: { code: 'dynamiq.http.forbidden_operation' },
    });
    expect(callTool).not.toHaveBeenCalled();
    expect(listTools).not.toHaveBeenCalled();
    expect(
      audits()
        .slice(-4)
        .map((l) => [l.mcpProxy!.app, l.mcpProxy!.outcome]),
    ).toEqual([
      ['everything', 'forbidden_app'],
      ['other', 'forbidden_app'],
      ['everything', 'forbidden_app'],
      ['everything', 'forbidden_operation'],
    ]);
  });

  it('refuses tools/call to a token without mcp:call, and calls nothing', async () => {
    const callTool = vi.spyOn(registry, 'callTool');
    const readOnly = await signSandboxToken(subject({ operations: [MCP_OPERATIONS.list] }), secret);
    const client = await connect(readOnly);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const denied: unknown = await client
      .callTool({ name: 'echo', arguments: { message: 'x' } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(denied).toBeInstanceOf(McpError);
    expect(denied).toMatchObject({
      code: PROXY_ERRORS.forbidden,
      data: { code: 'forbidden_operation' },
    });
    expect((denied as Error).message).toContain('does not allow mcp:call');
    expect(callTool).not.toHaveBeenCalled();
    expect(audits().at(-1)!.mcpProxy).toMatchObject({
      method: 'tools/call',
      tool: 'echo',
      outcome: 'forbidden_operation',
      endpoint: 'standard',
    });

    // And a token with mcp:call only may call, not list.
    const callOnly = await signSandboxToken(subject({ operations: [MCP_OPERATIONS.call] }), secret);
    const caller = await connect(callOnly);
    await expect(caller.listTools()).rejects.toMatchObject({
      code: PROXY_ERRORS.forbidden,
      data: { code: 'forbidden_operation' },
    });
    expect(await caller.callTool({ name: 'echo', arguments: { message: 'y' } })).toMatchObject({
      content: [{ type: 'text', text: 'Echo: y' }],
    });
  });

  it('cancels the upstream call when the sandbox hangs up', async () => {
    const callTool = vi.spyOn(registry, 'callTool');
    const client = await connect(await signSandboxToken(subject(), secret));
    const pending = client
      .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 2 } })
      .catch((e: unknown) => e);
    const deadline = Date.now() + 5_000;
    while (callTool.mock.calls.length === 0) {
      if (Date.now() > deadline) throw new Error('the call never reached the registry');
      await new Promise((r) => setTimeout(r, 20));
    }
    const signal = callTool.mock.calls[0]![4]!.signal!;
    expect(signal.aborted).toBe(false);
    await client.close();
    await pending;
    while (!signal.aborted) {
      if (Date.now() > deadline) throw new Error('the upstream call was never cancelled');
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(callTool.mock.results[0]!.value).rejects.toMatchObject({
      code: 'dynamiq.mcp.cancelled',
    });
    while (audits().at(-1)?.mcpProxy?.outcome !== 'cancelled') {
      if (Date.now() > deadline) throw new Error('the cancelled call was never audited');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('has no event stream or sessions: GET and DELETE are 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(endpoint(), { method, headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });
});
