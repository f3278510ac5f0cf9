import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../lib/db/index.js';
import { DynamiqError } from '../lib/errors/index.js';
import {
  UPDATE_REJECTIONS,
  cancelTurnUpdate,
  decideApprovalUpdate,
} from '../workflows/definitions.js';
import type {
  ApprovalDecisionInput,
  ApprovalDecisionResult,
  CancelTurnResult,
} from '../workflows/definitions.js';

/** Why an approval decision or a cancellation was refused; `status` is the HTTP answer. */
export class AgentControlError extends DynamiqError {
  override name = 'AgentControlError';
  constructor(
    reason: 'not_found' | 'already_decided' | 'not_allowed' | 'no_running_turn' | 'unavailable',
    message: string,
  ) {
    const status = {
      not_found: 404,
      already_decided: 409,
      not_allowed: 403,
      no_running_turn: 409,
      unavailable: 503,
    }[reason];
    super(`dynamiq.agent.${reason}`, message, { status, retryable: reason === 'unavailable' });
  }
}

export interface AgentControlDeps {
  db: Db;
  temporal: Client;
  /** Waits between asks while the workflow does not know a pending approval yet (tests shorten it). */
  unknownApprovalRetryDelaysMs?: readonly number[];
}

/**
 * Hands a person's approve/deny to the workflow waiting on it. The web API, Slack buttons,
 * Teams cards and Discord buttons all come through here; the workflow's update validator has
 * the last word on who may decide, so a refused decision is never recorded.
 */
export async function decideApproval(
  deps: AgentControlDeps,
  input: ApprovalDecisionInput & { conversationId?: string },
): Promise<ApprovalDecisionResult> {
  const approval = await deps.db.approval.findUnique({
    where: { id: input.approvalId },
    select: {
      id: true,
      status: true,
      conversationId: true,
      conversation: { select: { workflowId: true } },
    },
  });
  if (!approval || (input.conversationId && approval.conversationId !== input.conversationId)) {
    throw new AgentControlError('not_found', `No approval ${input.approvalId}.`);
  }
  if (approval.status !== 'pending') {
    throw new AgentControlError(
      'already_decided',
      `This approval was already ${approval.status.replace('_', ' ')}.`,
    );
  }
  const { approvalId, decision, deciderUserId, reason } = input;
  const send = () =>
    update(() =>
      deps.temporal.workflow
        .getHandle(approval.conversation.workflowId)
        .executeUpdate(decideApprovalUpdate, {
          args: [{ approvalId, decision, deciderUserId, ...(reason ? { reason } : {}) }],
        }),
    );
  // The row is pending, so the workflow has asked or is about to learn that it did: after a
  // worker restart, the workflow task that replays the LLM's answer (which creates the approval
  // in workflow state) can carry this update too, and Temporal runs update validators before it
  // resolves activities. The validator's "unknown" is then only "not yet": ask again briefly.
  for (const delayMs of deps.unknownApprovalRetryDelaysMs ?? UNKNOWN_APPROVAL_RETRY_DELAYS_MS) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof AgentControlError) || err.code !== 'dynamiq.agent.not_found') throw err;
      await sleep(delayMs);
    }
  }
  return send();
}

/** About 6 s in all: a workflow task retried on a new worker is done well within it. */
const UNKNOWN_APPROVAL_RETRY_DELAYS_MS = [100, 200, 400, 800, 1600, 3000];

/** Cancels the conversation's running turn. */
export async function cancelTurn(
  deps: AgentControlDeps,
  input: { conversationId: string; requestedByUserId: string },
): Promise<CancelTurnResult> {
  const conversation = await deps.db.conversation.findUnique({
    where: { id: input.conversationId },
    select: { workflowId: true },
  });
  if (!conversation)
    throw new AgentControlError('not_found', `No conversation ${input.conversationId}.`);
  return update(() =>
    deps.temporal.workflow
      .getHandle(conversation.workflowId)
      .executeUpdate(cancelTurnUpdate, { args: [{ requestedByUserId: input.requestedByUserId }] }),
  );
}

async function update<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw translate(err);
  }
}

function translate(err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) {
    return new AgentControlError('no_running_turn', 'Nothing is running in this conversation.');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const message = err.cause.message;
    switch (err.cause.type) {
      case UPDATE_REJECTIONS.unknownApproval:
        return new AgentControlError('not_found', message);
      case UPDATE_REJECTIONS.alreadyDecided:
        return new AgentControlError('already_decided', message);
      case UPDATE_REJECTIONS.notAllowed:
        return new AgentControlError('not_allowed', message);
      case UPDATE_REJECTIONS.noRunningTurn:
        return new AgentControlError('no_running_turn', message);
    }
  }
  return err;
}
