import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  uuid4,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { Activities } from '../../activities/index.js';
import type {
  AgentStepResult,
  PlannedCall,
  PlannedTarget,
  TurnPlan,
} from '../../activities/agent/index.js';
import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import type { TurnStatus } from '../../lib/events/index.js';
import { STORE_ACTIVITY } from '../policies.js';
import {
  FRONT_END_OPTIONS,
  SANDBOX_HOST_OPTIONS,
  llmStepOptions,
  mcpToolOptions,
  sandboxToolOptions,
} from './options.js';
import { classifyCall } from './policy/index.js';
import type { PolicyCall, PolicyDecision } from './policy/index.js';

/**
 * Patch id: tool calls asked for past a limit (the step limit, the turn's token budget) are
 * not run; histories from before it ran them first.
 */
const LIMITS_BEFORE_CALLS = 'limits-before-calls';

const store = proxyLocalActivities<Activities>(STORE_ACTIVITY);
const shared = proxyActivities<Activities>(SANDBOX_HOST_OPTIONS);
const frontEnd = proxyActivities<Activities>(FRONT_END_OPTIONS);

/** An approval of the running turn, as the update handler and the turn share it. */
export interface PendingApproval {
  toolCallId: string;
  decision: 'approved' | 'denied' | 'timed_out' | null;
  decidedByUserId?: string;
  reason?: string;
  /** True once the decision is stored; the turn goes on only then. */
  recorded: boolean;
}

/** The running turn, shared with the signal and update handlers. */
export interface RunningTurn {
  turnId: string;
  scope: CancellationScope;
  plan: TurnPlan | null;
  approvals: Map<string, PendingApproval>;
  cancelledByUserId: string | null;
}

/** State the conversation keeps across turns (and carries across continue-as-new). */
export interface ConversationContext {
  conversationId: string;
  key: ConversationKey;
  /** The task queue of the worker holding this conversation's sandbox, once one does. */
  sandboxHost: string | null;
}

/**
 * One turn of the agent, cancellable as a whole: plan with the LLM, run the tool calls it asks
 * for (in parallel, each its own activity, approvals first where the policy asks), until it
 * answers or a limit stops it. Cancellation and the wall-time limit end it as such; cleanup
 * runs in non-cancellable scopes.
 */
export async function runAgentTurn(
  conversation: ConversationContext,
  event: ChatEvent,
  onStart: (turn: RunningTurn) => void,
): Promise<void> {
  const turn: RunningTurn = {
    turnId: event.eventId,
    scope: new CancellationScope(),
    plan: null,
    approvals: new Map(),
    cancelledByUserId: null,
  };
  onStart(turn);
  const limit = new CancellationScope();
  let timedOut = false;
  let maxTurnMs: number | null = null;
  // The wall-time limit is known once the turn has started; the clock starts then.
  const armLimit = (ms: number) => {
    maxTurnMs = ms;
    limit
      .run(() => sleep(ms))
      .then(
        () => {
          timedOut = true;
          turn.scope.cancel();
        },
        () => undefined,
      );
  };
  try {
    await turn.scope.run(() => agentLoop(conversation, event, turn, armLimit));
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      const status: TurnStatus = timedOut ? 'failed' : 'cancelled';
      const notice = timedOut
        ? `I stopped: this turn ran for the longest a turn may (${Math.round((maxTurnMs ?? 0) / 60_000)} min).`
        : 'The turn was cancelled.';
      await finish(conversation, turn, status, { notice, reason: notice });
    });
  } finally {
    limit.cancel();
  }
}

