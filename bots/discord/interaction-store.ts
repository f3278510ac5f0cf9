import { conversationIdFor } from '../../lib/conversation/index.js';
import type { ChatEvent } from '../../lib/conversation/index.js';
import { open, seal } from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';

/** An interaction token works for 15 minutes; stop using it a little before. */
export const TOKEN_LIFETIME_MS = 14 * 60_000;

/** Associated data of a sealed interaction token: it opens for its own interaction only. */
const tokenContext = (interactionId: string) => `discord-interaction:${interactionId}`;

/**
 * Stores a `/dynamiq` interaction (its token sealed) before it is acknowledged. False when it
 * was stored before: a redelivery, which starts nothing new.
 */
export async function storeInteraction(
  db: Db,
  keyring: Keyring,
  input: { interactionId: string; applicationId: string; token: string; event: ChatEvent },
): Promise<boolean> {
  const token = seal(keyring, Buffer.from(input.token, 'utf8'), tokenContext(input.interactionId));
  // One plain statement: this insert is all the response waits for, and under a burst of
  // commands the client's per-query work is what queues. A conflict (on the id or the event
  // id) is a redelivery.
  const inserted = await db.$executeRaw`
    INSERT INTO "DiscordInteraction" ("id", "eventId", "conversationId", "applicationId", "token", "event")
    VALUES (${input.interactionId}, ${input.event.eventId},
            ${conversationIdFor(input.event.conversation)}::uuid, ${input.applicationId},
            decode(${token.toString('base64')}, 'base64'), ${JSON.stringify(input.event)}::jsonb)
    ON CONFLICT DO NOTHING`;
  return inserted === 1;
}

/** The token of the interaction that started a turn, while it still works; else null. */
export async function liveInteractionToken(
  db: Db,
  keyring: Keyring,
  eventId: string,
): Promise<string | null> {
  const row = await db.discordInteraction.findUnique({
    where: { eventId },
    select: { id: true, token: true, createdAt: true },
  });
  if (!row || Date.now() - row.createdAt.getTime() > TOKEN_LIFETIME_MS) return null;
  return open(keyring, row.token, tokenContext(row.id)).toString('utf8');
}

export function openToken(keyring: Keyring, row: { id: string; token: Uint8Array }): string {
  return open(keyring, row.token, tokenContext(row.id)).toString('utf8');
}
