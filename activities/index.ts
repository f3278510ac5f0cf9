import type { Connections } from '../integrations/connections/index.js';
import type { Db } from '../lib/db/index.js';
import type { McpRegistry } from '../mcp/index.js';
import type { EventBus } from '../lib/events/index.js';
import { mappingFailures } from '../lib/errors/index.js';
import { recordAssistantMessage, recordUserMessage } from './history/index.js';
import { downloadFile, listFiles, runCommand, uploadFile } from './sandbox/index.js';
import type { CommandCredentials, RunCommandInput, SandboxSessions } from './sandbox/index.js';
import type { RecordAssistantMessageInput, RecordUserMessageInput } from './history/index.js';
import { createLlmClient, generateReply } from './llm/index.js';
import type { LlmSettings } from './llm/index.js';

export interface ActivityDeps {
  db: Db;
  bus: EventBus;
  llm: LlmSettings;
  sandboxes: SandboxSessions;
  /** Mints each command's sandbox token and writes the cloud CLIs' configuration. */
  commandCredentials: CommandCredentials;
  /** MCP tools of the users' connected apps, called by the agent's tool activities. */
  mcp: McpRegistry;
  /** Users' connections (OAuth tokens, keys), opened by activities acting as a turn's author. */
  connections: Connections;
}

/**
 * Every activity the workflows can order, bound to the worker's dependencies. Workflows
 * import only the type of this object. Each one's errors pass through `toApplicationFailure`,
 * so a DynamiqError reaches the workflow as a failure typed by its code and retried only when
 * the error is retryable.
 */
export function createActivities(deps: ActivityDeps) {
  return mapFailures(bindActivities(deps));
}

function bindActivities(deps: ActivityDeps) {
  const client = createLlmClient(deps.llm);
  return {
    recordUserMessage: (input: RecordUserMessageInput) =>
      recordUserMessage(deps.db, deps.bus, input),
    recordAssistantMessage: (input: RecordAssistantMessageInput) =>
      recordAssistantMessage(deps.db, deps.bus, input),
    generateReply: (input: { conversationId: string; turnId: string }) =>
      generateReply({ db: deps.db, bus: deps.bus, client, settings: deps.llm }, input),
    runCommand: (input: RunCommandInput) =>
      runCommand(deps.sandboxes, input, deps.commandCredentials),
    uploadFile: (input: { conversationId: string; path: string; contentBase64: string }) =>
      uploadFile(deps.sandboxes, input),
    downloadFile: (input: { conversationId: string; path: string }) =>
      downloadFile(deps.sandboxes, input),
    listFiles: (input: { conversationId: string; path: string }) =>
      listFiles(deps.sandboxes, input),
    closeSandbox: (input: { conversationId: string }) => deps.sandboxes.close(input.conversationId),
  };
}

function mapFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, mappingFailures(fn)]),
  ) as T;
}

export type Activities = ReturnType<typeof createActivities>;