async function agentLoop(
  conversation: ConversationContext,
  event: ChatEvent,
  turn: RunningTurn,
  armLimit: (ms: number) => void,
): Promise<void> {
  const { conversationId, key } = conversation;
  const plan = await store.startTurn({ conversationId, key, event });
  if (plan.finished) return;
  turn.plan = plan;
  armLimit(plan.limits.maxTurnMs);

  // Wait for one of the author's running-turn slots, saying where the turn is in line.
  for (let tries = 0; ; tries++) {
    const claim = await store.claimTurnSlot({
      conversationId,
      turnId: plan.turnId,
      authorUserId: plan.authorUserId,
      maxConcurrent: plan.limits.maxConcurrentTurns,
      maxTurnMs: plan.limits.maxTurnMs,
    });
    if (claim.claimed) break;
    await sleep(tries < 15 ? '2 seconds' : '10 seconds');
  }

  const llm = proxyActivities<Activities>(llmStepOptions(plan.limits));
  let tokens = 0;
  for (let step = 1; ; step++) {
    const last = step >= plan.limits.maxSteps;
    let result: AgentStepResult;
    try {
      result = await llm.agentStep({
        conversationId,
        turnId: plan.turnId,
        step,
        authorUserId: plan.authorUserId,
        channelKey: plan.channelKey,
        allowTools: !last,
      });
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const notice = llmFailureText(err);
      return finish(conversation, turn, 'failed', { notice, reason: notice });
    }
    if (result.kind === 'stopped') {
      const status = result.reason === 'budget_exceeded' ? 'budget_exceeded' : 'failed';
      return finish(conversation, turn, status, { notice: result.message, reason: result.message });
    }
    tokens += (result.usage?.promptTokens ?? 0) + (result.usage?.completionTokens ?? 0);
    if (result.kind === 'answer') {
      return finish(conversation, turn, last ? 'step_limit' : 'completed', {
        messageId: result.messageId,
        ...(last ? { reason: `The turn reached its limit of ${plan.limits.maxSteps} steps.` } : {}),
      });
    }
    if (patched(LIMITS_BEFORE_CALLS)) {
      // Calls past a limit never run: no LLM step would see their results, and a change they
      // made would reach the person untold. They are recorded as not run, with the reason.
      if (last) {
        const steps = plan.limits.maxSteps;
        return finish(conversation, turn, 'step_limit', {
          notice: `I stopped: this turn reached its limit of ${steps} steps before I could run what I asked for. Ask again to go on from here.`,
          reason: `The turn reached its limit of ${steps} steps.`,
          notRunReason: `Not run: the turn reached its limit of ${steps} steps.`,
        });
      }
      if (tokens >= plan.limits.maxTurnTokens) {
        const notice = `I stopped: this turn used ${tokens} tokens, its limit is ${plan.limits.maxTurnTokens}. Ask again to go on from here.`;
        return finish(conversation, turn, 'failed', {
          notice,
          reason: notice,
          notRunReason: `Not run: the turn reached its token budget (${tokens} of ${plan.limits.maxTurnTokens} tokens).`,
        });
      }
    }
    await Promise.all(result.calls.map((call) => handleCall(conversation, turn, plan, call)));
    if (tokens >= plan.limits.maxTurnTokens) {
      const notice = `I stopped: this turn used ${tokens} tokens, its limit is ${plan.limits.maxTurnTokens}. Ask again to go on from here.`;
      return finish(conversation, turn, 'failed', { notice, reason: notice });
    }
  }
}

/** One tool call: the policy's decision, an approval when it asks, then the run. */
async function handleCall(
  conversation: ConversationContext,
  turn: RunningTurn,
  plan: TurnPlan,
  call: PlannedCall,
): Promise<void> {
  if (call.invalid || !call.target) return; // Already answered to the LLM as an error.
  const decision = classifyCall(policyCall(call.target), plan.policy, call.args);
  if (decision.action === 'refuse') {
    await store.settleToolCall({
      toolCallId: call.toolCallId,
      status: 'denied',
      reason: decision.reason,
      output: `Not run: ${decision.reason}`,
      integrations: decision.integrations,
    });
    return;
  }
  if (decision.action === 'ask') {
    const approved = await askApproval(conversation, turn, plan, call, decision);
    if (!approved) return;
  }
  await runCall(conversation, plan, call, decision);
}

async function askApproval(
  conversation: ConversationContext,
  turn: RunningTurn,
  plan: TurnPlan,
  call: PlannedCall,
  decision: PolicyDecision,
): Promise<boolean> {
  const approvalId = uuid4();
  // Known as pending before the row is written: the row (and its approval.requested event) can
  // reach a person, who may decide, before this activity's completion reaches the workflow
  // (always after a worker restart, which retries the activity). Rejections leave no history,
  // so histories from before this order replay the same.
  const pending: PendingApproval = { toolCallId: call.toolCallId, decision: null, recorded: false };
  turn.approvals.set(approvalId, pending);
  await store.requestApproval({
    conversationId: conversation.conversationId,
    turnId: plan.turnId,
    toolCallId: call.toolCallId,
    approvalId,
    summary: decision.summary,
    reason: decision.reason,
    requestedByUserId: plan.authorUserId,
    approverUserIds: plan.policy.approverUserIds,
    timeoutMs: plan.limits.approvalTimeoutMs,
  });
  await showOnPlatform(conversation, approvalId);

  const decided = await condition(() => pending.decision !== null, plan.limits.approvalTimeoutMs);
  if (!decided) {
    pending.decision = 'timed_out';
    await store.recordApprovalDecision({
      conversationId: conversation.conversationId,
      turnId: plan.turnId,
      approvalId,
      status: 'timed_out',
    });
    pending.recorded = true;
  }
  await condition(() => pending.recorded);
  await showOnPlatform(conversation, approvalId);
  if (pending.decision === 'approved') return true;
  const waited = plan.limits.approvalTimeoutMs;
  // Under a minute (a short setting) said in seconds, never as "0 min".
  const within =
    waited < 60_000 ? `${Math.round(waited / 1000)} s` : `${Math.round(waited / 60_000)} min`;
  const reason =
    pending.decision === 'timed_out'
      ? `Nobody approved it within ${within}.`
      : `Denied${pending.reason ? `: ${pending.reason}` : '.'}`;
  await store.settleToolCall({
    toolCallId: call.toolCallId,
    status: pending.decision === 'timed_out' ? 'timed_out' : 'denied',
    reason,
    output: `Not run. ${reason} Do not retry it another way; tell the person what you would have done.`,
    integrations: decision.integrations,
  });
  return false;
}

