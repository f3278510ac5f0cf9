import { z } from 'zod';

/**
 * The one model every chat front end (web, Slack, Teams, Discord) translates its platform
 * message into. Pure types and a zod schema: workflows import the types.
 */
export const chatPlatformSchema = z.enum(['web', 'slack', 'teams', 'discord']);
export type ChatPlatform = z.infer<typeof chatPlatformSchema>;

const id = z.string().min(1).max(255);

/** Identifies a thread on a platform; one conversation (and one workflow) per key. */
export const conversationKeySchema = z.object({
  platform: chatPlatformSchema,
  /** Slack team, Teams tenant, Discord guild; "local" for the web portal. */
  workspaceId: id,
  channelId: id,
  /** Thread root (Slack thread_ts, Teams conversation id, Discord thread); web: conversation. */
  threadId: id,
});
export type ConversationKey = z.infer<typeof conversationKeySchema>;

export const chatAuthorSchema = z.object({
  platformUserId: id,
  displayName: z.string().max(255).optional(),
});
export type ChatAuthor = z.infer<typeof chatAuthorSchema>;

/** Longest user message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 32_000;

/** Earlier thread messages a chat event may carry, at most, and each one's length. */
export const MAX_THREAD_CONTEXT_MESSAGES = 50;
export const MAX_THREAD_CONTEXT_CHARS = 4_000;

/** One earlier message of the thread the bot was brought into, for the conversation's context. */
export const threadContextMessageSchema = z.object({
  /** The platform's id of that message (Slack ts), so storing it twice finds the first row. */
  externalId: id,
  author: chatAuthorSchema,
  /** The bot itself wrote it: the LLM sees it as its own earlier answer. */
  fromBot: z.boolean(),
  text: z.string().max(MAX_THREAD_CONTEXT_CHARS),
});
export type ThreadContextMessage = z.infer<typeof threadContextMessageSchema>;

export const chatEventSchema = z.object({
  /** The platform's id for this message (Slack event id, Discord message id, ...). A
   *  redelivered event carries the same id, so it is handled once. */
  eventId: id,
  conversation: conversationKeySchema,
  author: chatAuthorSchema,
  text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  /** ISO 8601. */
  receivedAt: z.iso.datetime(),
  /** The thread's earlier messages, oldest first, when the bot joins an existing thread. */
  threadContext: z.array(threadContextMessageSchema).max(MAX_THREAD_CONTEXT_MESSAGES).optional(),
});
export type ChatEvent = z.infer<typeof chatEventSchema>;
