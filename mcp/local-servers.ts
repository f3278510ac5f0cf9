import { z } from 'zod';
import { McpConfigError } from './errors.js';

// Kept free of the SDK so the composition root can validate MCP_LOCAL_SERVERS at start-up cheaply.

const perUser = z
  .boolean()
  .optional()
  .describe('One server per user (default, keeps their state apart) or one shared by everyone.');

/** An operator's MCP server: a command speaking stdio, or a URL on the operator's network. */
export const localServerSchema = z.union([
  z.strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    /** Added to the SDK's safe defaults (HOME, PATH, ...); the worker's own env is not passed. */
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    perUser,
  }),
  z.strictObject({
    url: z.url(),
    headers: z.record(z.string(), z.string()).optional(),
    perUser,
  }),
]);

export type LocalServerConfig = z.infer<typeof localServerSchema>;

/**
 * Parses MCP_LOCAL_SERVERS: a JSON object of servers by app id, in the `mcpServers` shape MCP
 * clients use, e.g. `{"memory":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]}}`.
 */
export function parseLocalServers(json: string | undefined): Record<string, LocalServerConfig> {
  if (json === undefined || json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new McpConfigError(`MCP_LOCAL_SERVERS is not valid JSON: ${(err as Error).message}`);
  }
  return checkLocalServers(value);
}

/** Checks MCP_LOCAL_SERVERS once it is parsed JSON; undefined means none. */
export function checkLocalServers(value: unknown): Record<string, LocalServerConfig> {
  if (value === undefined) return {};
  const parsed = z.record(z.string(), localServerSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new McpConfigError(
      `MCP_LOCAL_SERVERS ${issue.path.join('.') || '(top level)'}: ${issue.message}. Expected {"<app>":{"command":"...","args":[...]}} or {"<app>":{"url":"..."}}.`,
    );
  }
  return parsed.data;
}
