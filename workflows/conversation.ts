import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ChatEvent } from '../lib/conversation/index.js';
import {
  UPDATE_REJECTIONS,
  cancelTurnUpdate,
  chatEventSignal,
  decideApprovalUpdate,
  stateQuery,
} from './definitions.js';
import type { ConversationInput, ConversationResult, ConversationState } from './definitions.js';
import { closeSandboxOptions } from './agent/options.js';
import { llmFailureText, runAgentTurn } from './agent/turn.js';
import type { ConversationContext, RunningTurn } from './agent/turn.js';
import {
  isApprovalDecision,
  isCancelTurn,
  isChatEventFor,
  isConversationInput,
} from './agent/validate.js';
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

/** Patch ids: each marks where this code departs from histories recorded before it. */
const AGENT_LOOP = 'agent-loop';
const IDLE_CLOSE_RACE = 'idle-close-race';
const REFUSE_BAD_INPUT = 'refuse-bad-input';

/** How long closing waits for the worker that holds the sandbox before another closes it. */
const CLOSE_HOST_WAIT_MS = 30_000;

/**
 * One conversation: chat events arrive as signals and queue up; each becomes a turn of the
 * agent. Approvals and cancellation arrive as updates, checked by validators so a refused one
 * leaves no trace in history.
 */
export async function conversationWorkflow(input: ConversationInput): Promise<ConversationResult> {
  // Started by a plain client (the codec refused its arguments) or with a malformed input: fail
  // the run at once, so the conversation's id is free for its genuine start, never wedged.
  if (!isConversationInput(input) && patched(REFUSE_BAD_INPUT)) {
    throw ApplicationFailure.create({
      type: UPDATE_REJECTIONS.invalid,
      message: 'Refused: the workflow input is malformed or was not sealed by the payload codec.',
      nonRetryable: true,
    });
  }
  const pending: ChatEvent[] = [...(input.pending ?? [])];
  const seen = new Set(input.seenEventIds ?? []);
  let turnsCompleted = input.turnsCompleted ?? 0;
  let current: ChatEvent | null = null;
  let running: RunningTurn | null = null;
  let turnsThisRun = 0;
  const conversation: ConversationContext = {
    conversationId: input.conversationId,
    key: input.key,
    sandboxHost: input.sandboxHost ?? null,
  };

  setHandler(chatEventSignal, (event) => {
    // Signals reach Temporal from anyone who can reach it: only well-formed events of this
    // conversation count (a payload the codec refused arrives as a marker and is dropped).
    if (!isChatEventFor(event, input.key)) {
      log.warn('dropped a chat event that is malformed or for another conversation');
      return;
    }
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
    pendingApprovals: running
      ? [...running.approvals].filter(([, a]) => a.decision === null).map(([id]) => id)
      : [],
  }));
  setHandler(
    decideApprovalUpdate,
    async (decision) => {
      const approval = running!.approvals.get(decision.approvalId)!;
      approval.decision = decision.decision === 'approve' ? 'approved' : 'denied';
      approval.decidedByUserId = decision.deciderUserId;
      if (decision.reason) approval.reason = decision.reason;
      await store.recordApprovalDecision({
        conversationId: input.conversationId,
        turnId: running!.turnId,
        approvalId: decision.approvalId,
        status: approval.decision,
        decidedByUserId: decision.deciderUserId,
        ...(decision.reason ? { reason: decision.reason } : {}),
      });
      approval.recorded = true;
      return { approvalId: decision.approvalId, status: approval.decision };
    },
    {
      validator: (decision) => {
        if (!isApprovalDecision(decision)) reject('invalid', 'That is not an approval decision.');
        const approval = running?.approvals.get(decision.approvalId);
        if (!approval) reject('unknownApproval', `No pending approval ${decision.approvalId}.`);
        if (approval.decision !== null) {
          reject(
            'alreadyDecided',
            `This approval was already ${approval.decision.replace('_', ' ')}.`,
          );
        }
        if (!running!.plan?.policy.approverUserIds.includes(decision.deciderUserId)) {
          reject(
            'notAllowed',
            'You may not approve this call; the person who asked or a channel approver may.',
          );
        }
      },
    },
  );
  setHandler(
    cancelTurnUpdate,
    (request) => {
      running!.cancelledByUserId = request.requestedByUserId;
      running!.scope.cancel();
      return { turnId: running!.turnId };
    },
    {
      validator: (request) => {
        if (!isCancelTurn(request)) reject('invalid', 'That is not a cancellation request.');
        if (!running || running.scope.consideredCancelled) {
          reject('noRunningTurn', 'Nothing is running in this conversation.');
        }
      },
    },
  );

  for (;;) {
    const hasWork = await condition(
      () => pending.length > 0,
      input.idleCloseAfterMs ?? IDLE_CLOSE_AFTER,
    );
    if (!hasWork) {
      await condition(allHandlersFinished);
      if (pending.length > 0) continue;
      // The conversation is over; its sandbox (if it had one) goes with it.
      await closeSandbox(conversation);
      // A message that arrived while the sandbox closed starts a turn, never gets dropped.
      if (patched(IDLE_CLOSE_RACE) && pending.length > 0) continue;
      return { reason: 'idle', turnsCompleted };
    }
    current = pending.shift()!;
    if (patched(AGENT_LOOP)) {
      await runAgentTurn(conversation, current, (turn) => (running = turn));
      running = null;
    } else {
      await runSingleAnswerTurn(input, current);
    }
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
        ...(conversation.sandboxHost ? { sandboxHost: conversation.sandboxHost } : {}),
        ...(input.idleCloseAfterMs ? { idleCloseAfterMs: input.idleCloseAfterMs } : {}),
      });
    }
  }
}

function reject(kind: keyof typeof UPDATE_REJECTIONS, message: string): never {
  throw ApplicationFailure.create({ type: UPDATE_REJECTIONS[kind], message, nonRetryable: true });
}

/** Closes the sandbox on the worker that holds it; any worker does when that one is gone. */
async function closeSandbox(conversation: ConversationContext): Promise<void> {
  if (conversation.sandboxHost) {
    const host = proxyActivities<Activities>(
      closeSandboxOptions(conversation.sandboxHost, CLOSE_HOST_WAIT_MS),
    );
    try {
      await host.closeSandbox({ conversationId: conversation.conversationId });
      return;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
  await sandbox.closeSandbox({ conversationId: conversation.conversationId });
}

/** The turn of histories recorded before the agent loop: one LLM answer, no tools. */
async function runSingleAnswerTurn(input: ConversationInput, event: ChatEvent): Promise<void> {
  const turnId = event.eventId;
  await store.recordUserMessage({ conversationId: input.conversationId, key: input.key, event });
  let reply;
  try {
    reply = await llm.generateReply({ conversationId: input.conversationId, turnId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    reply = { content: llmFailureText(err), model: null, usage: null, isError: true };
  }
  await store.recordAssistantMessage({ conversationId: input.conversationId, turnId, ...reply });
}
