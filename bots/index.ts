export {
  chatEventSchema,
  conversationKeySchema,
  chatPlatformSchema,
  MAX_MESSAGE_CHARS,
} from './chat-event.js';
export type { ChatEvent, ChatAuthor, ChatPlatform, ConversationKey } from './chat-event.js';
export { conversationIdFor, conversationWorkflowId } from './conversation-key.js';
export { deliverChatEvent } from './deliver.js';
export { newWebConversationKey, webChatEvent } from './web/web-chat.js';
export type { WebUser } from './web/web-chat.js';
