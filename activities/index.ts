import type { Db } from '../lib/db/index.js';
import type { EventBus } from '../lib/events/index.js';
import { recordAssistantMessage, recordUserMessage } from './history/index.js';
import type { RecordAssistantMessageInput, RecordUserMessageInput } from './history/index.js';
import { createLlmClient, generateReply } from './llm/index.js';
import type { LlmSettings } from './llm/index.js';

export interface ActivityDeps {
  db: Db;
  bus: EventBus;
  llm: LlmSettings;
}

/**
 * Every activity the workflows can order, bound to the worker's dependencies. Workflows
 * import only the type of this object.
 */
export function createActivities(deps: ActivityDeps) {
  const client = createLlmClient(deps.llm);
  return {
    recordUserMessage: (input: RecordUserMessageInput) => recordUserMessage(deps.db, deps.bus, input),
    recordAssistantMessage: (input: RecordAssistantMessageInput) =>
      recordAssistantMessage(deps.db, deps.bus, input),
    generateReply: (input: { conversationId: string; turnId: string }) =>
      generateReply({ db: deps.db, bus: deps.bus, client, settings: deps.llm }, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
