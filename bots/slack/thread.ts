import type { ConversationKey } from '../../lib/conversation/index.js';
import { DynamiqError } from '../../lib/errors/index.js';
import type { SlackApi } from './api.js';
import type { SlackInstallations, WorkspaceAuth } from './installations.js';
import type { PostKey, SlackPostRow, SlackPosts } from './posts.js';

/** A slash command's conversation is named before its root message exists: `cmd:<trigger id>`. */
export const SLASH_THREAD_PREFIX = 'cmd:';
export const isSlashThread = (threadId: string) => threadId.startsWith(SLASH_THREAD_PREFIX);

/** What both the api (live progress) and the worker (answers, approvals) post with. */
export interface SlackContext {
  api: SlackApi;
  installations: SlackInstallations;
  posts: SlackPosts;
}

/** Where a conversation's messages go in Slack. */
export interface SlackPlace {
  auth: WorkspaceAuth;
  teamId: string;
  channel: string;
  /** The thread's root ts (a slash command's root message once posted). */
  threadTs: string;
}

/** Thrown when the other process is posting the same message right now; try again shortly. */
export class SlackBusyError extends DynamiqError {
  override name = 'SlackBusyError';
  constructor(what: string) {
    super('dynamiq.slack.busy', `Another Dynamiq process is posting ${what} in Slack; retrying.`, {
      status: 503,
      retryable: true,
      retryAfterMs: 1_000,
    });
  }
}

/**
 * The thread of a conversation, posting a slash command's root message first if nobody has
 * (once: the root's row is leased while it is posted).
 */
export async function ensureThread(
  ctx: SlackContext,
  conversationId: string,
  key: ConversationKey,
  rootText: () => Promise<string> | string,
): Promise<SlackPlace> {
  const auth = await ctx.installations.auth(key.workspaceId);
  const base = { auth, teamId: key.workspaceId, channel: key.channelId };
  if (!isSlashThread(key.threadId)) return { ...base, threadTs: key.threadId };
  const rootKey: PostKey = { conversationId, kind: 'root', ref: key.threadId };
  const place = { teamId: key.workspaceId, channelId: key.channelId, threadTs: null };
  const row = await untilAcquiredOrFinal(ctx.posts, rootKey, place, 'the thread');
  if (row.state === 'final') return { ...base, threadTs: row.ts! };
  const posted = await ctx.api.call<{ ts?: string }>(
    auth.botToken,
    key.workspaceId,
    'chat.postMessage',
    {
      channel: key.channelId,
      text: await rootText(),
      unfurl_links: false,
    },
  );
  await ctx.posts.finish(row.id, { ts: posted.ts! });
  return { ...base, threadTs: posted.ts! };
}

/**
 * The row leased to the caller (any state but final), or the final row another holder
 * finished; waits for a live holder for up to `waitMs`, then SlackBusyError (retry later).
 */
export async function untilAcquiredOrFinal(
  posts: SlackPosts,
  key: PostKey,
  place: { teamId: string; channelId: string; threadTs: string | null },
  what: string,
  waitMs = 10_000,
): Promise<SlackPostRow> {
  const until = Date.now() + waitMs;
  for (;;) {
    const row = await posts.acquire(key, place);
    if (row) return row;
    const current = await posts.find(key);
    if (current?.state === 'final') return current;
    if (Date.now() > until) throw new SlackBusyError(what);
    await new Promise((r) => setTimeout(r, 200));
  }
}
