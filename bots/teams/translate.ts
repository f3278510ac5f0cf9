import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_MESSAGE_CHARS } from '../../lib/conversation/index.js';
import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';

const id = z.string().min(1).max(1_024);
const account = z.looseObject({
  id,
  name: z.string().max(1_024).optional(),
  aadObjectId: z.string().max(255).optional(),
});

/**
 * The fields of a Bot Framework activity Dynamiq reads, checked before anything else touches
 * it; the rest passes through untouched for botbuilder. Only Teams (`msteams`) is served.
 */
export const activitySchema = z.looseObject({
  type: z.string().min(1).max(64),
  id: id.optional(),
  channelId: z.literal('msteams'),
  serviceUrl: z.url({ protocol: /^https?$/ }),
  from: account,
  recipient: account,
  conversation: z.looseObject({
    id,
    conversationType: z.string().max(64).optional(),
    tenantId: z.string().max(255).optional(),
    isGroup: z.boolean().optional(),
  }),
  text: z.string().max(200_000).optional(),
  name: z.string().max(255).optional(),
  value: z.unknown().optional(),
  replyToId: id.optional(),
  entities: z
    .array(z.looseObject({ type: z.string() }))
    .max(100)
    .optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(255) }).optional(),
      channel: z.looseObject({ id: z.string().max(1_024) }).optional(),
    })
    .optional(),
});
export type TeamsActivity = z.infer<typeof activitySchema>;

/** `personal` (1:1 with the bot), `channel` (a team's channel) or `groupChat`. */
export type Surface = 'personal' | 'channel' | 'groupChat';

export function surfaceOf(activity: TeamsActivity): Surface {
  const type = activity.conversation.conversationType;
  if (type === 'channel' || type === 'groupChat') return type;
  return activity.conversation.isGroup ? 'groupChat' : 'personal';
}

export function tenantOf(activity: TeamsActivity): string {
  return activity.conversation.tenantId ?? activity.channelData?.tenant?.id ?? 'unknown';
}

/** Ids longer than a key field holds are replaced by their hash (they stay unique). */
const fit = (value: string) =>
  value.length <= 255 ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;

/**
 * The conversation of an activity: one per Teams conversation id, which in a channel names the
 * reply chain (`19:…@thread.tacv2;messageid=<root>`), so each chain is its own conversation.
 */
export function conversationKeyOf(activity: TeamsActivity): ConversationKey {
  const conversationId = activity.conversation.id;
  return {
    platform: 'teams',
    workspaceId: fit(tenantOf(activity)),
    channelId: fit(conversationId.split(';')[0]!),
    threadId: fit(conversationId),
  };
}

/** The person: their Entra (AAD) object id where Teams gives it, which is the same for every bot. */
export function authorOf(activity: TeamsActivity): {
  platformUserId: string;
  displayName?: string;
} {
  return {
    platformUserId: fit(activity.from.aadObjectId ?? activity.from.id),
    ...(activity.from.name ? { displayName: activity.from.name.slice(0, 255) } : {}),
  };
}

/** Turn ids are `teams:<activity id>`: the activity the turn's messages reply to. */
export const TURN_PREFIX = 'teams:';
export const activityIdOfTurn = (turnId: string) =>
  turnId.startsWith(TURN_PREFIX) ? turnId.slice(TURN_PREFIX.length) : undefined;

interface Mention {
  type: string;
  mentioned?: { id?: string };
  text?: string;
}

function mentionsBot(activity: TeamsActivity): Mention[] {
  return (activity.entities ?? [])
    .map((e) => e as Mention)
    .filter((e) => e.type.toLowerCase() === 'mention' && e.mentioned?.id === activity.recipient.id);
}

/**
 * The text without the bot's mention (every `<at>Dynamiq</at>` the mention entities name, as
 * botbuilder's TurnContext.removeRecipientMention does for the first), and without the
 * non-breaking spaces Teams puts around mentions.
 */
export function stripBotMention(activity: TeamsActivity): string {
  let text = activity.text ?? '';
  for (const mention of mentionsBot(activity)) {
    if (mention.text) text = text.split(mention.text).join(' ');
  }
  return text
    .replace(/&nbsp;|\u00a0/g, ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/**
 * A person's message to the bot as a chat event, or null when it is not one: not a message,
 * the bot's own, a card's submit (no text), or a channel/group message that does not mention
 * the bot. The event id is the activity's, so a redelivered activity is one turn.
 */
export function messageEvent(activity: TeamsActivity, now = new Date()): ChatEvent | null {
  if (activity.type !== 'message' || !activity.id) return null;
  if (activity.from.id === activity.recipient.id) return null;
  if (surfaceOf(activity) !== 'personal' && mentionsBot(activity).length === 0) return null;
  const text = stripBotMention(activity);
  if (!text) return null;
  return {
    eventId: fit(`${TURN_PREFIX}${activity.id}`),
    conversation: conversationKeyOf(activity),
    author: authorOf(activity),
    text: text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text,
    receivedAt: now.toISOString(),
  };
}
