import { ErrorCode, McpError as SdkMcpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp } from '../test/fakes/mcp/everything.js';
import type { EverythingHttp } from '../test/fakes/mcp/everything.js';
import { startFakeMcpServer } from '../test/fakes/mcp/fake-server.js';
import type { FakeTool } from '../test/fakes/mcp/fake-server.js';
import {
  addTool,
  bigTool,
  echoTool,
  failTool,
  manyTools,
  slowTool,
} from '../test/fakes/mcp/tools.js';
import { LocalProvider, McpRegistry } from './index.js';
import type { McpProgress } from './index.js';

const crashTool: FakeTool = {
  name: 'crash',
  inputSchema: { type: 'object' },
  run: () => {
    throw new SdkMcpError(ErrorCode.InternalError, 'database connection lost');
  },
};

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('server-everything over HTTP (a real server from npm, loopback only)', () => {
  let http: EverythingHttp;
  let sse: EverythingHttp;
  let registry: McpRegistry;

  beforeAll(async () => {
    [http, sse] = await Promise.all([
      startEverythingHttp('streamableHttp'),
      startEverythingHttp('sse'),
    ]);
    registry = new McpRegistry({
      providers: [
        new LocalProvider({ servers: { everything: { url: http.url }, legacy: { url: sse.url } } }),
      ],
    });
  });
  afterAll(async () => {
    await registry.close();
    await Promise.all([http.close(), sse.close()]);
  });

  it('lists tools and calls them with arguments and progress over Streamable HTTP', async () => {
    const tools = await registry.listTools('u1', 'everything');
    expect(tools.map((t) => t.name)).toContain('get-sum');
    const sum = await registry.callTool('u1', 'everything', 'get-sum', { a: 1.5, b: 2 });
    expect(sum.text).toBe('The sum of 1.5 and 2 is 3.5.');
    const progress: McpProgress[] = [];
    await registry.callTool(
      'u1',
      'everything',
      'trigger-long-running-operation',
      { duration: 0.3, steps: 3 },
      { onProgress: (p) => progress.push(p) },
    );
    expect(progress.length).toBeGreaterThanOrEqual(2);
  });

  it('re-establishes the session transparently after the server restarts and forgets it', async () => {
    await registry.callTool('u1', 'everything', 'echo', { message: 'before' });
    await http.restart();
    const after = await registry.callTool('u1', 'everything', 'echo', { message: 'after restart' });
    expect(after.text).toBe('Echo: after restart');
  });

  it('falls back to the older HTTP+SSE transport when the first POST gets a 4xx', async () => {
    const result = await registry.callTool('u1', 'legacy', 'echo', { message: 'over sse' });
    expect(result.text).toBe('Echo: over sse');
    await expect(
      registry.callTool('u2', 'legacy', 'get-sum', { a: 1, b: 1 }),
    ).resolves.toMatchObject({
      text: 'The sum of 1 and 1 is 2.',
    });
  });
});

