import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ChatEvent, ConversationKey } from '../lib/conversation/index.js';

/** Arguments of a conversation workflow run. Holds no secret: Temporal keeps it in history. */
export interface ConversationInput {
  conversationId: string;
  key: ConversationKey;
  /** Carried across continue-as-new. */
  pending?: ChatEvent[];
  seenEventIds?: string[];
  turnsCompleted?: number;
}

export interface ConversationState {
  conversationId: string;
  status: 'idle' | 'working';
  /** The event whose turn is running, if any. */
  currentTurnId: string | null;
  queued: number;
  turnsCompleted: number;
}

export type ConversationResult = { reason: 'idle'; turnsCompleted: number };

/** A new chat message for the conversation; delivered with signalWithStart. */
export const chatEventSignal = defineSignal<[ChatEvent]>('chatEvent');
export const stateQuery = defineQuery<ConversationState>('state');
