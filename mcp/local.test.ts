import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVERYTHING_SCRIPT, everythingStdio } from '../test/fakes/mcp/everything.js';
import {
  LLM_TOOL_NAME,
  LocalProvider,
  McpError,
  McpRegistry,
  createMcpRegistry,
  parseLocalServers,
} from './index.js';
import type { McpProgress } from './index.js';

const KILL_MARKER = path.join(os.tmpdir(), `mcp-mortal-${process.pid}`);

// Real reference servers from npm, started by the provider as stdio child processes.
describe('local stdio servers (server-everything, server-memory)', () => {
  let local: LocalProvider;
  let registry: McpRegistry;

  beforeAll(() => {
    local = new LocalProvider({
      servers: {
        everything: everythingStdio,
        // Exits when the marker file exists, to show a dead server process is replaced.
        mortal: {
          command: process.execPath,
          args: [
            '--input-type=module',
            '-e',
            `import fs from 'node:fs';
             setInterval(() => fs.existsSync(${JSON.stringify(KILL_MARKER)}) && process.exit(1), 20);
             await import(${JSON.stringify(EVERYTHING_SCRIPT)});`,
          ],
        },
        missing: { command: '/nonexistent/mcp-server' },
      },
    });
    registry = new McpRegistry({ providers: [local], maxResultChars: 2_000 });
  });
  afterAll(() => registry.close());

  it('lists the tools with their annotations and turns them into valid, callable LLM tools', async () => {
    const tools = await registry.listTools('u1', 'everything');
    const sum = tools.find((t) => t.name === 'get-sum');
    expect(sum).toMatchObject({
      app: 'everything',
      description: 'Returns the sum of two numbers',
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    });
    const set = await registry.llmTools('u1', ['everything']);
    expect(set.unavailable).toEqual([]);
    for (const t of set.tools) expect(t.function.name).toMatch(LLM_TOOL_NAME);
    const name = set.nameOf('everything', 'get-sum')!;
    expect(name).toBe('everything__get-sum');
    const result = await registry.callLlmTool('u1', set, name, '{"a":2,"b":40}');
    expect(result.text).toBe('The sum of 2 and 40 is 42.');
  });

  it('calls a tool with arguments over one reused session per user', async () => {
    const first = await registry.callTool('u1', 'everything', 'echo', { message: 'hello' });
    expect(first).toMatchObject({ isError: false, text: 'Echo: hello', truncated: false });
    await registry.callTool('u1', 'everything', 'echo', { message: 'again' });
    expect(local.openSessions).toBe(1);
    await registry.callTool('u2', 'everything', 'echo', { message: 'other user' });
    expect(local.openSessions).toBe(2);
  });

  it('passes progress notifications of a long-running operation to onProgress', async () => {
    const progress: McpProgress[] = [];
    const result = await registry.callTool(
      'u1',
      'everything',
      'trigger-long-running-operation',
      { duration: 0.5, steps: 5 },
      { onProgress: (p) => progress.push(p) },
    );
    expect(result.text).toContain('Long running operation completed');
    // The SDK handles notifications a tick after responses, so the last one may lose the race.
    expect([1, 2, 3, 4, 5].slice(0, progress.length)).toEqual(progress.map((p) => p.progress));
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((p) => p.total === 5)).toBe(true);
  });

  it('rejects invalid arguments before sending anything', async () => {
    const send = vi.spyOn(local, 'callTool');
    const err = await registry
      .callTool('u1', 'everything', 'get-sum', { a: 'two', b: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({
      code: 'dynamiq.mcp.invalid_arguments',
      app: 'everything',
      tool: 'get-sum',
    });
    expect((err as Error).message).toContain('a must be number');
    const missing = await registry
      .callTool('u1', 'everything', 'get-sum', { a: 1 })
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain("must have required property 'b'");
    expect(send).not.toHaveBeenCalled();
    send.mockRestore();
  });

  it('answers unknown apps and tools with typed errors', async () => {
    await expect(registry.callTool('u1', 'nope', 'echo', {})).rejects.toMatchObject({
      code: 'dynamiq.mcp.unknown_app',
    });
    await expect(registry.callTool('u1', 'everything', 'no-such-tool', {})).rejects.toMatchObject({
      code: 'dynamiq.mcp.unknown_tool',
      message: expect.stringContaining('echo'),
    });
  });

  it('cancels a running call through its AbortSignal', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const call = registry.callTool(
      'u1',
      'everything',
      'trigger-long-running-operation',
      { duration: 20, steps: 100 },
      { signal: controller.signal, onProgress: () => controller.abort() },
    );
    await expect(call).rejects.toMatchObject({ code: 'dynamiq.mcp.cancelled' });
    expect(performance.now() - started).toBeLessThan(3_000);
    // The session survives a cancelled call.
    await expect(
      registry.callTool('u1', 'everything', 'echo', { message: 'still here' }),
    ).resolves.toMatchObject({
      text: 'Echo: still here',
    });
  });

  it('times out a call that gets no answer and no progress', async () => {
    await expect(
      registry.callTool(
        'u1',
        'everything',
        'trigger-long-running-operation',
        { duration: 5, steps: 1 },
        { timeoutMs: 300 },
      ),
    ).rejects.toMatchObject({ code: 'dynamiq.mcp.timeout', timeoutMs: 300 });
  });

  it('bounds large results: binary content described, not inlined, past the limit', async () => {
    const result = await registry.callTool(
      'u1',
      'everything',
      'get-tiny-image',
      {},
      { maxResultChars: 100 },
    );
    expect(result.truncated).toBe(true);
    expect(JSON.stringify(result.content).length).toBeLessThan(1_000);
    expect(result.text).toMatch(/\[image image\/png, \d+ bytes\]/);
  });

  it('replaces a server process that died, on the next call', async () => {
    await registry.callTool('u1', 'mortal', 'echo', { message: 'one' });
    const open = local.openSessions;
    await fs.writeFile(KILL_MARKER, '');
    while (local.openSessions === open) await new Promise((r) => setTimeout(r, 20));
    await fs.rm(KILL_MARKER);
    const again = await registry.callTool('u1', 'mortal', 'echo', { message: 'two' });
    expect(again.text).toBe('Echo: two');
  });

  it('says clearly when a command cannot be started', async () => {
    const err = await registry.listTools('u1', 'missing').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'dynamiq.mcp.unavailable', app: 'missing' });
    expect((err as Error).message).toMatch(/ENOENT|Could not start/);
  });

  it('closes idle sessions and reopens them on demand', async () => {
    const quick = new LocalProvider({
      servers: { everything: everythingStdio },
      idleTimeoutMs: 150,
    });
    const reg = new McpRegistry({ providers: [quick] });
    try {
      await reg.callTool('u1', 'everything', 'echo', { message: 'x' });
      expect(quick.openSessions).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(quick.openSessions).toBe(0);
      await expect(
        reg.callTool('u1', 'everything', 'echo', { message: 'y' }),
      ).resolves.toMatchObject({
        text: 'Echo: y',
      });
    } finally {
      await reg.close();
    }
  });
});

