import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChatEvent, ConversationKey } from '../lib/conversation/index.js';

/** Arguments of a conversation workflow run. Holds no secret: Temporal keeps it in history. */
export interface ConversationInput {
  conversationId: string;
  key: ConversationKey;
  /** Carried across continue-as-new. */
  pending?: ChatEvent[];
  seenEventIds?: string[];
  turnsCompleted?: number;
  /** The task queue of the worker that holds the conversation's sandbox. */
  sandboxHost?: string;
  /**
   * How long the conversation waits for a message before it closes, in milliseconds; default
   * IDLE_CLOSE_AFTER (workflows/policies.ts). Carried across continue-as-new.
   */
  idleCloseAfterMs?: number;
}

export interface ConversationState {
  conversationId: string;
  status: 'idle' | 'working';
  /** The event whose turn is running, if any. */
  currentTurnId: string | null;
  queued: number;
  turnsCompleted: number;
  /** Approvals of the running turn still waiting for a decision. */
  pendingApprovals: string[];
}

export type ConversationResult = { reason: 'idle'; turnsCompleted: number };

/** A person's decision on a pending approval, as the API or a chat front end hands it over. */
export interface ApprovalDecisionInput {
  approvalId: string;
  decision: 'approve' | 'deny';
  /** The Dynamiq user deciding; the workflow's validator checks they may. */
  deciderUserId: string;
  reason?: string;
}

export interface ApprovalDecisionResult {
  approvalId: string;
  status: 'approved' | 'denied';
}

export interface CancelTurnInput {
  /** The Dynamiq user asking; recorded with the cancellation. */
  requestedByUserId: string;
}

export interface CancelTurnResult {
  turnId: string;
}

/**
 * Prefixes of the errors the update validators reject with, so callers (the HTTP routes, the
 * chat front ends) can answer 404 / 409 / 403 without parsing sentences.
 */
export const UPDATE_REJECTIONS = {
  unknownApproval: 'unknown_approval',
  alreadyDecided: 'already_decided',
  notAllowed: 'not_allowed',
  noRunningTurn: 'no_running_turn',
  invalid: 'invalid_input',
} as const;

/** A new chat message for the conversation; delivered with signalWithStart. */
export const chatEventSignal = defineSignal<[ChatEvent]>('chatEvent');
export const stateQuery = defineQuery<ConversationState>('state');
/** Approve or deny a pending tool call; rejected (and so not recorded) for deciders who may not. */
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>(
  'decideApproval',
);
/** Cancels the running turn; rejected when no turn runs. */
export const cancelTurnUpdate = defineUpdate<CancelTurnResult, [CancelTurnInput]>('cancelTurn');
