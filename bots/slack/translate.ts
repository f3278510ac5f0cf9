import { MAX_MESSAGE_CHARS, MAX_THREAD_CONTEXT_CHARS } from '../../lib/conversation/index.js';
import type {
  ChatEvent,
  ConversationKey,
  ThreadContextMessage,
} from '../../lib/conversation/index.js';
import { SLASH_THREAD_PREFIX } from './thread.js';

/** The fields of a slash command payload the front end reads. */
export interface SlashCommand {
  team_id: string;
  channel_id: string;
  user_id: string;
  user_name?: string;
  command: string;
  text: string;
  trigger_id: string;
}

/** A message-like event: `app_mention` or `message` (in a DM). */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
}

export type Subcommand =
  | { name: 'help' }
  | { name: 'integrations' }
  | { name: 'connect'; integration: string | null }
  | { name: 'cancel' }
  | { name: 'budget' }
  | { name: 'ask'; text: string };

/** `/dynamiq <text>`: a subcommand, or anything else for the agent. */
export function parseSubcommand(text: string): Subcommand {
  const trimmed = text.trim();
  const [first = '', ...rest] = trimmed.split(/\s+/);
  switch (first.toLowerCase()) {
    case '':
    case 'help':
      return rest.length && first ? { name: 'ask', text: trimmed } : { name: 'help' };
    case 'integrations':
      return rest.length ? { name: 'ask', text: trimmed } : { name: 'integrations' };
    case 'connect':
      return {
        name: 'connect',
        integration: rest[0]?.toLowerCase().replace(/[^a-z0-9_-]/g, '') || null,
      };
    case 'cancel':
      return rest.length ? { name: 'ask', text: trimmed } : { name: 'cancel' };
    case 'budget':
      return rest.length ? { name: 'ask', text: trimmed } : { name: 'budget' };
    default:
      return { name: 'ask', text: trimmed };
  }
}

/** A slash command's question: it starts a thread of its own (its root message comes later). */
export function slashCommandEvent(cmd: SlashCommand, text: string, now = new Date()): ChatEvent {
  return {
    eventId: `slash:${cmd.trigger_id}`,
    conversation: {
      platform: 'slack',
      workspaceId: cmd.team_id,
      channelId: cmd.channel_id,
      threadId: `${SLASH_THREAD_PREFIX}${cmd.trigger_id}`.slice(0, 255),
    },
    author: {
      platformUserId: cmd.user_id,
      ...(cmd.user_name ? { displayName: cmd.user_name } : {}),
    },
    text: clip(text),
    receivedAt: now.toISOString(),
  };
}

/** The root message a slash command's thread starts with. */
export function slashRootText(cmd: SlashCommand, text: string): string {
  return `<@${cmd.user_id}> asked: ${text}`.slice(0, 3_000);
}

/**
 * A mention or DM as a chat event, or null when it is not a person's new message (the bot's
 * own, an edit, a join). The event id is the message's own (channel and ts), so the same
 * message delivered twice, or as both a mention and a message event, is one turn.
 */
export function messageEvent(
  teamId: string,
  event: SlackMessageEvent,
  botUserId: string | undefined,
  threadTeamKey?: (threadTs: string) => string | undefined,
  now = new Date(),
): ChatEvent | null {
  if (!event.user || event.bot_id || (botUserId && event.user === botUserId)) return null;
  if (event.subtype && !['file_share', 'thread_broadcast'].includes(event.subtype)) return null;
  const text = stripMention(event.text ?? '', botUserId);
  if (!text) return null;
  const threadTs = event.thread_ts ?? event.ts;
  const key: ConversationKey = {
    platform: 'slack',
    workspaceId: teamId,
    channelId: event.channel,
    threadId: threadTeamKey?.(threadTs) ?? threadTs,
  };
  return {
    eventId: `${event.channel}:${event.ts}`,
    conversation: key,
    author: { platformUserId: event.user },
    text: clip(text),
    receivedAt: now.toISOString(),
  };
}

/** One message of `conversations.replies` as context, or null for what is not a message. */
export function contextMessage(
  message: SlackMessageEvent & { username?: string },
  botUserId: string | undefined,
  botId: string | undefined,
): ThreadContextMessage | null {
  const text = (message.text ?? '').trim();
  if (!text) return null;
  const fromBot = Boolean(
    (botId && message.bot_id === botId) || (botUserId && message.user === botUserId),
  );
  const author = message.user ?? message.bot_id ?? 'unknown';
  return {
    externalId: message.ts,
    author: {
      platformUserId: author,
      ...(message.username ? { displayName: message.username } : {}),
    },
    fromBot,
    text: fromBot
      ? text.slice(0, MAX_THREAD_CONTEXT_CHARS)
      : stripMention(text, botUserId).slice(0, MAX_THREAD_CONTEXT_CHARS),
  };
}

export function stripMention(text: string, botUserId: string | undefined): string {
  const mention = botUserId
    ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g')
    : /^\s*<@[A-Z0-9]+(\|[^>]*)?>/;
  return text.replace(mention, '').trim();
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text;
}
