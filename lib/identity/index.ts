import type { ChatPlatform } from '../conversation/index.js';
import type { Db } from '../db/index.js';
import { Prisma } from '../db/index.js';

/** A person on one chat platform, as a front end or an activity first meets them. */
export interface ChatPerson {
  platform: ChatPlatform;
  /** Slack team, Teams tenant, Discord guild; "local" for the web portal. */
  workspaceId: string;
  platformUserId: string;
  displayName?: string;
}

/**
 * The person's chat identity, creating a Dynamiq user for someone seen for the first time
 * (per workspace). Safe to race: a concurrent first contact finds the row the other wrote.
 * Used when a message is stored and when a button click comes before any message.
 */
export async function ensureChatIdentity(
  db: Db,
  person: ChatPerson,
): Promise<{ id: string; userId: string }> {
  const where = {
    platform_workspaceId_platformUserId: {
      platform: person.platform,
      workspaceId: person.workspaceId,
      platformUserId: person.platformUserId,
    },
  };
  const select = { id: true, userId: true } as const;
  const found = await db.chatIdentity.findUnique({ where, select });
  if (found) return found;
  try {
    const displayName = person.displayName ?? person.platformUserId;
    const user = await db.user.create({
      data: {
        displayName,
        identities: {
          create: {
            platform: person.platform,
            workspaceId: person.workspaceId,
            platformUserId: person.platformUserId,
            displayName,
          },
        },
      },
      select: { identities: { select } },
    });
    return user.identities[0]!;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      return db.chatIdentity.findUniqueOrThrow({ where, select });
    }
    throw err;
  }
}
