import { MAX_THREAD_CONTEXT_MESSAGES, chatEventSchema } from '../../lib/conversation/index.js';
import type { ChatEvent, ThreadContextMessage } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import { Prisma } from '../../lib/db/index.js';
import type { Logger } from '../../lib/logging.js';
import type { SlackContext } from './thread.js';
import { contextMessage } from './translate.js';
import type { SlackMessageEvent } from './translate.js';

/** An event waits this long before a sweep (another api process may still be reading its thread), in ms. */
const SWEEP_AFTER_MS = 15_000;
const SWEEP_EVERY_MS = 30_000;
/** After this many failed reads of the thread the event goes without context. */
const MAX_ATTEMPTS = 3;

export interface PendingEventsOptions {
  db: Db;
  ctx: SlackContext;
  log: Logger;
  /** Hands the event (now with its thread context) to the workflow and follows it live. */
  deliver(event: ChatEvent, userId: string, rootText: string | undefined): Promise<void>;
}

export interface PendingOptions {
  /** A mention in an existing thread: read the thread's earlier messages first. */
  readThread?: boolean;
  /** The root message of the thread a slash command starts. */
  rootText?: string;
}

/**
 * Every event is stored when it arrives, which is all the ack waits for (signalWithStart can
 * take a second on a loaded Temporal; Slack retries after 3 s). After the ack it is delivered
 * to its workflow, for a mention in an existing thread with the thread's earlier messages
 * (conversations.replies, bounded) as context. A sweep delivers what a stopped api left; the
 * workflow drops an event id it has seen, so a second delivery starts nothing.
 */
export class PendingEvents {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: PendingEventsOptions) {}

  async add(event: ChatEvent, opts: PendingOptions = {}): Promise<void> {
    try {
      await this.opts.db.slackPendingEvent.create({
        data: {
          eventId: event.eventId,
          event: event as unknown as Prisma.InputJsonValue,
          teamId: event.conversation.workspaceId,
          readThread: opts.readThread ?? false,
          rootText: opts.rootText ?? null,
        },
      });
    } catch (err) {
      // A retried delivery of the same message: it is already waiting.
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
    }
  }

  async process(eventId: string): Promise<void> {
    const { db, log } = this.opts;
    const row = await db.slackPendingEvent.findUnique({ where: { eventId } });
    if (!row) return;
    const event = chatEventSchema.parse(row.event);
    let threadContext: ThreadContextMessage[] | undefined;
    try {
      if (row.readThread) threadContext = await this.readThread(event);
    } catch (err) {
      const attempts = row.attempts + 1;
      if (attempts < MAX_ATTEMPTS) {
        await db.slackPendingEvent.update({ where: { eventId }, data: { attempts } });
        log.warn({ err, eventId }, 'could not read the Slack thread for context; will retry');
        return;
      }
      log.warn(
        { err, eventId },
        'could not read the Slack thread for context; answering without it',
      );
    }
    await this.opts.deliver(
      { ...event, ...(threadContext?.length ? { threadContext } : {}) },
      event.author.platformUserId,
      row.rootText ?? undefined,
    );
    await db.slackPendingEvent.deleteMany({ where: { eventId } });
  }

  /** Delivers events a stopped (or failed) process left behind. */
  async sweep(): Promise<void> {
    const rows = await this.opts.db.slackPendingEvent.findMany({
      where: { createdAt: { lt: new Date(Date.now() - SWEEP_AFTER_MS) } },
      select: { eventId: true },
      take: 50,
    });
    for (const row of rows) await this.process(row.eventId);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) =>
        this.opts.log.warn({ err }, 'Slack pending-event sweep failed'),
      );
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async readThread(event: ChatEvent): Promise<ThreadContextMessage[]> {
    const { ctx } = this.opts;
    const { workspaceId: teamId, channelId, threadId } = event.conversation;
    const auth = await ctx.installations.auth(teamId);
    const ts = event.eventId.slice(event.eventId.lastIndexOf(':') + 1);
    const replies = await ctx.api.call<{
      messages?: Array<SlackMessageEvent & { username?: string }>;
    }>(auth.botToken, teamId, 'conversations.replies', {
      channel: channelId,
      ts: threadId,
      limit: 200,
      inclusive: true,
    });
    return (replies.messages ?? [])
      .filter((m) => Number(m.ts) < Number(ts))
      .slice(-MAX_THREAD_CONTEXT_MESSAGES)
      .map((m) => contextMessage(m, auth.botUserId, auth.botId))
      .filter((m): m is ThreadContextMessage => m !== null);
  }
}
