import { z } from 'zod';
import type { Db } from '../../lib/db/index.js';
import { Prisma } from '../../lib/db/index.js';
import { DynamiqError } from '../../lib/errors/index.js';

/** How long a holder may post or stream before another process may take over, in ms. */
export const LEASE_MS = 30_000;

export type PostKind = 'reply' | 'approval';
export type PostState = 'opening' | 'streaming' | 'message' | 'final';

/** What Dynamiq needs to write into a Teams conversation later (botbuilder's ConversationReference). */
export const referenceSchema = z.looseObject({
  channelId: z.string(),
  serviceUrl: z.string(),
  conversation: z.looseObject({ id: z.string() }),
  bot: z.looseObject({ id: z.string() }).optional(),
  user: z.looseObject({ id: z.string() }).optional(),
});
export type StoredReference = z.infer<typeof referenceSchema>;

export interface TeamsPostRow {
  id: string;
  conversationId: string;
  kind: string;
  ref: string;
  activityId: string | null;
  extraIds: string[];
  state: string;
  streamSequence: number;
  streamStartedAt: Date | null;
  leaseUntil: Date | null;
}

export interface PostKey {
  conversationId: string;
  kind: PostKind;
  ref: string;
}

/** Thrown when no conversation reference is stored for a conversation (nothing came from Teams). */
export class TeamsNotReachableError extends DynamiqError {
  override name = 'TeamsNotReachableError';
  constructor(conversationId: string) {
    super(
      'dynamiq.teams.no_reference',
      `No Teams conversation reference is stored for conversation ${conversationId}.`,
      { status: 404, retryable: false },
    );
  }
}

/** Thrown when the other process is posting the same message right now; try again shortly. */
export class TeamsBusyError extends DynamiqError {
  override name = 'TeamsBusyError';
  constructor(what: string) {
    super('dynamiq.teams.busy', `Another Dynamiq process is posting ${what} in Teams; retrying.`, {
      status: 503,
      retryable: true,
      retryAfterMs: 1_000,
    });
  }
}

/** The conversation references the api stores and the worker sends with. */
export class TeamsConversations {
  constructor(private readonly db: Db) {}

  async save(conversationId: string, tenantId: string, reference: StoredReference): Promise<void> {
    const data = {
      tenantId,
      teamsConversationId: reference.conversation.id,
      serviceUrl: reference.serviceUrl,
      reference: reference as Prisma.InputJsonValue,
    };
    await this.db.teamsConversation.upsert({
      where: { conversationId },
      create: { conversationId, ...data },
      update: data,
    });
  }

  async load(conversationId: string): Promise<StoredReference> {
    const row = await this.db.teamsConversation.findUnique({ where: { conversationId } });
    if (!row) throw new TeamsNotReachableError(conversationId);
    return referenceSchema.parse(row.reference);
  }
}

/**
 * The record of what the Teams front end posted, shared by the api (live progress) and the
 * worker (answers, approvals): whoever holds a row's lease posts or edits it; the other waits
 * or, once the lease has run out, takes over. A row in state `final` is done.
 */
export class TeamsPosts {
  constructor(private readonly db: Db) {}

  find(key: PostKey): Promise<TeamsPostRow | null> {
    return this.db.teamsPost.findUnique({ where: { conversationId_kind_ref: key } });
  }

  /**
   * Creates the row leased to the caller, or leases an existing one whose lease has run out and
   * that is not final. Null: someone else holds it, or it is final (read it to know which).
   */
  async acquire(key: PostKey): Promise<TeamsPostRow | null> {
    try {
      return await this.db.teamsPost.create({
        data: { ...key, state: 'opening', leaseUntil: leaseEnd() },
      });
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
    }
    const row = await this.find(key);
    if (!row || row.state === 'final') return null;
    const { count } = await this.db.teamsPost.updateMany({
      where: {
        id: row.id,
        state: { not: 'final' },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }],
      },
      data: { leaseUntil: leaseEnd() },
    });
    return count === 1 ? { ...row, leaseUntil: leaseEnd() } : null;
  }

  /**
   * The row leased to the caller (any state but final), or the final row another holder
   * finished; waits for a live holder for up to `waitMs`, then TeamsBusyError (retry later).
   */
  async untilAcquiredOrFinal(key: PostKey, what: string, waitMs = 10_000): Promise<TeamsPostRow> {
    const until = Date.now() + waitMs;
    for (;;) {
      const row = await this.acquire(key);
      if (row) return row;
      const current = await this.find(key);
      if (current?.state === 'final') return current;
      if (Date.now() > until) throw new TeamsBusyError(what);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Records progress while holding the lease, and extends it. */
  async update(
    id: string,
    data: {
      state?: PostState;
      activityId?: string | null;
      streamSequence?: number;
      streamStartedAt?: Date | null;
    },
  ): Promise<void> {
    await this.db.teamsPost.update({ where: { id }, data: { ...data, leaseUntil: leaseEnd() } });
  }

  /** Lets go of a row that is not finished (the other process may finish it). */
  async release(id: string): Promise<void> {
    await this.db.teamsPost.update({ where: { id }, data: { leaseUntil: null } });
  }

  async finish(id: string, data: { activityId: string; extraIds?: string[] }): Promise<void> {
    await this.db.teamsPost.update({
      where: { id },
      data: { ...data, state: 'final', leaseUntil: null },
    });
  }
}

function leaseEnd(): Date {
  return new Date(Date.now() + LEASE_MS);
}
