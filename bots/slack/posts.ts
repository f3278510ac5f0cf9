import type { Db } from '../../lib/db/index.js';
import { Prisma } from '../../lib/db/index.js';

/** How long a holder may post or stream before another process may take over, in ms. */
export const LEASE_MS = 30_000;

export type PostKind = 'root' | 'reply' | 'approval';
export type PostState = 'opening' | 'streaming' | 'message' | 'final';

export interface SlackPostRow {
  id: string;
  conversationId: string;
  kind: string;
  ref: string;
  teamId: string;
  channelId: string;
  threadTs: string | null;
  ts: string | null;
  extraTs: string[];
  state: string;
  leaseUntil: Date | null;
}

export interface PostKey {
  conversationId: string;
  kind: PostKind;
  ref: string;
}

/**
 * The record of what the Slack front end posted, shared by the api (live streaming) and the
 * worker (final answers, approvals): whoever holds a row's lease posts or edits it; the other
 * waits or, once the lease has run out, takes over. A row in state `final` is done.
 */
export class SlackPosts {
  constructor(private readonly db: Db) {}

  find(key: PostKey): Promise<SlackPostRow | null> {
    return this.db.slackPost.findUnique({ where: { conversationId_kind_ref: key } });
  }

  /** A root message's row by its Slack ts, to map a reply in that thread to its conversation. */
  findRootByTs(teamId: string, channelId: string, ts: string): Promise<SlackPostRow | null> {
    return this.db.slackPost.findFirst({ where: { teamId, channelId, ts, kind: 'root' } });
  }

  /**
   * Creates the row leased to the caller, or leases an existing one whose lease has run out and
   * that is not final. Null: someone else holds it, or it is final (read it to know which).
   */
  async acquire(
    key: PostKey,
    place: { teamId: string; channelId: string; threadTs: string | null },
  ): Promise<SlackPostRow | null> {
    try {
      return await this.db.slackPost.create({
        data: { ...key, ...place, state: 'opening', leaseUntil: leaseEnd() },
      });
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
    }
    const row = await this.find(key);
    if (!row || row.state === 'final') return null;
    return (await this.takeOver(row)) ? { ...row, leaseUntil: leaseEnd() } : null;
  }

  /** Leases a row whose holder is gone (lease expired); false if someone holds it. */
  async takeOver(row: SlackPostRow): Promise<boolean> {
    const { count } = await this.db.slackPost.updateMany({
      where: {
        id: row.id,
        state: { not: 'final' },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }],
      },
      data: { leaseUntil: leaseEnd() },
    });
    return count === 1;
  }

  /** Records progress while holding the lease, and extends it. */
  async update(
    id: string,
    data: { state?: PostState; ts?: string; threadTs?: string; extraTs?: string[] },
  ): Promise<void> {
    await this.db.slackPost.update({ where: { id }, data: { ...data, leaseUntil: leaseEnd() } });
  }

  /** Lets go of a row that is not finished (the other process may finish it). */
  async release(id: string): Promise<void> {
    await this.db.slackPost.update({ where: { id }, data: { leaseUntil: null } });
  }

  async finish(id: string, data: { ts: string; extraTs?: string[] }): Promise<void> {
    await this.db.slackPost.update({
      where: { id },
      data: { ...data, state: 'final', leaseUntil: null },
    });
  }
}

function leaseEnd(): Date {
  return new Date(Date.now() + LEASE_MS);
}