/** Runs an allowed call as the turn's author, with exactly the integrations it needs. */
async function runCall(
  conversation: ConversationContext,
  plan: TurnPlan,
  call: PlannedCall,
  decision: PolicyDecision,
): Promise<void> {
  const target = call.target!;
  const input = {
    conversationId: conversation.conversationId,
    turnId: plan.turnId,
    toolCallId: call.toolCallId,
    authorUserId: plan.authorUserId,
    integrations: decision.integrations,
    label: labelOf(target, decision),
  };
  try {
    if (target.kind === 'mcp') {
      const repeatable = target.hints.readOnly || target.hints.idempotent;
      const mcp = proxyActivities<Activities>(mcpToolOptions(plan.limits, repeatable));
      await mcp.mcpCall({ ...input, app: target.app, mcpTool: target.mcpTool });
      return;
    }
    // A sandbox lives on one worker; a worker that is gone before the call starts hands the
    // conversation to another, which makes a new sandbox (recorded in the session table).
    for (let moves = 0; ; moves++) {
      const host = await sandboxHost(conversation);
      const sandbox = proxyActivities<Activities>(
        sandboxToolOptions(plan.limits, host, target.tool),
      );
      try {
        const run = {
          run_command: sandbox.runCommandCall,
          read_file: sandbox.readFileCall,
          write_file: sandbox.writeFileCall,
          list_files: sandbox.listFilesCall,
        }[target.tool];
        await run(input);
        return;
      } catch (err) {
        if (moves < 2 && neverStarted(err)) {
          conversation.sandboxHost = null;
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    await CancellationScope.nonCancellable(() => settleFailure(call, decision, err));
  }
}

async function settleFailure(
  call: PlannedCall,
  decision: PolicyDecision,
  err: ActivityFailure,
): Promise<void> {
  if (err.cause instanceof TimeoutFailure) {
    const reason =
      'Interrupted: the worker running it stopped (or stopped answering) before it finished, so it may have partly run. It was not run again.';
    await store.settleToolCall({
      toolCallId: call.toolCallId,
      status: 'interrupted',
      reason,
      output: `${reason} Check its effects before running it again.`,
      integrations: decision.integrations,
    });
    return;
  }
  const message = err.cause?.message ?? err.message;
  await store.settleToolCall({
    toolCallId: call.toolCallId,
    status: 'failed',
    reason: message,
    output: `Error: ${message}`,
    integrations: decision.integrations,
  });
}

function neverStarted(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START
  );
}

async function sandboxHost(conversation: ConversationContext): Promise<string> {
  conversation.sandboxHost ??= (await shared.sandboxHost()).taskQueue;
  return conversation.sandboxHost;
}

async function finish(
  conversation: ConversationContext,
  turn: RunningTurn,
  status: Exclude<TurnStatus, 'queued' | 'running'>,
  outcome: { messageId?: string; notice?: string; reason?: string; notRunReason?: string },
): Promise<void> {
  const { messageId } = await store.finishTurn({
    conversationId: conversation.conversationId,
    turnId: turn.turnId,
    status,
    ...outcome,
    ...(turn.cancelledByUserId ? { cancelledByUserId: turn.cancelledByUserId } : {}),
  });
  for (const [approvalId, a] of turn.approvals) {
    if (a.decision === null) await showOnPlatform(conversation, approvalId);
  }
  if (conversation.key.platform !== 'web') {
    try {
      await frontEnd.deliverReply({
        conversationId: conversation.conversationId,
        turnId: turn.turnId,
        key: conversation.key,
        messageId,
        status,
      });
    } catch (err) {
      // The answer is stored and shown in the portal; a platform that stays down loses only
      // the post, never the turn.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
}

async function showOnPlatform(conversation: ConversationContext, approvalId: string) {
  if (conversation.key.platform === 'web') return;
  try {
    await frontEnd.showApproval({ key: conversation.key, approvalId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
  }
}

function policyCall(target: PlannedTarget): PolicyCall {
  switch (target.kind) {
    case 'mcp':
      return {
        kind: 'mcp',
        tool: target.tool,
        app: target.app,
        hints: { readOnly: target.hints.readOnly, destructive: target.hints.destructive },
      };
    case 'sandbox':
      if (target.tool === 'run_command') {
        return { kind: 'sandbox', tool: 'run_command', command: target.command };
      }
      if (target.tool === 'write_file') {
        return { kind: 'sandbox', tool: 'write_file', path: target.path, bytes: target.bytes };
      }
      return { kind: 'sandbox', tool: target.tool, path: target.path };
  }
}

function labelOf(target: PlannedTarget, decision: PolicyDecision): string {
  if (target.kind === 'mcp') return `calling ${target.tool}`;
  if (target.tool === 'run_command') return `running \`${decision.summary}\``;
  return `${target.tool.replace('_', ' ')} ${'path' in target ? target.path : ''}`.trim();
}

/** Plain words for an LLM step that failed for good (after Temporal's retries). */
export function llmFailureText(err: ActivityFailure): string {
  const cause = err.cause instanceof ApplicationFailure ? err.cause.message : err.cause?.message;
  return `I could not get an answer from the language model: ${cause ?? 'unknown error'}. Please try again.`;
}
