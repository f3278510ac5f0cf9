import { createHash } from 'node:crypto';
import type { ConversationKey } from './chat-event.js';

/**
 * The conversation's database id, derived from its key so that any front end (or a retried
 * webhook) names the same conversation without a database round trip. RFC 9562 version 8
 * (custom) UUID over sha256 of the key.
 */
export function conversationIdFor(key: ConversationKey): string {
  return uuidFromHash(canonical(key));
}

/** An RFC 9562 version 8 (custom) UUID over sha256 of `text`: the same text, the same id. */
export function uuidFromHash(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The workflow id: readable in the Temporal UI, unique per conversation key. */
export function conversationWorkflowId(key: ConversationKey): string {
  return `conversation/${[key.platform, key.workspaceId, key.channelId, key.threadId]
    .map(encodeURIComponent)
    .join('/')}`;
}

function canonical(key: ConversationKey): string {
  return JSON.stringify([key.platform, key.workspaceId, key.channelId, key.threadId]);
}
