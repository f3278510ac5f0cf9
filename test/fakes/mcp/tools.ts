import type { FakeTool } from './fake-server.js';

const obj = (properties: Record<string, object>, required: string[] = []) => ({
  type: 'object' as const,
  properties,
  required,
});

/** Echoes `message`, prefixed with a label (e.g. who the provider says is calling). */
export const echoTool = (
  name = 'echo',
  label: (headers: Record<string, unknown>) => string = () => '',
): FakeTool => ({
  name,
  description: 'Echoes the message back.',
  inputSchema: obj({ message: { type: 'string' } }, ['message']),
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (args, ctx) => ({
    content: [{ type: 'text', text: `${label(ctx.headers)}${String(args.message)}` }],
  }),
});

/** Adds two numbers; answers with text and structured content. */
export const addTool: FakeTool = {
  name: 'add',
  description: 'Adds a and b.',
  inputSchema: obj({ a: { type: 'number' }, b: { type: 'number' } }, ['a', 'b']),
  outputSchema: obj({ sum: { type: 'number' } }, ['sum']),
  annotations: { readOnlyHint: true, idempotentHint: true },
  run: (args) => {
    const sum = Number(args.a) + Number(args.b);
    return {
      content: [{ type: 'text', text: JSON.stringify({ sum }) }],
      structuredContent: { sum },
    };
  },
};

/** Runs for `ms`, reporting progress every 20 ms; stops early when cancelled. */
export const slowTool: FakeTool = {
  name: 'slow',
  description: 'Takes its time.',
  inputSchema: obj({ ms: { type: 'number' } }),
  annotations: { readOnlyHint: false, destructiveHint: true },
  run: async (args, ctx) => {
    const total = Number(args.ms ?? 200);
    for (let done = 0; done < total && !ctx.signal.aborted; done += 20) {
      await new Promise((r) => setTimeout(r, 20));
      await ctx.progress(done + 20, total);
    }
    return { content: [{ type: 'text', text: ctx.signal.aborted ? 'cancelled' : 'done' }] };
  },
};

/** Answers with `chars` characters of text. */
export const bigTool: FakeTool = {
  name: 'big',
  description: 'A verbose answer.',
  inputSchema: obj({ chars: { type: 'number' } }, ['chars']),
  run: (args) => ({ content: [{ type: 'text', text: 'x'.repeat(Number(args.chars)) }] }),
};

/** Reports a tool-level failure (a result with isError), as APIs behind MCP servers do. */
export const failTool: FakeTool = {
  name: 'fail',
  description: 'Always fails.',
  inputSchema: obj({}),
  run: () => ({ content: [{ type: 'text', text: 'upstream API said no' }], isError: true }),
};

/** `count` trivial tools named `tool-000`..., for paging tests. */
export function manyTools(count: number): FakeTool[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `tool-${String(i).padStart(3, '0')}`,
    description: `Tool number ${i}.`,
    inputSchema: obj({}),
    run: () => ({ content: [{ type: 'text', text: String(i) }] }),
  }));
}
