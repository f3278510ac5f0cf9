import type { Db } from '../../lib/db/index.js';
import { Prisma } from '../../lib/db/index.js';

export interface DiscordPostKey {
  conversationId: string;
  kind: 'reply' | 'approval';
  ref: string;
}

export interface DiscordPostRow {
  id: string;
  channelId: string;
  messageIds: string[];
  state: string;
}

/**
 * What the worker posted, so a retried activity continues where the last attempt stopped: each
 * message id is recorded as soon as it is posted, so a retry posts at most the one message
 * whose id it never learnt, never a whole answer twice.
 */
export class DiscordPosts {
  constructor(private readonly db: Db) {}

  async claim(key: DiscordPostKey, channelId: string): Promise<DiscordPostRow> {
    const where = { conversationId_kind_ref: key };
    const found = await this.db.discordPost.findUnique({ where });
    if (found) return found;
    try {
      return await this.db.discordPost.create({
        data: { ...key, channelId, messageIds: [], state: 'posting' },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        return this.db.discordPost.findUniqueOrThrow({ where });
      }
      throw err;
    }
  }

  async recordMessage(id: string, messageIds: string[]): Promise<void> {
    await this.db.discordPost.update({ where: { id }, data: { messageIds } });
  }

  async finish(id: string): Promise<void> {
    await this.db.discordPost.update({ where: { id }, data: { state: 'final' } });
  }
}