describe('a controllable MCP server over Streamable HTTP', () => {
  let fake: Awaited<ReturnType<typeof startFakeMcpServer>>;
  let registry: McpRegistry;
  let now = 0;

  beforeAll(async () => {
    fake = await startFakeMcpServer({
      tools: () => [echoTool(), addTool, slowTool, bigTool, failTool, crashTool, ...manyTools(30)],
      pageSize: 7,
    });
    registry = new McpRegistry({
      providers: [new LocalProvider({ servers: { fake: { url: fake.url } } })],
      toolCacheTtlMs: 60_000,
      maxResultChars: 1_000,
      now: () => now,
    });
  });
  afterAll(async () => {
    await registry.close();
    await fake.close();
  });

  const listRequests = () => fake.requests.filter((r) => r.rpc.includes('tools/list')).length;

  it('follows nextCursor through every page and caches the list until its TTL', async () => {
    const before = listRequests();
    const tools = await registry.listTools('u1', 'fake');
    expect(tools).toHaveLength(36);
    expect(new Set(tools.map((t) => t.name)).size).toBe(36);
    expect(listRequests() - before).toBe(6);
    await registry.listTools('u1', 'fake');
    await registry.callTool('u1', 'fake', 'echo', { message: 'warm' });
    expect(listRequests() - before).toBe(6);
    now += 60_001;
    await registry.listTools('u1', 'fake');
    expect(listRequests() - before).toBe(12);
  });

  it('refreshes the cached list when the server sends notifications/tools/list_changed', async () => {
    await registry.listTools('u1', 'fake');
    const before = listRequests();
    await fake.addTool(echoTool('shout', () => 'LOUD: '));
    await until(() => listRequests() > before);
    await until(async () =>
      (await registry.listTools('u1', 'fake')).some((t) => t.name === 'shout'),
    );
    const result = await registry.callTool('u1', 'fake', 'shout', { message: 'hi' });
    expect(result.text).toBe('LOUD: hi');
  });

  it('keeps structured content and reports tool-level failures as results, not exceptions', async () => {
    const sum = await registry.callTool('u1', 'fake', 'add', { a: 2, b: 3 });
    expect(sum.structuredContent).toEqual({ sum: 5 });
    const failed = await registry.callTool('u1', 'fake', 'fail', {});
    expect(failed).toMatchObject({ isError: true, text: 'upstream API said no' });
  });

  it('turns a JSON-RPC error from the server into server_error with its code', async () => {
    await expect(registry.callTool('u1', 'fake', 'crash', {})).rejects.toMatchObject({
      code: 'dynamiq.mcp.server_error',
      serverCode: ErrorCode.InternalError,
      message: expect.stringContaining('database connection lost'),
    });
  });

  it('truncates an oversized result with a note saying so', async () => {
    const result = await registry.callTool('u1', 'fake', 'big', { chars: 5_000 });
    expect(result.truncated).toBe(true);
    expect(result.totalChars).toBe(5_000);
    expect(result.text).toMatch(/^x{1000}\n\n\[truncated: showing 1000 of 5000 characters/);
    expect(result.content).toEqual([{ type: 'text', text: 'x'.repeat(1_000) }]);
  });

  it('sends notifications/cancelled to the server when the caller aborts', async () => {
    const controller = new AbortController();
    const call = registry.callTool(
      'u1',
      'fake',
      'slow',
      { ms: 5_000 },
      {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      },
    );
    await expect(call).rejects.toMatchObject({ code: 'dynamiq.mcp.cancelled', tool: 'slow' });
    await until(() => fake.requests.some((r) => r.rpc.includes('notifications/cancelled')));
    await until(() => fake.cancelled.length > 0);
  });

  it('times out, telling the server to cancel, and keeps the session usable', async () => {
    const before = fake.cancelled.length;
    await expect(
      registry.callTool(
        'u1',
        'fake',
        'slow',
        { ms: 3_000 },
        { timeoutMs: 100, maxTotalTimeoutMs: 300 },
      ),
    ).rejects.toMatchObject({ code: 'dynamiq.mcp.timeout' });
    await until(() => fake.cancelled.length > before);
    await expect(registry.callTool('u1', 'fake', 'echo', { message: 'ok' })).resolves.toMatchObject(
      { text: 'ok' },
    );
  });

  it('re-establishes a session the server answers 404 for, once, without the caller noticing', async () => {
    await registry.callTool('u1', 'fake', 'echo', { message: 'one' });
    const opened = fake.sessionsOpened;
    await fake.expireSessions();
    await expect(
      registry.callTool('u1', 'fake', 'echo', { message: 'two' }),
    ).resolves.toMatchObject({
      text: 'two',
    });
    expect(fake.sessionsOpened).toBe(opened + 1);
  });

  it('says the server is unavailable when nothing listens', async () => {
    const reg = new McpRegistry({
      providers: [new LocalProvider({ servers: { gone: { url: 'http://127.0.0.1:9/mcp' } } })],
    });
    await expect(reg.listTools('u1', 'gone')).rejects.toMatchObject({
      code: 'dynamiq.mcp.unavailable',
    });
    await reg.close();
  });
});
