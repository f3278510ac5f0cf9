import { z } from 'zod';
import type { LlmFunctionTool } from '../../mcp/index.js';

/**
 * The sandbox tools every turn has, under stable names. The zod schemas check what the LLM
 * sends; the JSON schemas (derived from them) are what it is shown.
 */
export const sandboxToolSchemas = {
  run_command: z.strictObject({
    command: z
      .string()
      .min(1)
      .max(16_000)
      .describe('A bash command line, run in /work by default.'),
    cwd: z
      .string()
      .max(1_000)
      .optional()
      .describe('Working folder; relative paths are under /work.'),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(3_600)
      .optional()
      .describe('Stop the command after this many seconds (default 120).'),
  }),
  read_file: z.strictObject({
    path: z.string().min(1).max(1_000).describe('File to read; relative paths are under /work.'),
  }),
  write_file: z.strictObject({
    path: z.string().min(1).max(1_000).describe('File to write; parent folders are created.'),
    content: z.string().max(1_000_000).describe('The whole new content of the file (UTF-8).'),
  }),
  list_files: z.strictObject({
    path: z.string().max(1_000).optional().describe('Folder to list (default /work).'),
  }),
} as const;

export type SandboxToolName = keyof typeof sandboxToolSchemas;
export const SANDBOX_TOOL_NAMES = Object.keys(sandboxToolSchemas) as SandboxToolName[];
export const isSandboxTool = (name: string): name is SandboxToolName => name in sandboxToolSchemas;

const descriptions: Record<SandboxToolName, string> = {
  run_command:
    "Run a shell command in this conversation's Linux sandbox (bash, with gh, aws, gcloud, kubectl, jq, curl and more). Credentials of the user's connected integrations are provided to the CLIs that need them. Output is cut to its head and tail when long.",
  read_file: "Read a text file from the conversation's sandbox (up to 1 MiB).",
  write_file: "Create or replace a file in the conversation's sandbox.",
  list_files: "List one folder of the conversation's sandbox.",
};

export const sandboxLlmTools: LlmFunctionTool[] = SANDBOX_TOOL_NAMES.map((name) => {
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(sandboxToolSchemas[name]) as Record<
    string,
    unknown
  >;
  return { type: 'function', function: { name, description: descriptions[name], parameters } };
});

/** Default and longest command run time, in milliseconds. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
