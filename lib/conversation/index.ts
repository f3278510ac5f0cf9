// The conversation domain model every part shares: the chat event a front end produces, the
// key that names a thread, and the ids derived from it.

export {
  chatEventSchema,
  conversationKeySchema,
  chatPlatformSchema,
  chatAuthorSchema,
  MAX_MESSAGE_CHARS,
  MAX_THREAD_CONTEXT_CHARS,
  MAX_THREAD_CONTEXT_MESSAGES,
  threadContextMessageSchema,
} from './chat-event.js';
export type {
  ChatEvent,
  ChatAuthor,
  ChatPlatform,
  ConversationKey,
  ThreadContextMessage,
} from './chat-event.js';
export { conversationIdFor, conversationWorkflowId } from './conversation-key.js';
