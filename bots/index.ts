// Chat front ends: each verifies, translates its platform's message into a ChatEvent
// (lib/conversation) and delivers it to the conversation's workflow.

export { deliverChatEvent } from './deliver.js';
export { newWebConversationKey, webChatEvent } from './web/web-chat.js';
export type { WebUser } from './web/web-chat.js';
