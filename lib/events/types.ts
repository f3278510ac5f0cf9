/**
 * Live progress of a conversation. These are a view of the durable record (database and
 * workflow state), never the record itself: a subscriber that misses one can always read
 * the stored messages, and a turn's final text always comes from the database.
 */
export type ConversationEvent =
  | { type: 'token'; conversationId: string; turnId: string; delta: string }
  | {
      type: 'message';
      conversationId: string;
      turnId: string;
      messageId: string;
      seq: number;
      role: 'user' | 'assistant' | 'system' | 'tool';
    }
  | {
      type: 'turn.completed';
      conversationId: string;
      turnId: string;
      messageId: string;
      isError: boolean;
    };

export type EventListener = (event: ConversationEvent) => void;

/** One bus per process; publishers are activities, subscribers are SSE routes and bots. */
export interface EventBus {
  publish(event: ConversationEvent): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(conversationId: string, listener: EventListener): () => void;
  close(): Promise<void>;
}
