import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import { PostgresEventBus } from './postgres-bus.js';
import type { ConversationEvent } from './types.js';

describe('the PostgreSQL event bus', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let publisher: PostgresEventBus;
  let subscriber: PostgresEventBus;

  beforeAll(async () => {
    db = await createTestDatabase();
    publisher = await PostgresEventBus.connect(db.url);
    subscriber = await PostgresEventBus.connect(db.url);
  });
  afterAll(async () => {
    await publisher?.close();
    await subscriber?.close();
    await db?.drop();
  });

  const nextEvents = (bus: PostgresEventBus, conversationId: string, count: number) =>
    new Promise<ConversationEvent[]>((resolve) => {
      const got: ConversationEvent[] = [];
      const off = bus.subscribe(conversationId, (e) => {
        got.push(e);
        if (got.length === count) {
          off();
          resolve(got);
        }
      });
    });

  it('delivers events between processes’ connections, only to that conversation’s subscribers', async () => {
    const mine = nextEvents(subscriber, 'conv-a', 2);
    let other = 0;
    const off = subscriber.subscribe('conv-b', () => other++);
    await publisher.publish({
      type: 'token',
      stepId: 'llm-1',
      attempt: 1,
      conversationId: 'conv-a',
      turnId: 't1',
      delta: 'hi',
    });
    await publisher.publish({
      type: 'turn.completed',
      conversationId: 'conv-a',
      turnId: 't1',
      messageId: 'm1',
      isError: false,
      status: 'completed',
    });
    expect((await mine).map((e) => e.type)).toEqual(['token', 'turn.completed']);
    expect(other).toBe(0);
    off();
  });

  it('splits a token batch too large for one NOTIFY and keeps its text whole', async () => {
    const text = 'é"\n'.repeat(3000);
    const parts = Math.ceil(text.length / 1200);
    const got = nextEvents(subscriber, 'conv-big', parts);
    await publisher.publish({
      type: 'token',
      stepId: 'llm-1',
      attempt: 1,
      conversationId: 'conv-big',
      turnId: 't',
      delta: text,
    });
    const events = await got;
    expect(events.map((e) => (e.type === 'token' ? e.delta : '')).join('')).toBe(text);
  });

  it('listens again after PostgreSQL drops its connections, and the process survives', async () => {
    const errors: Error[] = [];
    const bus = await PostgresEventBus.connect(db.url, (err) => errors.push(err));
    try {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      // What a restart or failover does to every session of the database.
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await admin.end();
      await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
      // Publishing until the new LISTEN connection hears it.
      let heard = false;
      bus.subscribe('conv-after', () => (heard = true));
      await expect
        .poll(
          async () => {
            await publisher.publish({
              type: 'token',
              stepId: 'llm-1',
              attempt: 1,
              conversationId: 'conv-after',
              turnId: 't',
              delta: 'x',
            });
            return heard;
          },
          { timeout: 15_000, interval: 300 },
        )
        .toBe(true);
    } finally {
      await bus.close();
    }
  });
});
