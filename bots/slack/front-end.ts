import type { ApprovalNotice, ChatFrontEnd, ChatReply } from '../../lib/chat/index.js';
import type { SlackConfig } from '../../lib/config/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import { finishAnswer } from './answer.js';
import { SlackApi } from './api.js';
import { loadApprovalView, showApprovalIn, slackMention } from './approvals.js';
import { SlackInstallations } from './installations.js';
import { SlackPosts } from './posts.js';
import { ensureThread, untilAcquiredOrFinal } from './thread.js';
import type { SlackContext } from './thread.js';

export interface SlackFrontEndOptions {
  db: Db;
  keyring: Keyring;
  /** `config.slack`: the bot token (single workspace) and SLACK_API_URL. */
  config: Pick<SlackConfig, 'botToken' | 'apiUrl'>;
}

/**
 * What the worker calls at the end of every Slack turn and for every approval change. Each call
 * is idempotent by the Slack ts stored in SlackPost: a retried activity finishes or edits what
 * is there (closing a live stream the api left open), and never posts twice.
 */
export function createSlackFrontEnd(opts: SlackFrontEndOptions): ChatFrontEnd {
  const { db } = opts;
  const ctx: SlackContext = {
    api: new SlackApi({ apiUrl: opts.config.apiUrl }),
    installations: new SlackInstallations(
      db,
      opts.keyring,
      opts.config.botToken ? { botToken: opts.config.botToken } : undefined,
    ),
    posts: new SlackPosts(db),
  };
  const rootText = (conversationId: string) => async () => {
    const first = await db.message.findFirst({
      where: { conversationId, role: 'user' },
      orderBy: { seq: 'asc' },
      select: { content: true, authorIdentity: { select: { platformUserId: true } } },
    });
    const who = first?.authorIdentity ? `<@${first.authorIdentity.platformUserId}>` : 'Someone';
    return `${who} asked: ${first?.content ?? ''}`.slice(0, 3_000);
  };

  return {
    platform: 'slack',

    async deliverReply(reply: ChatReply) {
      const place = await ensureThread(
        ctx,
        reply.conversationId,
        reply.key,
        rootText(reply.conversationId),
      );
      const key = {
        conversationId: reply.conversationId,
        kind: 'reply' as const,
        ref: reply.turnId,
      };
      // A live stream in the api holds the lease while it runs; it usually finishes first.
      const row = await untilAcquiredOrFinal(
        ctx.posts,
        key,
        { teamId: place.teamId, channelId: place.channel, threadTs: place.threadTs },
        'this answer',
        20_000,
      );
      if (row.state === 'final') return;
      const { ts, extraTs } = await finishAnswer(ctx, place, row, reply.text);
      await ctx.posts.finish(row.id, { ts, extraTs });
    },

    async showApproval(notice: ApprovalNotice) {
      const place = await ensureThread(
        ctx,
        notice.conversationId,
        notice.key,
        rootText(notice.conversationId),
      );
      // The stored approval is the newest truth: a retried "pending" never brings back the buttons.
      const stored = await loadApprovalView(db, place.teamId, notice.approvalId);
      const view = stored ?? {
        approvalId: notice.approvalId,
        tool: notice.tool,
        summary: notice.summary,
        reason: notice.reason,
        status: notice.status,
        requestedBy: await slackMention(db, place.teamId, notice.requestedByUserId, null),
        decidedBy: await slackMention(
          db,
          place.teamId,
          notice.decidedByUserId,
          notice.decidedByName,
        ),
        decisionReason: notice.decisionReason,
      };
      await showApprovalIn(ctx, db, place, notice.conversationId, view);
    },
  };
}
