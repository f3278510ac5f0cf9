import { describe, expect, it } from 'vitest';
import { LLM_TOOL_NAME, boundResult, buildLlmToolSet, toolHints } from './index.js';
import type { McpToolInfo } from './index.js';

const tool = (app: string, name: string, extra: Partial<McpToolInfo> = {}): McpToolInfo => ({
  app,
  name,
  title: undefined,
  description: `does ${name}`,
  inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
  outputSchema: undefined,
  annotations: {},
  ...extra,
});

describe('LLM tool names', () => {
  it('keeps <app>__<tool> when valid and maps every name back to its tool', () => {
    const set = buildLlmToolSet([tool('linear', 'create_issue'), tool('sentry', 'search-issues')]);
    expect(set.tools.map((t) => t.function.name)).toEqual([
      'linear__create_issue',
      'sentry__search-issues',
    ]);
    expect(set.resolve('sentry__search-issues')).toMatchObject({
      app: 'sentry',
      name: 'search-issues',
    });
    expect(set.nameOf('linear', 'create_issue')).toBe('linear__create_issue');
    expect(set.resolve('made_up')).toBeUndefined();
  });

  it('shortens long or odd names deterministically with a hash, always within the pattern', () => {
    const long = 'x'.repeat(80);
    const tools = [
      tool('jira', long),
      tool('notion', 'pages/search'),
      tool('notion', 'pages.search'),
      tool('app', 'ünïcode tool'),
    ];
    const first = buildLlmToolSet(tools);
    const second = buildLlmToolSet([...tools].reverse());
    for (const t of first.tools) expect(t.function.name).toMatch(LLM_TOOL_NAME);
    expect(new Set(first.tools.map((t) => t.function.name)).size).toBe(4);
    for (const t of tools) expect(first.nameOf(t.app, t.name)).toBe(second.nameOf(t.app, t.name));
    expect(first.nameOf('jira', long)).toMatch(/^jira__x+_[0-9a-f]{8}$/);
    expect(first.nameOf('jira', long)!.length).toBe(64);
    // `/` and `.` both clean to `_`, so the two tools are told apart by their hashes.
    expect(first.nameOf('notion', 'pages/search')).not.toBe(first.nameOf('notion', 'pages.search'));
    expect(first.resolve(first.nameOf('notion', 'pages.search')!)?.name).toBe('pages.search');
  });

  it('never lets two tools share a name, even when one plain name equals another cleaned one', () => {
    const set = buildLlmToolSet([
      tool('a', 'b__c'),
      tool('a__b', 'c'),
      tool('a', 'b_c'),
      tool('a', 'b.c'),
    ]);
    const names = set.tools.map((t) => t.function.name);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name).toMatch(LLM_TOOL_NAME);
    for (const t of set.tools)
      expect(
        set.nameOf(set.resolve(t.function.name)!.app, set.resolve(t.function.name)!.name),
      ).toBe(t.function.name);
  });

  it('gives OpenAI function tools: object parameters without $schema, app-tagged descriptions', () => {
    const [fn] = buildLlmToolSet([
      tool('everything', 'echo', {
        inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
        description: 'y'.repeat(2_000),
      }),
    ]).tools;
    expect(fn).toMatchObject({
      type: 'function',
      function: { parameters: { type: 'object', properties: {} } },
    });
    expect(fn!.function.parameters).not.toHaveProperty('$schema');
    expect(fn!.function.description.startsWith('[everything] ')).toBe(true);
    expect(fn!.function.description.length).toBe(1024);
  });
});

describe('tool hints for the approval policy', () => {
  it("fills in the spec's cautious defaults", () => {
    expect(toolHints({})).toEqual({
      readOnly: false,
      destructive: true,
      idempotent: false,
      openWorld: true,
    });
    expect(toolHints({ readOnlyHint: true, openWorldHint: false })).toEqual({
      readOnly: true,
      destructive: false,
      idempotent: true,
      openWorld: false,
    });
    expect(toolHints({ destructiveHint: false, idempotentHint: true })).toMatchObject({
      destructive: false,
      idempotent: true,
    });
  });
});

describe('result bounding', () => {
  it('leaves small results alone and renders every block as text', () => {
    const r = boundResult('a', 't', {
      content: [
        { type: 'text', text: 'hello' },
        { type: 'resource_link', uri: 'file:///x', name: 'x' },
        {
          type: 'resource',
          resource: { uri: 'file:///y', mimeType: 'text/plain', text: 'inline' },
        },
      ],
    });
    expect(r).toMatchObject({
      truncated: false,
      isError: false,
      text: 'hello\n[resource link x: file:///x]\ninline',
    });
  });

  it('cuts text across blocks at the limit and drops oversized structured content', () => {
    const r = boundResult(
      'a',
      't',
      {
        content: [
          { type: 'text', text: 'a'.repeat(60) },
          { type: 'text', text: 'b'.repeat(60) },
        ],
        structuredContent: { rows: 'c'.repeat(200) },
      },
      100,
    );
    expect(r.content).toEqual([
      { type: 'text', text: 'a'.repeat(60) },
      { type: 'text', text: 'b'.repeat(40) },
    ]);
    expect(r.structuredContent).toBeUndefined();
    expect(r.truncated).toBe(true);
    expect(r.text).toContain('[truncated: showing 100 of 121 characters');
  });

  it('renders structured content when there are no content blocks', () => {
    expect(boundResult('a', 't', { content: [], structuredContent: { n: 1 } }).text).toBe(
      '{"n":1}',
    );
  });
});
