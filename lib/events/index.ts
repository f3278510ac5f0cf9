export { MemoryEventBus } from './memory-bus.js';
export { PostgresEventBus } from './postgres-bus.js';
export type * from './types.js';
