import type { Client as TemporalClient } from '@temporalio/client';
import { Client, Events, GatewayIntentBits, Partials } from 'discord.js';
import type { Message } from 'discord.js';
import { deliverChatEvent } from '../deliver.js';
import type { DiscordConfig } from '../../lib/config/index.js';
import { chatEventSchema, conversationIdFor } from '../../lib/conversation/index.js';
import type { ChatEvent } from '../../lib/conversation/index.js';
import type { EventBus } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import { DiscordApi } from './api.js';
import { stripMention } from './format.js';
import { DM_WORKSPACE } from './interactions.js';
import { DiscordProgress } from './progress.js';

export interface DiscordGatewayOptions {
  config: DiscordConfig;
  bus: EventBus;
  temporal: TemporalClient;
  taskQueue: string;
  log: Logger;
}

export type GatewayState = 'connecting' | 'ready' | 'reconnecting' | 'failed';

export interface DiscordGateway {
  /** Where the connection stands, and why when it is not ready. */
  status(): { state: GatewayState; detail?: string };
  close(): Promise<void>;
}

/** What a mention needs of a discord.js Message, so the translation is testable alone. */
export interface IncomingMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  content: string;
  author: { id: string; name: string; bot: boolean };
  mentionsBot: boolean;
  /** Set when the message was written in a thread. */
  thread: { id: string; parentId: string } | null;
}

/**
 * The chat event of a mention (in a guild) or of any message in a DM; null for what is not
 * for Dynamiq. One conversation per thread: a mention outside a thread names the thread about
 * to be started from it (a thread started from a message has the message's id).
 */
export function messageEvent(
  m: IncomingMessage,
  botUserId: string,
  now = new Date(),
): ChatEvent | null {
  if (m.author.bot || m.author.id === botUserId) return null;
  if (m.guildId && !m.mentionsBot) return null;
  const text = stripMention(m.content, botUserId);
  if (!text) return null;
  const conversation = !m.guildId
    ? {
        platform: 'discord' as const,
        workspaceId: DM_WORKSPACE,
        channelId: m.channelId,
        threadId: m.channelId,
      }
    : m.thread
      ? {
          platform: 'discord' as const,
          workspaceId: m.guildId,
          channelId: m.thread.parentId,
          threadId: m.thread.id,
        }
      : {
          platform: 'discord' as const,
          workspaceId: m.guildId,
          channelId: m.channelId,
          threadId: m.id,
        };
  const parsed = chatEventSchema.safeParse({
    // The message id: a gateway resume that replays the message dedupes in the workflow.
    eventId: `discord:message:${m.id}`,
    conversation,
    author: { platformUserId: m.author.id, displayName: m.author.name.slice(0, 255) },
    text,
    receivedAt: now.toISOString(),
  });
  return parsed.success ? parsed.data : null;
}

function incoming(message: Message, botUserId: string): IncomingMessage {
  const channel = message.channel;
  return {
    id: message.id,
    channelId: message.channelId,
    guildId: message.guildId,
    content: message.content,
    author: {
      id: message.author.id,
      name: message.member?.displayName ?? message.author.globalName ?? message.author.username,
      bot: message.author.bot,
    },
    // A direct mention of the bot user only: not @everyone, not a role.
    mentionsBot: message.mentions.users.has(botUserId),
    thread:
      channel.isThread() && channel.parentId
        ? { id: channel.id, parentId: channel.parentId }
        : null,
  };
}

const RECENT = 1_000;
const LOGIN_RETRY_MS = [5_000, 15_000, 60_000, 300_000];

/**
 * The gateway role: a discord.js client (guild messages, DMs, message content) that turns
 * mentions into chat events, starts the conversation's thread, delivers to the workflow and
 * follows the turn's progress. discord.js reconnects and resumes by itself; a login that fails
 * (Discord unreachable) is retried with back-off and never stops the process.
 */
