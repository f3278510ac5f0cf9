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
  private listener: pg.Client | undefined;
  private closed = false;
  private reconnecting = false;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly onError: (err: Error) => void,
  ) {}

  /** `onError` hears about lost connections; the bus reconnects by itself. */
  static async connect(
    url: string,
    onError: (err: Error) => void = () => {},
  ): Promise<PostgresEventBus> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    // Idle clients the server drops are replaced on the next query; unhandled, it would crash.
    pool.on('error', onError);
    const bus = new PostgresEventBus(url, pool, onError);
    await bus.listen();
    return bus;
  }

  private async listen(): Promise<void> {
    const listener = new pg.Client({ connectionString: this.url });
    listener.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      this.local.deliver(JSON.parse(msg.payload) as ConversationEvent);
    });
    // A restarted or failed-over PostgreSQL ends the LISTEN connection: listen again, with
    // back-off, until the bus is closed. Events published meanwhile reach followers when they
    // resume their streams from the stored messages.
    let lost = false;
    const relisten = (err?: Error) => {
      if (lost || this.closed) return;
      lost = true;
      if (err) this.onError(err);
      void this.reconnect();
    };
    listener.on('error', relisten);
    listener.on('end', () => relisten());
    try {
      await listener.connect();
      await listener.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost = true; // this attempt's own failure is the caller's to handle, not a second loop
      await listener.end().catch(() => {});
      throw err;
    }
    this.listener = listener;
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      await this.retryListen();
    } finally {
      this.reconnecting = false;
    }
  }

  private async retryListen(): Promise<void> {
    for (let delay = 500; !this.closed; delay = Math.min(delay * 2, 30_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (this.closed) return;
      try {
        await this.listen();
        return;
      } catch (err) {
        this.onError(err as Error);
      }
    }
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
    this.closed = true;
    await this.local.close();
    await this.listener?.end();
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
