import type { Db } from '../../lib/db/index.js';
import { loadApprovalView as loadStoredApproval } from '../approval-view.js';
import type { TeamsContext } from './answer.js';
import { approvalActivity } from './cards.js';
import type { ApprovalView } from './cards.js';

async function nameOf(db: Db, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const user = await db.user.findUnique({ where: { id: userId }, select: { displayName: true } });
  return user?.displayName ?? null;
}

/** The stored approval as the card shows it (the newest truth), or null if there is none. */
export const loadApprovalView = (db: Db, approvalId: string) =>
  loadStoredApproval(db, approvalId, (userId) => nameOf(db, userId));

/**
 * Posts the approval card once, then edits it in place as the approval changes. Safe to call
 * again with the same view (a retried activity, or the click handler refreshing it).
 */
export async function showApprovalIn(
  ctx: TeamsContext,
  conversationId: string,
  view: ApprovalView,
  replyToId: string | undefined,
): Promise<void> {
  const reference = await ctx.conversations.load(conversationId);
  const row = await ctx.posts.untilAcquiredOrFinal(
    { conversationId, kind: 'approval', ref: view.approvalId },
    'the approval',
  );
  const activity = approvalActivity(view);
  if (row.activityId) {
    await ctx.connector.update(reference, row.activityId, activity);
    if (row.state !== 'final') await ctx.posts.finish(row.id, { activityId: row.activityId });
    return;
  }
  const id = await ctx.connector.send(reference, activity, replyToId);
  await ctx.posts.finish(row.id, { activityId: id });
}
