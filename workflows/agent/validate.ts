import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import type { ApprovalDecisionInput, CancelTurnInput } from '../definitions.js';

// Checks of what reaches the workflow from outside (signals, updates). Hand-written rather
// than zod: the workflow bundle stays small and these shapes are few. Anything the payload
// codec refused (an unencrypted payload) arrives as a marker object and fails here.

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

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
