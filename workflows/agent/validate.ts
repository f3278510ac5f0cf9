import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import type { ApprovalDecisionInput, CancelTurnInput, ConversationInput } from '../definitions.js';

// Checks of what reaches the workflow from outside (signals, updates). Hand-written rather
// than zod: the workflow bundle stays small and these shapes are few. Anything the payload
// codec refused (an unencrypted payload) arrives as a marker object and fails here.

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

/**
 * A run's input: a workflow started by anyone but Dynamiq (a plain client's signalWithStart,
 * whose arguments the codec refused) must not squat the conversation's workflow id.
 */
export function isConversationInput(input: unknown): input is ConversationInput {
  if (!input || typeof input !== 'object') return false;
  const i = input as Record<string, unknown>;
  const key = i.key as Record<string, unknown> | undefined;
  return (
    isId(i.conversationId) &&
    !!key &&
    typeof key === 'object' &&
    isId(key.platform) &&
    isId(key.workspaceId) &&
    isId(key.channelId) &&
    isId(key.threadId) &&
    (i.pending === undefined || Array.isArray(i.pending)) &&
    (i.seenEventIds === undefined || Array.isArray(i.seenEventIds)) &&
    (i.turnsCompleted === undefined || typeof i.turnsCompleted === 'number') &&
    (i.sandboxHost === undefined || isId(i.sandboxHost)) &&
    (i.idleCloseAfterMs === undefined ||
      (typeof i.idleCloseAfterMs === 'number' && i.idleCloseAfterMs > 0))
  );
}

export function isChatEventFor(event: unknown, key: ConversationKey): event is ChatEvent {
  if (!event || typeof event !== 'object') return false;
  const e = event as Record<string, unknown>;
  const conversation = e.conversation as Record<string, unknown> | undefined;
  const author = e.author as Record<string, unknown> | undefined;
  return (
    isId(e.eventId) &&
    typeof e.text === 'string' &&
    e.text.trim().length > 0 &&
    e.text.length <= 32_000 &&
    typeof e.receivedAt === 'string' &&
    !!author &&
    isId(author.platformUserId) &&
    !!conversation &&
    conversation.platform === key.platform &&
    conversation.workspaceId === key.workspaceId &&
    conversation.channelId === key.channelId &&
    conversation.threadId === key.threadId
  );
}

export function isApprovalDecision(input: unknown): input is ApprovalDecisionInput {
  if (!input || typeof input !== 'object') return false;
  const d = input as Record<string, unknown>;
  return (
    isId(d.approvalId) &&
    isId(d.deciderUserId) &&
    (d.decision === 'approve' || d.decision === 'deny') &&
    (d.reason === undefined || (typeof d.reason === 'string' && d.reason.length <= 2_000))
  );
}

export function isCancelTurn(input: unknown): input is CancelTurnInput {
  return !!input && typeof input === 'object' && isId((input as CancelTurnInput).requestedByUserId);
}