export function startDiscordGateway(opts: DiscordGatewayOptions): DiscordGateway {
  const { config, log } = opts;
  const api = new DiscordApi({
    apiUrl: config.apiUrl,
    botToken: config.botToken ?? '',
    applicationId: config.applicationId ?? '',
  });
  const progress = new DiscordProgress({ api, bus: opts.bus, log });
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.MessageContent,
    ],
    // DM channels are not cached before their first message.
    partials: [Partials.Channel],
    rest: { api: config.apiUrl },
    allowedMentions: { parse: [] },
  });
  let state: GatewayState = 'connecting';
  let detail: string | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  // Ids seen lately: a resume can replay a message; this spares a second thread and follower.
  const recent = new Set<string>();

  client.on(Events.ClientReady, (c) => {
    state = 'ready';
    detail = undefined;
    log.info({ user: c.user.tag }, 'Discord gateway connected');
  });
  client.on(Events.ShardDisconnect, (event) => {
    state = 'reconnecting';
    detail = `disconnected (${event.code})`;
    log.warn({ code: event.code }, 'Discord gateway disconnected');
  });
  client.on(Events.ShardReconnecting, () => {
    state = 'reconnecting';
  });
  client.on(Events.ShardResume, () => {
    state = 'ready';
    detail = undefined;
  });
  client.on(Events.ShardError, (err) => log.warn({ err }, 'Discord gateway error'));
  client.on(Events.Error, (err) => log.warn({ err }, 'Discord client error'));
  client.on(Events.MessageCreate, (message) => {
    handle(message).catch((err: unknown) =>
      log.warn({ err, messageId: message.id }, 'Discord mention not handled'),
    );
  });

  async function handle(message: Message): Promise<void> {
    const me = client.user;
    if (!me) return;
    const event = messageEvent(incoming(message, me.id), me.id);
    if (!event) return;
    if (recent.has(event.eventId)) return;
    recent.add(event.eventId);
    if (recent.size > RECENT) recent.delete(recent.values().next().value!);

    const key = event.conversation;
    let channelId = key.threadId;
    if (key.workspaceId !== DM_WORKSPACE && key.threadId === message.id) {
      const made = await api.ensureThread(key.channelId, message.id, event.text);
      if (!made) channelId = key.channelId;
    }
    const live = progress.prepare({
      conversationId: conversationIdFor(key),
      turnId: event.eventId,
      target: { kind: 'channel', channelId },
    });
    try {
      await deliverWithRetry(event);
    } catch (err) {
      live.cancel();
      await api
        .createMessage(channelId, {
          content:
            '❌ Dynamiq could not start on this: its workflow engine did not answer. Please try again.',
        })
        .catch(() => undefined);
      throw err;
    }
    live.begin();
  }

  async function deliverWithRetry(event: ChatEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await deliverChatEvent(opts.temporal, opts.taskQueue, event);
        return;
      } catch (err) {
        if (attempt >= 6 || closed) throw err;
        log.warn({ err, attempt }, 'could not hand a Discord mention to Temporal; retrying');
        await new Promise((r) => setTimeout(r, 1_000 * 2 ** (attempt - 1)));
      }
    }
  }

  async function login(attempt = 0): Promise<void> {
    try {
      await client.login(config.botToken);
    } catch (err) {
      const code = (err as { code?: string }).code;
      detail = (err as Error).message;
      if (code === 'TokenInvalid' || code === 'DisallowedIntents') {
        state = 'failed';
        log.error(
          { err },
          code === 'DisallowedIntents'
            ? 'Discord refused the gateway intents: turn on Message Content Intent (Developer Portal → Bot)'
            : 'Discord refused DISCORD_BOT_TOKEN: mentions will not arrive until it is fixed',
        );
        return;
      }
      if (closed) return;
      state = 'reconnecting';
      const wait = LOGIN_RETRY_MS[Math.min(attempt, LOGIN_RETRY_MS.length - 1)]!;
      log.warn({ err, retryInMs: wait }, 'cannot reach the Discord gateway; will retry');
      retry = setTimeout(() => void login(attempt + 1), wait);
      retry.unref();
    }
  }
  void login();

  return {
    status: () => ({ state, ...(detail ? { detail } : {}) }),
    async close() {
      closed = true;
      clearTimeout(retry);
      progress.close();
      await client.destroy();
    },
  };
}
