import type { Client } from '@temporalio/client';
import { deliverChatEvent } from '../deliver.js';
import { chatEventSchema, conversationIdFor } from '../../lib/conversation/index.js';
import type { ChatEvent } from '../../lib/conversation/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import type { Logger } from '../../lib/logging.js';
import type { DiscordApi } from './api.js';
import { TOKEN_LIFETIME_MS, openToken } from './interaction-store.js';
import type { DiscordProgress } from './progress.js';

/** Attempts before the person is told it did not work (about a minute of back-off). */
const MAX_ATTEMPTS = 6;
const SWEEP_EVERY_MS = 30_000;
/** Hand-overs to Temporal in flight at once, per process. */
const MAX_CONCURRENT = 16;
/** A stored interaction not delivered this long after it came is swept (its process is gone). */
const SWEEP_AFTER_MS = 30_000;

export interface InteractionDeliveriesOptions {
  db: Db;
  keyring: Keyring;
  api: DiscordApi;
  progress: DiscordProgress;
  temporal: Client;
  taskQueue: string;
  log: Logger;
}

/**
 * Hands stored `/dynamiq` interactions to their workflows after Discord has its deferred
 * response: nothing waits on Temporal inside the request, and nothing is lost when Temporal
 * does not answer. A failed hand-over is retried with back-off (the person is told once it is
 * late, and again if it is given up); a sweep takes over interactions a stopped process left.
 */
export class InteractionDeliveries {
  private readonly inFlight = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: InteractionDeliveriesOptions) {}

  start(): void {
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => this.opts.log.warn({ err }, 'Discord sweep failed'));
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const timer of this.timers) clearTimeout(timer);
  }

  /**
   * Delivers one stored interaction (no-op when delivered, or being delivered here). `fresh` is
   * what the request handler just stored, which spares reading it back.
   */
  async deliver(interactionId: string, fresh?: { event: ChatEvent; token: string }): Promise<void> {
    if (this.inFlight.has(interactionId) || this.closed) return;
    this.inFlight.add(interactionId);
    // A few at a time: a burst of commands is answered first, and Temporal is not flooded.
    if (this.running >= MAX_CONCURRENT) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      await this.attempt(interactionId, fresh);
    } finally {
      this.running--;
      this.waiting.shift()?.();
      this.inFlight.delete(interactionId);
    }
  }

  async sweep(): Promise<void> {
    const now = Date.now();
    // A day on, a token is long dead and the turn is in the conversation's own record.
    await this.opts.db.discordInteraction.deleteMany({
      where: { createdAt: { lt: new Date(now - 24 * 60 * 60_000) } },
    });
    const rows = await this.opts.db.discordInteraction.findMany({
      where: {
        deliveredAt: null,
        createdAt: { lt: new Date(now - SWEEP_AFTER_MS), gt: new Date(now - 60 * 60_000) },
      },
      select: { id: true },
      take: 50,
    });
    for (const row of rows) await this.deliver(row.id);
  }

  private async attempt(
    interactionId: string,
    fresh?: { event: ChatEvent; token: string },
  ): Promise<void> {
    const { db, keyring, api, log } = this.opts;
    const row = fresh
      ? { attempts: 0, createdAt: new Date(), deliveredAt: null }
      : await db.discordInteraction.findUnique({ where: { id: interactionId } });
    if (!row || row.deliveredAt) return;
    const event = fresh?.event ?? chatEventSchema.parse((row as { event: unknown }).event);
    const token = fresh?.token ?? openToken(keyring, row as { id: string; token: Uint8Array });
    const tokenAlive = Date.now() - row.createdAt.getTime() < TOKEN_LIFETIME_MS;
    const live = tokenAlive
      ? this.opts.progress.prepare({
          conversationId: conversationIdFor(event.conversation),
          turnId: event.eventId,
          target: { kind: 'interaction', token },
        })
      : null;
    try {
      await deliverChatEvent(this.opts.temporal, this.opts.taskQueue, event);
    } catch (err) {
      live?.cancel();
      const attempts = row.attempts + 1;
      const giveUp = attempts >= MAX_ATTEMPTS || !tokenAlive;
      await db.discordInteraction.update({
        where: { id: interactionId },
        // Given up counts as handled: the person was told, and the sweep leaves it alone.
        data: { attempts, ...(giveUp ? { deliveredAt: new Date() } : {}) },
      });
      log.warn(
        { err, interactionId, attempts, giveUp },
        'could not hand a Discord command to Temporal',
      );
      const notice = giveUp
        ? '❌ Dynamiq could not start on this: its workflow engine did not answer. Please try again in a few minutes.'
        : attempts === 1
          ? '⚠️ Dynamiq is slow to start on this (its workflow engine is not answering); retrying…'
          : null;
      if (notice && tokenAlive) {
        await api
          .editOriginal(token, { content: notice })
          .catch((e: unknown) =>
            log.warn({ err: e }, 'could not tell the Discord user about a failed delivery'),
          );
      }
      if (!giveUp && !this.closed) {
        const timer = setTimeout(
          () => {
            this.timers.delete(timer);
            void this.deliver(interactionId).catch((e: unknown) =>
              log.warn({ err: e, interactionId }, 'Discord delivery retry failed'),
            );
          },
          1_000 * 2 ** (attempts - 1),
        );
        timer.unref();
        this.timers.add(timer);
      }
      return;
    }
    await db.$executeRaw`
      UPDATE "DiscordInteraction" SET "deliveredAt" = CURRENT_TIMESTAMP, "attempts" = "attempts" + 1
      WHERE "id" = ${interactionId}`;
    live?.begin();
  }
}
