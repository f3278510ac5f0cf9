import { randomUUID } from 'node:crypto';
import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';

/** The portal user a web message comes from. */
export interface WebUser {
  id: string;
  displayName: string;
}

/** A new web conversation's key: one channel per user, one thread per conversation. */
export function newWebConversationKey(user: WebUser): ConversationKey {
  return { platform: 'web', workspaceId: 'local', channelId: user.id, threadId: randomUUID() };
}

/** Translates a message typed in the portal into the shared chat-event model. */
export function webChatEvent(
  user: WebUser,
  key: ConversationKey,
  text: string,
  eventId: string,
): ChatEvent {
  return {
    eventId,
    conversation: key,
    author: { platformUserId: user.id, displayName: user.displayName },
    text,
    receivedAt: new Date().toISOString(),
  };
}
