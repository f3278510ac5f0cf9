import type { ApprovalNotice, ChatFrontEnd, ChatReply } from '../../lib/chat/index.js';
import type { DiscordConfig } from '../../lib/config/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import { DiscordApi } from './api.js';
import type { MessageBody } from './api.js';
import { approvalMessage, discordMention, loadApprovalView } from './approvals.js';
import { planAnswer } from './format.js';
import { liveInteractionToken } from './interaction-store.js';
import { conversationChannel } from './place.js';
import { DiscordPosts } from './posts.js';

export interface DiscordFrontEndOptions {
  db: Db;
  keyring: Keyring;
  config: Pick<DiscordConfig, 'botToken' | 'applicationId' | 'apiUrl'>;
}

/** Marks the interaction's own response in DiscordPost.messageIds. */
const ORIGINAL = '@original';

/**
 * What the worker calls at the end of every Discord turn and for every approval change. A turn
 * that came from `/dynamiq` is answered through its interaction token while it lives (the
 * deferred response edited into the answer's first part, follow-ups for the rest); any other,
 * or a later one, in the conversation's thread (or DM, or channel). Idempotent by DiscordPost.
 */
export function createDiscordFrontEnd(opts: DiscordFrontEndOptions): ChatFrontEnd {
  const { db, keyring } = opts;
  const api = new DiscordApi({
    apiUrl: opts.config.apiUrl,
    botToken: opts.config.botToken ?? '',
    applicationId: opts.config.applicationId ?? '',
  });
  const posts = new DiscordPosts(db);
  const threadName = (conversationId: string) => async () => {
    const first = await db.message.findFirst({
      where: { conversationId, role: 'user' },
      orderBy: { seq: 'asc' },
      select: { content: true },
    });
    return first?.content ?? 'Dynamiq';
  };

  return {
    platform: 'discord',

    async deliverReply(reply: ChatReply) {
      const key = {
        conversationId: reply.conversationId,
        kind: 'reply' as const,
        ref: reply.turnId,
      };
      const token = await liveInteractionToken(db, keyring, reply.turnId);
      // An interaction's channel: its thread, the DM, or (threadId `i<id>`) the channel.
      const channelId = token
        ? reply.key.threadId.startsWith('i')
          ? reply.key.channelId
          : reply.key.threadId
        : await conversationChannel(api, reply.key, threadName(reply.conversationId));
      const row = await posts.claim(key, channelId);
      if (row.state === 'final') return;
      const plan = planAnswer(reply.text);
      const bodies: MessageBody[] = plan.messages.map((content) => ({ content }));
      if (plan.file) bodies.push({ content: '', file: plan.file });
      const ids = [...row.messageIds];
      for (const [i, body] of bodies.entries()) {
        if (i < ids.length) continue; // posted by an earlier attempt
        if (token && i === 0) {
          await api.editOriginal(token, body);
          ids.push(ORIGINAL);
        } else if (token) {
          ids.push((await api.followUp(token, body)).id);
        } else {
          ids.push((await api.createMessage(row.channelId, body)).id);
        }
        await posts.recordMessage(row.id, ids);
      }
      await posts.finish(row.id);
    },

    async showApproval(notice: ApprovalNotice) {
      const key = {
        conversationId: notice.conversationId,
        kind: 'approval' as const,
        ref: notice.approvalId,
      };
      const channelId = await conversationChannel(
        api,
        notice.key,
        threadName(notice.conversationId),
      );
      const row = await posts.claim(key, channelId);
      // The stored approval is the newest truth: a retried "pending" never brings back the buttons.
      const view = (await loadApprovalView(db, notice.key.workspaceId, notice.approvalId)) ?? {
        approvalId: notice.approvalId,
        tool: notice.tool,
        summary: notice.summary,
        reason: notice.reason,
        status: notice.status,
        requestedBy: await discordMention(db, notice.key.workspaceId, notice.requestedByUserId),
        decidedBy:
          (await discordMention(db, notice.key.workspaceId, notice.decidedByUserId)) ??
          notice.decidedByName,
        decisionReason: notice.decisionReason,
      };
      const message = approvalMessage(view);
      const [messageId] = row.messageIds;
      if (messageId) {
        await api.editMessage(row.channelId, messageId, message);
      } else {
        const posted = await api.createMessage(row.channelId, message);
        await posts.recordMessage(row.id, [posted.id]);
      }
      if (row.state !== 'final') await posts.finish(row.id);
    },
  };
}
