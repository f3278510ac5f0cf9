import { z } from 'zod';
import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import { MAX_MESSAGE_CHARS } from '../../lib/conversation/index.js';

/** The slash command Dynamiq registers, and its one option. */
export const COMMAND_NAME = 'dynamiq';
export const PROMPT_OPTION = 'prompt';

/** Interaction and response types Dynamiq uses (Discord API v10). */
export const InteractionType = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3 } as const;
export const ResponseType = {
  Pong: 1,
  ChannelMessage: 4,
  DeferredChannelMessage: 5,
  DeferredUpdateMessage: 6,
} as const;
/** Message flag: seen by the person who used the command only. */
export const EPHEMERAL = 64;

/** The workspace id of direct messages, which have no guild. */
export const DM_WORKSPACE = '@me';

const snowflake = z.string().regex(/^\d{1,25}$/);
const user = z.object({
  id: snowflake,
  username: z.string().max(100),
  global_name: z.string().max(100).nullish(),
});
// Channel types of threads (public, private, announcement thread).
const THREAD_TYPES = new Set([10, 11, 12]);

const base = z.object({
  id: snowflake,
  application_id: snowflake,
  token: z.string().min(1).max(1_000),
  guild_id: snowflake.optional(),
  channel_id: snowflake.optional(),
  channel: z
    .object({ id: snowflake, type: z.number().int(), parent_id: snowflake.nullish() })
    .optional(),
  member: z.object({ user, nick: z.string().nullish() }).optional(),
  user: user.optional(),
});

export const interactionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal(InteractionType.Ping), id: snowflake, application_id: snowflake }),
  base.extend({
    type: z.literal(InteractionType.ApplicationCommand),
    data: z.object({
      name: z.string().max(32),
      options: z
        .array(z.object({ name: z.string(), type: z.number().int(), value: z.unknown() }))
        .optional(),
    }),
  }),
  base.extend({
    type: z.literal(InteractionType.MessageComponent),
    data: z.object({ custom_id: z.string().max(100), component_type: z.number().int() }),
    message: z.object({ id: snowflake, channel_id: snowflake }),
  }),
]);
export type Interaction = z.infer<typeof interactionSchema>;
export type CommandInteraction = Extract<Interaction, { type: 2 }>;
export type ComponentInteraction = Extract<Interaction, { type: 3 }>;

/** Who used the interaction: `member.user` in a guild, `user` in a DM. */
export function interactionUser(i: CommandInteraction | ComponentInteraction) {
  const u = i.member?.user ?? i.user;
  if (!u) return null;
  return { id: u.id, name: i.member?.nick ?? u.global_name ?? u.username };
}

/** The conversation of a slash command: its thread when used in one, else its own. */
export function commandConversation(i: CommandInteraction): ConversationKey | null {
  const channelId = i.channel?.id ?? i.channel_id;
  if (!channelId) return null;
  if (!i.guild_id) {
    return { platform: 'discord', workspaceId: DM_WORKSPACE, channelId, threadId: channelId };
  }
  if (i.channel && THREAD_TYPES.has(i.channel.type) && i.channel.parent_id) {
    return {
      platform: 'discord',
      workspaceId: i.guild_id,
      channelId: i.channel.parent_id,
      threadId: channelId,
    };
  }
  // Not a Discord thread: the interaction id names the conversation ("i" keeps it apart from
  // thread ids, which are snowflakes), and answers go to the channel.
  return { platform: 'discord', workspaceId: i.guild_id, channelId, threadId: `i${i.id}` };
}

/** The text after `/dynamiq`, or null when the option is missing or empty. */
export function commandPrompt(i: CommandInteraction): string | null {
  const value = i.data.options?.find((o) => o.name === PROMPT_OPTION)?.value;
  if (typeof value !== 'string' || !value.trim()) return null;
  return value.trim().slice(0, MAX_MESSAGE_CHARS);
}

/** The chat event of a slash command; its id comes from the interaction id, so replays dedupe. */
export function commandEvent(i: CommandInteraction, now = new Date()): ChatEvent | null {
  const key = commandConversation(i);
  const who = interactionUser(i);
  const text = commandPrompt(i);
  if (!key || !who || !text) return null;
  return {
    eventId: `discord:interaction:${i.id}`,
    conversation: key,
    author: { platformUserId: who.id, displayName: who.name },
    text,
    receivedAt: now.toISOString(),
  };
}

/** Approval buttons' custom ids: `dynamiq:approve:<approval id>` and `dynamiq:deny:<id>`. */
export function approvalCustomId(decision: 'approve' | 'deny', approvalId: string): string {
  return `dynamiq:${decision}:${approvalId}`;
}

export function parseApprovalCustomId(
  customId: string,
): { decision: 'approve' | 'deny'; approvalId: string } | null {
  const m = /^dynamiq:(approve|deny):([0-9a-f-]{36})$/.exec(customId);
  return m ? { decision: m[1] as 'approve' | 'deny', approvalId: m[2]! } : null;
}
