export { MemoryEventBus } from './memory-bus.js';
export { PostgresEventBus } from './postgres-bus.js';
export type { ConversationEvent, EventBus, EventListener } from './types.js';
