import type { Conversation, Message } from '../../../lib/db/index.js';

/** The public shape of a conversation: no internal keys beyond what a client needs. */
export function conversationView(c: Conversation) {
  return {
    id: c.id,
    title: c.title,
    platform: c.platform,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    lastMessageAt: c.lastMessageAt?.toISOString() ?? null,
  };
}

export function messageView(m: Message) {
  return {
    id: m.id,
    seq: m.seq,
    turnId: m.turnId,
    role: m.role,
    content: m.content,
    model: m.model,
    isError: m.isError,
    createdAt: m.createdAt.toISOString(),
  };
}