describe('MCP_LOCAL_SERVERS', () => {
  it('runs node_modules/.bin/mcp-server-memory from JSON config, one knowledge graph per user', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-memory-'));
    const bin = path.resolve('node_modules/.bin/mcp-server-memory');
    const registry = createMcpRegistry({
      localServers: parseLocalServers(
        JSON.stringify({
          memory: { command: bin, env: { MEMORY_FILE_PATH: path.join(dir, 'graph.jsonl') } },
        }),
      ),
    });
    try {
      expect(registry.providers().find((p) => p.name === 'local')).toMatchObject({
        configured: true,
      });
      await registry.callTool('alice', 'memory', 'create_entities', {
        entities: [
          { name: 'prod-db', entityType: 'database', observations: ['runs PostgreSQL 15'] },
        ],
      });
      const graph = await registry.callTool('alice', 'memory', 'read_graph', {});
      expect(graph.text).toContain('runs PostgreSQL 15');
    } finally {
      await registry.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed JSON or entries with a message naming the variable', () => {
    expect(() => parseLocalServers('{not json')).toThrow(/MCP_LOCAL_SERVERS is not valid JSON/);
    expect(() => parseLocalServers('{"x":{"args":["a"]}}')).toThrow(/MCP_LOCAL_SERVERS x/);
    expect(() => new LocalProvider({ servers: { 'Bad Name': { command: 'x' } } })).toThrow(
      /lower-case/,
    );
  });
});
