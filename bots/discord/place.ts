import { Routes } from 'discord.js';
import type { ConversationKey } from '../../lib/conversation/index.js';
import type { DiscordApi } from './api.js';
import { DM_WORKSPACE } from './interactions.js';

/**
 * The channel a conversation's messages go to when no interaction token can carry them: the
 * DM itself; the channel of a slash command used outside a thread (threadId `i<id>`); or the
 * thread started from the mentioning message (thread id = message id), created here if the
 * gateway did not get to it, or the channel itself where a thread cannot be made.
 */
export async function conversationChannel(
  api: DiscordApi,
  key: ConversationKey,
  threadName: () => Promise<string>,
): Promise<string> {
  if (key.workspaceId === DM_WORKSPACE || key.threadId === key.channelId) return key.channelId;
  if (key.threadId.startsWith('i')) return key.channelId;
  const exists = await api.ensureThread(key.channelId, key.threadId, await threadName());
  // Not a message of this channel: the key names a thread someone else started.
  return exists || (await isChannel(api, key.threadId)) ? key.threadId : key.channelId;
}

async function isChannel(api: DiscordApi, channelId: string): Promise<boolean> {
  try {
    await api.rest.get(Routes.channel(channelId));
    return true;
  } catch {
    return false;
  }
}
