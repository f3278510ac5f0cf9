import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** The behaviour hints a server gives for a tool, as given (each may be missing). */
export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** One tool of one app, as the registry keeps it. */
export interface McpToolInfo {
  app: string;
  /** The server's own tool name, used to call it. */
  name: string;
  title: string | undefined;
  description: string;
  /** JSON Schema of the arguments (always an object schema). */
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | undefined;
  annotations: McpToolAnnotations;
}

/** Annotations with the MCP specification's defaults filled in, for an approval policy. */
export interface ToolHints {
  readOnly: boolean;
  /** Meaningful only when not read-only. */
  destructive: boolean;
  /** Meaningful only when not read-only. */
  idempotent: boolean;
  openWorld: boolean;
}

/**
 * The spec's defaults assume the worst: a tool that says nothing may write, destroy, repeat
 * effects and reach the outside world. Hints come from the server and are not a guarantee.
 */
export function toolHints(annotations: McpToolAnnotations): ToolHints {
  const readOnly = annotations.readOnlyHint ?? false;
  return {
    readOnly,
    destructive: readOnly ? false : (annotations.destructiveHint ?? true),
    idempotent: readOnly ? true : (annotations.idempotentHint ?? false),
    openWorld: annotations.openWorldHint ?? true,
  };
}

export function toToolInfo(app: string, tool: Tool): McpToolInfo {
  const a = tool.annotations ?? {};
  const annotations: McpToolAnnotations = {};
  if (typeof a.title === 'string') annotations.title = a.title;
  for (const hint of [
    'readOnlyHint',
    'destructiveHint',
    'idempotentHint',
    'openWorldHint',
  ] as const) {
    if (typeof a[hint] === 'boolean') annotations[hint] = a[hint];
  }
  return {
    app,
    name: tool.name,
    title: tool.title ?? annotations.title,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema as Record<string, unknown>,
    outputSchema: tool.outputSchema as Record<string, unknown> | undefined,
    annotations,
  };
}
