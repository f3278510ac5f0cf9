export { createLlmClient, NO_LLM_REPLY, SYSTEM_PROMPT } from './client.js';
export type { LlmSettings } from './client.js';
export { generateReply } from './generate-reply.js';
export type { Reply, GenerateReplyDeps } from './generate-reply.js';
export { LlmRequestRejectedError } from './errors.js';
