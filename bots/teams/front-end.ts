import type { ApprovalNotice, ChatFrontEnd, ChatReply } from '../../lib/chat/index.js';
import type { TeamsConfig } from '../../lib/config/index.js';
import type { Db } from '../../lib/db/index.js';
import { finishAnswer } from './answer.js';
import type { TeamsContext } from './answer.js';
import { loadApprovalView, showApprovalIn } from './approvals.js';
import { TeamsConnector } from './connector.js';
import { TeamsConversations, TeamsPosts } from './store.js';
import { activityIdOfTurn } from './translate.js';

export interface TeamsFrontEndOptions {
  db: Db;
  /** `config.teams`: the app registration and the Bot Framework endpoints. */
  config: TeamsConfig;
}

export function teamsContext(db: Db, config: TeamsConfig): TeamsContext {
  return {
    db,
    connector: new TeamsConnector(config),
    conversations: new TeamsConversations(db),
    posts: new TeamsPosts(db),
  };
}

/**
 * What the worker calls at the end of every Teams turn and for every approval change; it
 * writes proactively from the conversation reference the api stored. Each call is idempotent
 * by the activity ids stored in TeamsPost: a retried activity finishes or edits what is there
 * (ending a stream the api left open), and never posts an answer twice.
 */
export function createTeamsFrontEnd(opts: TeamsFrontEndOptions): ChatFrontEnd {
  const ctx = teamsContext(opts.db, opts.config);
  return {
    platform: 'teams',

    async deliverReply(reply: ChatReply) {
      const reference = await ctx.conversations.load(reply.conversationId);
      // A live stream in the api holds the lease while it runs; it usually finishes first.
      const row = await ctx.posts.untilAcquiredOrFinal(
        { conversationId: reply.conversationId, kind: 'reply', ref: reply.turnId },
        'this answer',
        20_000,
      );
      if (row.state === 'final') return;
      const done = await finishAnswer(
        ctx,
        reference,
        row,
        reply.text,
        activityIdOfTurn(reply.turnId),
      );
      await ctx.posts.finish(row.id, done);
    },

    async showApproval(notice: ApprovalNotice) {
      // The stored approval is the newest truth: a retried "pending" never brings back the buttons.
      const view = (await loadApprovalView(opts.db, notice.approvalId)) ?? {
        approvalId: notice.approvalId,
        tool: notice.tool,
        summary: notice.summary,
        reason: notice.reason,
        status: notice.status,
        requestedBy: null,
        decidedBy: notice.decidedByName,
        decisionReason: notice.decisionReason,
      };
      await showApprovalIn(ctx, notice.conversationId, view, activityIdOfTurn(notice.turnId));
    },
  };
}
