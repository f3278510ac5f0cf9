import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringOf } from '../../lib/crypto/index.js';
import { migrate, openDatabase } from '../../lib/db/index.js';
import type { Database } from '../../lib/db/index.js';
import { MemoryEventBus } from '../../lib/events/index.js';
import { createLogger } from '../../lib/logging.js';
import { startFakeDiscord } from '../../test/fakes/discord/server.js';
import type { FakeDiscord } from '../../test/fakes/discord/server.js';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import { DiscordApi } from './api.js';
import { InteractionDeliveries } from './deliveries.js';
import { storeInteraction } from './interaction-store.js';
import { DiscordProgress } from './progress.js';

const APP_ID = '1200000000000000002';

describe('handing stored /dynamiq commands to Temporal', () => {
  let pg: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: Database;
  let discord: FakeDiscord;
  const keyring = keyringOf(Buffer.alloc(32, 3).toString('base64'));

  beforeAll(async () => {
    pg = await createTestDatabase();
    database = await openDatabase({ url: pg.url });
    await migrate(database.sql);
    discord = await startFakeDiscord({
      botToken: 'bot-token',
      applicationId: APP_ID,
      bot: { id: '1200000000000000001', username: 'Dynamiq' },
      guild: { id: '1', name: 'g', channels: [] },
    });
  });
  afterAll(async () => {
    await database?.close();
    await pg?.drop();
    await discord?.close();
  });

  it('retries when Temporal does not answer, telling the person once, and delivers once it does', async () => {
    const token = 'token-for-a-slow-temporal';
    discord.issueToken(token);
    const event = {
      eventId: 'discord:interaction:4242',
      conversation: {
        platform: 'discord' as const,
        workspaceId: '1',
        channelId: '5',
        threadId: 'i4242',
      },
      author: { platformUserId: '42', displayName: 'ada' },
      text: 'is prod up?',
      receivedAt: new Date().toISOString(),
    };
    const db = database.prisma;
    expect(
      await storeInteraction(db, keyring, {
        interactionId: '4242',
        applicationId: APP_ID,
        token,
        event,
      }),
    ).toBe(true);
    // A redelivery of the same interaction is recognised and stores nothing new.
    expect(
      await storeInteraction(db, keyring, {
        interactionId: '4242',
        applicationId: APP_ID,
        token,
        event,
      }),
    ).toBe(false);

    const signals: unknown[] = [];
    let failures = 1;
    const temporal = {
      workflow: {
        signalWithStart: async (_name: string, options: { signalArgs: unknown[] }) => {
          if (failures-- > 0) throw new Error('14 UNAVAILABLE: connection refused');
          signals.push(options.signalArgs[0]);
          return {};
        },
      },
    } as unknown as Client;
    const api = new DiscordApi({
      apiUrl: discord.apiUrl,
      botToken: 'bot-token',
      applicationId: APP_ID,
    });
    const log = createLogger('silent');
    const deliveries = new InteractionDeliveries({
      db,
      keyring,
      api,
      progress: new DiscordProgress({ api, bus: new MemoryEventBus(), log }),
      temporal,
      taskQueue: 'q',
      log,
    });
    await deliveries.deliver('4242');
    const told = await discord.waitFor(() => discord.ofToken(token).find((m) => m.original));
    expect(told.content).toMatch(/slow to start/);
    expect(signals).toEqual([]);
    // The retry comes a second later, by itself.
    await discord.waitFor(() => signals.length === 1, 10_000);
    expect(signals[0]).toEqual(event);
    const row = await db.discordInteraction.findUniqueOrThrow({ where: { id: '4242' } });
    expect(row.deliveredAt).not.toBeNull();
    expect(row.attempts).toBe(2);
    // Delivered is delivered: a sweep or a second call does not hand it over again.
    await deliveries.deliver('4242');
    expect(signals).toHaveLength(1);
    deliveries.close();
  });
});
