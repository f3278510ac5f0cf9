import pg from 'pg';
import { MemoryEventBus } from './memory-bus.js';
import type { ConversationEvent, EventBus, EventListener } from './types.js';

const CHANNEL = 'dynamiq_events';
/** PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; stay under it even when every character is escaped to 6 bytes. */
const MAX_DELTA_CHARS = 1200;

/**
 * Carries events between processes (api replicas, workers) over PostgreSQL
 * LISTEN/NOTIFY on the product's own database, so splitting roles needs no extra service.
 * One LISTEN connection per process fans out to local subscribers.
 */
export class PostgresEventBus implements EventBus {
  private readonly local = new MemoryEventBus();

  private constructor(
    private readonly listener: pg.Client,
    private readonly pool: pg.Pool,
  ) {}

  static async connect(url: string): Promise<PostgresEventBus> {
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const bus = new PostgresEventBus(listener, new pg.Pool({ connectionString: url, max: 4 }));
    listener.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      bus.local.deliver(JSON.parse(msg.payload) as ConversationEvent);
    });
    await listener.query(`LISTEN ${CHANNEL}`);
    return bus;
  }

  async publish(event: ConversationEvent): Promise<void> {
    for (const part of splitForNotify(event)) {
      await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(part)]);
    }
  }

  subscribe(conversationId: string, listener: EventListener): () => void {
    return this.local.subscribe(conversationId, listener);
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.listener.end();
    await this.pool.end();
  }
}

function splitForNotify(event: ConversationEvent): ConversationEvent[] {
  if (event.type !== 'token' || event.delta.length <= MAX_DELTA_CHARS) return [event];
  const parts: ConversationEvent[] = [];
  for (let i = 0; i < event.delta.length; i += MAX_DELTA_CHARS) {
    parts.push({ ...event, delta: event.delta.slice(i, i + MAX_DELTA_CHARS) });
  }
  return parts;
}
