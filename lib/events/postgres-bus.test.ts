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
    await publisher.publish({ type: 'token', conversationId: 'conv-a', turnId: 't1', delta: 'hi' });
    await publisher.publish({
      type: 'turn.completed',
      conversationId: 'conv-a',
      turnId: 't1',
      messageId: 'm1',
      isError: false,
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
      conversationId: 'conv-big',
      turnId: 't',
      delta: text,
    });
    const events = await got;
    expect(events.map((e) => (e.type === 'token' ? e.delta : '')).join('')).toBe(text);
  });
});
