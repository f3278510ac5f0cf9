import { createHash } from 'node:crypto';
import type { McpToolInfo } from './tools.js';

/** A function tool in the OpenAI Chat Completions `tools` format. */
export interface LlmFunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** The tools handed to the LLM, with the way back from a function name to the MCP tool. */
export interface LlmToolSet {
  tools: LlmFunctionTool[];
  /** The MCP tool behind a function name the LLM called, or undefined for a made-up name. */
  resolve(functionName: string): McpToolInfo | undefined;
  /** The function name given to an app's tool, if it is in the set. */
  nameOf(app: string, tool: string): string | undefined;
}

/** What OpenAI (and most compatible servers) accept as a function name. */
export const LLM_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const SEPARATOR = '__';
const MAX_DESCRIPTION = 1024;

/**
 * Function names are `<app>__<tool>`. A name that had to change (characters outside
 * [a-zA-Z0-9_-], over 64 characters) or that clashes with another gets a short hash of the exact
 * app and tool, so the same tool always gets the same name and no two tools share one.
 */
export function buildLlmToolSet(tools: readonly McpToolInfo[]): LlmToolSet {
  const unique = new Map<string, McpToolInfo>();
  for (const tool of tools) unique.set(`${tool.app}\u0000${tool.name}`, tool);
  const entries = [...unique.values()];

  let names = entries.map((t) => plainName(t.app, t.name) ?? hashedName(t.app, t.name, 8));
  for (const hashLength of [8, 16]) {
    const clashes = clashing(names);
    if (clashes.size === 0) break;
    names = names.map((n, i) =>
      clashes.has(n) ? hashedName(entries[i]!.app, entries[i]!.name, hashLength) : n,
    );
  }
  if (clashing(names).size > 0) throw new Error('LLM tool names still clash after hashing');

  const byName = new Map<string, McpToolInfo>();
  const byTool = new Map<string, string>();
  const llmTools = entries.map((tool, i): LlmFunctionTool => {
    const name = names[i]!;
    byName.set(name, tool);
    byTool.set(`${tool.app}\u0000${tool.name}`, name);
    return {
      type: 'function',
      function: { name, description: describe(tool), parameters: parameters(tool.inputSchema) },
    };
  });
  return {
    tools: llmTools,
    resolve: (functionName) => byName.get(functionName),
    nameOf: (app, tool) => byTool.get(`${app}\u0000${tool}`),
  };
}

/** `<app>__<tool>` when that is already a valid name, otherwise undefined. */
function plainName(app: string, tool: string): string | undefined {
  const raw = `${app}${SEPARATOR}${tool}`;
  return LLM_TOOL_NAME.test(raw) ? raw : undefined;
}

function hashedName(app: string, tool: string, hashLength: number): string {
  const hash = createHash('sha256')
    .update(`${app}\u0000${tool}`)
    .digest('hex')
    .slice(0, hashLength);
  const clean = `${app}${SEPARATOR}${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  return `${clean.slice(0, MAX_NAME - hashLength - 1)}_${hash}`;
}

function clashing(names: string[]): Set<string> {
  const seen = new Set<string>();
  const clashes = new Set<string>();
  for (const name of names) (seen.has(name) ? clashes : seen).add(name);
  return clashes;
}

function describe(tool: McpToolInfo): string {
  const text = tool.description || tool.title || tool.name;
  const full = `[${tool.app}] ${text}`;
  return full.length > MAX_DESCRIPTION ? `${full.slice(0, MAX_DESCRIPTION - 3)}...` : full;
}

/** The input schema as function parameters: `$schema` dropped, `properties` always present. */
function parameters(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return { ...rest, type: 'object', properties: rest.properties ?? {} };
}
