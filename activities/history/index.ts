export {
  assistantExternalId,
  isUniqueViolation,
  recordUserMessage,
  recordAssistantMessage,
} from './record.js';
export type { RecordUserMessageInput, RecordAssistantMessageInput } from './record.js';
export { loadHistory, HISTORY_MESSAGES } from './load.js';
export type { HistoryMessage } from './load.js';
