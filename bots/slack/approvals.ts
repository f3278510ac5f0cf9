import type { Db } from '../../lib/db/index.js';
import { loadApprovalView as loadStoredApproval } from '../approval-view.js';
import type { ApprovalView } from '../approval-view.js';
import { escapeMrkdwn } from './format.js';
import { untilAcquiredOrFinal } from './thread.js';
import type { SlackContext, SlackPlace } from './thread.js';

export const APPROVE_ACTION = 'dynamiq_approve';
export const DENY_ACTION = 'dynamiq_deny';
export type { ApprovalView };

const OUTCOME: Record<Exclude<ApprovalView['status'], 'pending'>, string> = {
  approved: ':white_check_mark: Approved',
  denied: ':no_entry: Denied',
  timed_out: ':hourglass: Nobody decided in time; not run',
  cancelled: ':heavy_multiplication_x: Cancelled with the turn; not run',
};

/** The Block Kit message: exactly what will run, why it asks, and the buttons (while pending). */
export function approvalMessage(view: ApprovalView): { text: string; blocks: object[] } {
  const command = shown(view.summary).replace(/```/g, '`\u200b``');
  const blocks: object[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${view.status === 'pending' ? '*Approval needed*' : 'Asked'} to run \`${escapeMrkdwn(view.tool)}\`:\n\`\`\`${command}\`\`\`\n${shown(view.reason, 400)}`,
      },
    },
  ];
  if (view.requestedBy) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Asked by ${view.requestedBy}` }],
    });
  }
  if (view.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval:${view.approvalId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          style: 'primary',
          value: view.approvalId,
          text: { type: 'plain_text', text: 'Approve' },
        },
        {
          type: 'button',
          action_id: DENY_ACTION,
          style: 'danger',
          value: view.approvalId,
          text: { type: 'plain_text', text: 'Deny' },
        },
      ],
    });
  } else {
    const by =
      view.decidedBy && (view.status === 'approved' || view.status === 'denied')
        ? ` by ${view.decidedBy}`
        : '';
    const why = view.decisionReason ? `: ${shown(view.decisionReason, 500)}` : '';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `${OUTCOME[view.status]}${by}${why}` },
    });
  }
  const state =
    view.status === 'pending' ? 'Approval needed' : OUTCOME[view.status].replace(/^:\w+: /, '');
  return { text: escapeMrkdwn(`${state}: ${view.summary}`.slice(0, 300)), blocks };
}

/** Longest command a section shows: with the rest of its text it stays under Slack's 3,000. */
const COMMAND_CHARS = 2_400;

/**
 * Escaped for mrkdwn, and never cut without saying so: a command longer than the section holds
 * ends with how much more there is (the portal shows it whole).
 */
function shown(text: string, max = COMMAND_CHARS): string {
  if (text.length <= max) return escapeMrkdwn(text);
  return `${escapeMrkdwn(text.slice(0, max))}… (${text.length - max} more characters; the portal shows all of it)`;
}

/** A Dynamiq user as a Slack mention in this workspace, or their name. */
export async function slackMention(
  db: Db,
  teamId: string,
  userId: string | null,
  fallback: string | null,
) {
  if (!userId) return fallback;
  const identity = await db.chatIdentity.findFirst({
    where: { userId, platform: 'slack', workspaceId: teamId },
    select: { platformUserId: true },
  });
  return identity ? `<@${identity.platformUserId}>` : fallback;
}

/**
 * Posts the approval message once, then edits it in place as the approval changes. Safe to
 * call again with the same notice (a retried activity, or the click handler refreshing it).
 */
export async function showApprovalIn(
  ctx: SlackContext,
  db: Db,
  place: SlackPlace,
  conversationId: string,
  view: ApprovalView,
): Promise<void> {
  const message = approvalMessage(view);
  const key = { conversationId, kind: 'approval' as const, ref: view.approvalId };
  const row = await untilAcquiredOrFinal(
    ctx.posts,
    key,
    { teamId: place.teamId, channelId: place.channel, threadTs: place.threadTs },
    'the approval',
  );
  const call = (method: string, args: Record<string, unknown>) =>
    ctx.api.call<{ ts?: string }>(place.auth.botToken, place.teamId, method, {
      channel: place.channel,
      ...args,
    });
  if (row.ts) {
    await call('chat.update', { ts: row.ts, ...message });
    if (row.state !== 'final') await ctx.posts.finish(row.id, { ts: row.ts });
    return;
  }
  const posted = await call('chat.postMessage', { thread_ts: place.threadTs, ...message });
  await ctx.posts.finish(row.id, { ts: posted.ts! });
}

/** The stored approval as the thread shows it, people as Slack mentions where they have one. */
export const loadApprovalView = (db: Db, teamId: string, approvalId: string) =>
  loadStoredApproval(db, approvalId, (userId) => slackMention(db, teamId, userId, null));
