import type { ApprovalStatus } from '../../lib/events/index.js';
import type { Db } from '../../lib/db/index.js';
import { loadApprovalView as loadStoredApproval } from '../approval-view.js';
import type { ApprovalView } from '../approval-view.js';
import type { MessageBody } from './api.js';
import { codeSafe } from './format.js';
import { approvalCustomId } from './interactions.js';

/** An approval as its Discord message shows it. */
const OUTCOME: Record<Exclude<ApprovalStatus, 'pending'>, string> = {
  approved: '✅ Approved',
  denied: '⛔ Denied',
  timed_out: '⌛ Nobody decided in time; not run',
  cancelled: '✖️ Cancelled with the turn; not run',
};

// Button styles: 3 success (green), 4 danger (red).
const BUTTON = 2;
const ACTION_ROW = 1;

/** The message: exactly what will run and why it asks; buttons while pending, then the outcome. */
export function approvalMessage(view: ApprovalView): MessageBody {
  const lines = [
    `**Approval needed** to run \`${view.tool.replace(/`/g, "'")}\`:`,
    '```',
    codeSafe(view.summary).slice(0, 1_200),
    '```',
    view.reason.slice(0, 300),
  ];
  if (view.requestedBy) lines.push(`-# Asked by ${view.requestedBy}`);
  if (view.status !== 'pending') {
    const by =
      view.decidedBy && (view.status === 'approved' || view.status === 'denied')
        ? ` by ${view.decidedBy}`
        : '';
    const why = view.decisionReason ? `: ${view.decisionReason.slice(0, 200)}` : '';
    lines.push(`**${OUTCOME[view.status]}${by}**${why}`);
    return { content: lines.join('\n'), components: [] };
  }
  return {
    content: lines.join('\n'),
    components: [
      {
        type: ACTION_ROW,
        components: [
          {
            type: BUTTON,
            style: 3,
            label: 'Approve',
            custom_id: approvalCustomId('approve', view.approvalId),
          },
          {
            type: BUTTON,
            style: 4,
            label: 'Deny',
            custom_id: approvalCustomId('deny', view.approvalId),
          },
        ],
      },
    ],
  };
}

/** A Dynamiq user as a Discord mention in this workspace, or their display name. */
export async function discordMention(
  db: Db,
  workspaceId: string,
  userId: string | null,
): Promise<string | null> {
  if (!userId) return null;
  const identity = await db.chatIdentity.findFirst({
    where: { userId, platform: 'discord', workspaceId },
    select: { platformUserId: true },
  });
  if (identity) return `<@${identity.platformUserId}>`;
  const user = await db.user.findUnique({ where: { id: userId }, select: { displayName: true } });
  return user?.displayName ?? null;
}

/** The stored approval as the thread shows it: the database is the newest truth. */
export const loadApprovalView = (db: Db, workspaceId: string, approvalId: string) =>
  loadStoredApproval(db, approvalId, (userId) => discordMention(db, workspaceId, userId));
