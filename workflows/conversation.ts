import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ChatEvent } from '../lib/conversation/index.js';
import { chatEventSignal, stateQuery } from './definitions.js';
import type { ConversationInput, ConversationResult, ConversationState } from './definitions.js';
import {
  IDLE_CLOSE_AFTER,
  LLM_ACTIVITY,
  SANDBOX_ACTIVITY,
  SEEN_EVENT_IDS_KEPT,
  STORE_ACTIVITY,
  TURNS_PER_RUN,
} from './policies.js';

const store = proxyLocalActivities<Activities>(STORE_ACTIVITY);
const llm = proxyActivities<Activities>(LLM_ACTIVITY);
const sandbox = proxyActivities<Activities>(SANDBOX_ACTIVITY);

/**
 * One conversation: chat events arrive as signals and queue up; each becomes a turn that
 * stores the user's message, asks the LLM with the stored history, and stores the answer.
 */
export async function conversationWorkflow(input: ConversationInput): Promise<ConversationResult> {
  const pending: ChatEvent[] = [...(input.pending ?? [])];
  const seen = new Set(input.seenEventIds ?? []);
  let turnsCompleted = input.turnsCompleted ?? 0;
  let current: ChatEvent | null = null;
  let turnsThisRun = 0;

  setHandler(chatEventSignal, (event) => {
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    pending.push(event);
  });
  setHandler(stateQuery, (): ConversationState => ({
    conversationId: input.conversationId,
    status: current ? 'working' : 'idle',
    currentTurnId: current?.eventId ?? null,
    queued: pending.length,
    turnsCompleted,
  }));

  for (;;) {
    const hasWork = await condition(() => pending.length > 0, IDLE_CLOSE_AFTER);
    if (!hasWork) {
      await condition(allHandlersFinished);
      if (pending.length === 0) {
        // The conversation is over; its sandbox (if it had one) goes with it.
        await sandbox.closeSandbox({ conversationId: input.conversationId });
        return { reason: 'idle', turnsCompleted };
      }
      continue;
    }
    current = pending.shift()!;
    await runTurn(input, current);
    current = null;
    turnsCompleted++;
    turnsThisRun++;

    if (turnsThisRun >= TURNS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof conversationWorkflow>({
        conversationId: input.conversationId,
        key: input.key,
        pending,
        seenEventIds: [...seen].slice(-SEEN_EVENT_IDS_KEPT),
        turnsCompleted,
      });
    }
  }
}

async function runTurn(input: ConversationInput, event: ChatEvent): Promise<void> {
  const turnId = event.eventId;
  await store.recordUserMessage({ conversationId: input.conversationId, key: input.key, event });
  let reply;
  try {
    reply = await llm.generateReply({ conversationId: input.conversationId, turnId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    reply = { content: failureText(err), model: null, usage: null, isError: true };
  }
  await store.recordAssistantMessage({ conversationId: input.conversationId, turnId, ...reply });
}

function failureText(err: ActivityFailure): string {
  const cause = err.cause instanceof ApplicationFailure ? err.cause.message : err.cause?.message;
  return `I could not get an answer from the language model: ${cause ?? 'unknown error'}. Please try again.`;
}
