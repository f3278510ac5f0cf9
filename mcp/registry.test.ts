import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { McpRegistry, McpUnavailableError } from './index.js';
import type { McpProvider, McpTarget } from './index.js';

/** An in-memory provider: no transport, so these tests are about the registry alone. */
function stubProvider(
  name: string,
  opts: { apps?: string[]; tools?: Tool[]; configured?: boolean } = {},
) {
  const lists: McpTarget[] = [];
  const calls: Array<{ target: McpTarget; name: string; args: Record<string, unknown> }> = [];
  let tools = opts.tools ?? [
    {
      name: 'echo',
      inputSchema: { type: 'object', properties: { m: { type: 'string' } }, required: ['m'] },
    },
  ];
  const provider: McpProvider & {
    lists: McpTarget[];
    calls: typeof calls;
    setTools(t: Tool[]): void;
  } = {
    name,
    configured: opts.configured ?? true,
    lists,
    calls,
    setTools: (t) => (tools = t),
    knownApps: () => opts.apps,
    async listTools(target) {
      lists.push(target);
      await new Promise((r) => setTimeout(r, 10));
      if (target.app === 'broken') throw new McpUnavailableError('down', { app: 'broken' });
      return tools;
    },
    async callTool(target, toolName, args): Promise<CallToolResult> {
      calls.push({ target, name: toolName, args });
      return { content: [{ type: 'text', text: `${name}:${target.slug}:${toolName}` }] };
    },
    onToolsChanged: () => () => {},
    close: async () => {},
  };
  return provider;
}

describe('McpRegistry', () => {
  it('resolves an app by binding first, then a provider that knows it, then the default', async () => {
    const pipedream = stubProvider('pipedream');
    const local = stubProvider('local', { apps: ['memory'] });
    const registry = new McpRegistry({
      providers: [pipedream, local],
      defaultProvider: 'pipedream',
      apps: { linear: { provider: 'pipedream', slug: 'linear_app' } },
    });
    expect(registry.resolve('u', 'linear').target).toEqual({
      userId: 'u',
      app: 'linear',
      slug: 'linear_app',
    });
    expect(registry.resolve('u', 'memory').provider.name).toBe('local');
    expect(registry.resolve('u', 'notion').provider.name).toBe('pipedream');
    expect(registry.providers()).toEqual([
      { name: 'pipedream', configured: true, default: true },
      { name: 'local', configured: true, default: false },
    ]);
    expect(registry.apps().map((a) => a.id)).toEqual(['linear', 'memory']);
    const r = await registry.callTool('u', 'linear', 'echo', { m: 'x' });
    expect(r.text).toBe('pipedream:linear_app:echo');
  });

  it('without a default, names the known apps for an unknown one', () => {
    const registry = new McpRegistry({
      providers: [stubProvider('local', { apps: ['memory', 'files'] })],
    });
    expect(() => registry.resolve('u', 'jira')).toThrow(
      /No MCP provider serves the app "jira". Known apps: files, memory/,
    );
  });

  it('refuses inconsistent configuration at construction', () => {
    const p = stubProvider('pipedream');
    expect(() => new McpRegistry({ providers: [p, stubProvider('pipedream')] })).toThrow(
      /Two MCP providers/,
    );
    expect(() => new McpRegistry({ providers: [p], defaultProvider: 'composio' })).toThrow(
      /MCP_DEFAULT_PROVIDER/,
    );
    expect(() => new McpRegistry({ providers: [p], apps: { x: { provider: 'nope' } } })).toThrow(
      /unknown MCP provider/,
    );
  });

  it('shares one tool-list request among concurrent callers', async () => {
    const p = stubProvider('local', { apps: ['a'] });
    const registry = new McpRegistry({ providers: [p] });
    await Promise.all([
      registry.listTools('u', 'a'),
      registry.listTools('u', 'a'),
      registry.callTool('u', 'a', 'echo', { m: '' }),
    ]);
    expect(p.lists).toHaveLength(1);
  });

  it('looks once more for a tool added since the list was cached', async () => {
    const p = stubProvider('local', { apps: ['a'] });
    const registry = new McpRegistry({ providers: [p] });
    await registry.listTools('u', 'a');
    p.setTools([{ name: 'fresh', inputSchema: { type: 'object' } }]);
    await expect(registry.callTool('u', 'a', 'fresh', {})).resolves.toMatchObject({
      tool: 'fresh',
    });
    await expect(registry.callTool('u', 'a', 'gone', {})).rejects.toMatchObject({
      code: 'dynamiq.mcp.unknown_tool',
    });
    expect(p.lists).toHaveLength(3);
  });

  it('rejects arguments that are not an object, or not JSON, before the provider sees them', async () => {
    const p = stubProvider('local', { apps: ['a'] });
    const registry = new McpRegistry({ providers: [p] });
    await expect(registry.callTool('u', 'a', 'echo', [] as never)).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_arguments',
    });
    const set = await registry.llmTools('u', ['a']);
    await expect(registry.callLlmTool('u', set, 'a__echo', '{"m":')).rejects.toMatchObject({
      code: 'dynamiq.mcp.invalid_arguments',
      message: expect.stringContaining('not valid JSON'),
    });
    await expect(registry.callLlmTool('u', set, 'a__nope', '{}')).rejects.toMatchObject({
      code: 'dynamiq.mcp.unknown_tool',
    });
    await expect(registry.callLlmTool('u', set, 'a__echo', '{"m":"ok"}')).resolves.toMatchObject({
      isError: false,
    });
    expect(p.calls).toHaveLength(1);
  });

  it('still sends calls for tools whose schema ajv cannot compile (the server validates)', async () => {
    const p = stubProvider('local', {
      apps: ['a'],
      tools: [
        { name: 'odd', inputSchema: { type: 'object', properties: { x: { $ref: '#/nowhere' } } } },
      ],
    });
    const registry = new McpRegistry({ providers: [p] });
    await expect(registry.callTool('u', 'a', 'odd', { x: 1 })).resolves.toMatchObject({
      tool: 'odd',
    });
  });

  it('builds a turn tool set from several apps and reports the ones that failed', async () => {
    const registry = new McpRegistry({
      providers: [stubProvider('local', { apps: ['a', 'broken'] })],
    });
    const set = await registry.llmTools('u', ['a', 'broken']);
    expect(set.tools.map((t) => t.function.name)).toEqual(['a__echo']);
    expect(set.unavailable).toEqual([
      { app: 'broken', error: expect.objectContaining({ code: 'dynamiq.mcp.unavailable' }) },
    ]);
  });
});
