import { EventEmitter } from 'node:events';
import type { ConversationEvent, EventBus, EventListener } from './types.js';

/** The bus for one process (`npm start`): publishers and subscribers share memory. */
export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE stream: many per conversation is normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async publish(event: ConversationEvent): Promise<void> {
    this.deliver(event);
  }

  /** Hands an event to this process's subscribers; the Postgres bus reuses it. */
  deliver(event: ConversationEvent): void {
    this.emitter.emit(event.conversationId, event);
  }

  subscribe(conversationId: string, listener: EventListener): () => void {
    this.emitter.on(conversationId, listener);
    return () => this.emitter.off(conversationId, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
