import type { ConversationEvent } from '../../../lib/events/index.js';
import type { Db } from '../../../lib/db/index.js';
import {
  approvalView,
  hasNote,
  messageView,
  stepNoteView,
  toolCallView,
} from './conversation-views.js';

/**
 * The SSE frame of a live-only event (tokens, steps, output tails, queue position): these are
 * progress, not record, and go to followers as they come. Undefined for stored-row events.
 */
export function liveEvent(event: ConversationEvent): { name: string; data: unknown } | undefined {
  switch (event.type) {
    case 'token':
      return {
        name: 'token',
        data: {
          turnId: event.turnId,
          stepId: event.stepId,
          attempt: event.attempt,
          delta: event.delta,
        },
      };
    case 'step': {
      const { type: _type, conversationId: _c, ...data } = event;
      return { name: 'step', data };
    }
    case 'tool.output': {
      const { type: _type, conversationId: _c, ...data } = event;
      return { name: 'tool.output', data };
    }
    case 'turn.started':
      return { name: 'turn.started', data: { turnId: event.turnId } };
    case 'turn.queued':
      return { name: 'turn.queued', data: { turnId: event.turnId, position: event.position } };
    default:
      return undefined;
  }
}

export interface StoredFrame {
  name: string;
  data: unknown;
  seq: number;
}

/**
 * Everything stored for a conversation that changed after `afterSeq`, oldest change first:
 * messages, steps' notes, tool calls (current state) and approvals (current state). One
 * sequence numbers them all, so the last frame's `seq` is the stream's next Last-Event-ID.
 */
export async function storedFramesAfter(
  db: Db,
  conversationId: string,
  afterSeq: number,
  userId: string,
): Promise<StoredFrame[]> {
  const where = { conversationId, seq: { gt: afterSeq } };
  const [messages, steps, toolCalls, approvals] = await Promise.all([
    db.message.findMany({ where, orderBy: { seq: 'asc' } }),
    db.turnStep.findMany({ where: { ...where, note: { not: null } }, orderBy: { seq: 'asc' } }),
    db.toolCall.findMany({ where, orderBy: { seq: 'asc' } }),
    db.approval.findMany({ where, orderBy: { seq: 'asc' } }),
  ]);
  const frames: StoredFrame[] = [
    ...messages.map((m) => ({ name: 'message', data: messageView(m), seq: m.seq })),
    ...steps.filter(hasNote).map((s) => ({ name: 'note', data: stepNoteView(s), seq: s.seq })),
    ...toolCalls.map((c) => ({ name: 'tool.call', data: toolCallView(c), seq: c.seq })),
    ...approvals.map((a) => ({
      name: a.status === 'pending' ? 'approval.requested' : 'approval.decided',
      data: approvalView(a, userId),
      seq: a.seq,
    })),
  ];
  return frames.sort((a, b) => a.seq - b.seq);
}
