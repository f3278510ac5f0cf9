import type { Connections } from '../integrations/connections/index.js';
import type { AgentLimits } from '../lib/config/index.js';
import type { Keyring } from '../lib/crypto/index.js';
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
import {
  PriceTable,
  agentStep,
  claimTurnSlot,
  deliverReply,
  finishTurn,
  listFilesCall,
  mcpCall,
  readFileCall,
  recordApprovalDecision,
  requestApproval,
  runCommandCall,
  settleToolCall,
  showApproval,
  startTurn,
  writeFileCall,
} from './agent/index.js';
import type {
  AgentStepInput,
  DecideApprovalRecordInput,
  FinishTurnInput,
  FrontEnds,
  ModelPrice,
  RequestApprovalInput,
  ToolRunInput,
} from './agent/index.js';
import type { ChatEvent, ConversationKey } from '../lib/conversation/index.js';
import type { TurnStatus } from '../lib/events/index.js';

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
  /** Seals tool-call arguments until they have run. */
  keyring: Keyring;
  agent: AgentLimits & { prices: Record<string, ModelPrice> };
  /**
   * This worker's own task queue: sandbox tool calls of conversations whose sandbox lives here
   * are sent to it (local sandboxes exist on one host only). The shared queue for E2B.
   */
  hostTaskQueue: string;
  /** Chat platforms this worker can post to (Slack, Teams, Discord); the web needs none. */
  frontEnds?: FrontEnds;
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
  const prices = new PriceTable(deps.agent.prices);
  const tools = { ...deps, maxCommandMs: deps.agent.commandTimeoutMs };
  const frontEnds = { db: deps.db, frontEnds: deps.frontEnds ?? {} };
  return {
    // Turns of the agent.
    startTurn: (input: { conversationId: string; key: ConversationKey; event: ChatEvent }) =>
      startTurn({ db: deps.db, bus: deps.bus, limits: deps.agent }, input),
    claimTurnSlot: (input: Parameters<typeof claimTurnSlot>[1]) => claimTurnSlot(deps, input),
    agentStep: (input: AgentStepInput) =>
      agentStep({ ...deps, client, settings: deps.llm, prices }, input),
    finishTurn: (input: FinishTurnInput) => finishTurn(deps, input),
    requestApproval: (input: RequestApprovalInput) => requestApproval(deps, input),
    recordApprovalDecision: (input: DecideApprovalRecordInput) =>
      recordApprovalDecision(deps, input),
    settleToolCall: (input: Parameters<typeof settleToolCall>[1]) => settleToolCall(deps, input),
    sandboxHost: async () => ({ taskQueue: deps.hostTaskQueue }),
    runCommandCall: (input: ToolRunInput & { label: string }) =>
      runCommandCall(tools, input, input.label),
    readFileCall: (input: ToolRunInput & { label: string }) =>
      readFileCall(tools, input, input.label),
    writeFileCall: (input: ToolRunInput & { label: string }) =>
      writeFileCall(tools, input, input.label),
    listFilesCall: (input: ToolRunInput & { label: string }) =>
      listFilesCall(tools, input, input.label),
    mcpCall: (input: ToolRunInput & { label: string; app: string; mcpTool: string }) =>
      mcpCall(tools, input, input.label),
    deliverReply: (input: {
      conversationId: string;
      turnId: string;
      key: ConversationKey;
      messageId: string;
      status: TurnStatus;
    }) => deliverReply(frontEnds, input),
    showApproval: (input: { key: ConversationKey; approvalId: string }) =>
      showApproval(frontEnds, input),

    // The single-answer turn of workflow histories recorded before the agent loop.
    recordUserMessage: (input: RecordUserMessageInput) =>
      recordUserMessage(deps.db, deps.bus, input),
    recordAssistantMessage: (input: RecordAssistantMessageInput) =>
      recordAssistantMessage(deps.db, deps.bus, input),
    generateReply: (input: { conversationId: string; turnId: string }) =>
      generateReply({ db: deps.db, bus: deps.bus, client, settings: deps.llm }, input),

    // Sandbox operations for scripts and older histories.
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
