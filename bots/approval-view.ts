import type { Db } from '../lib/db/index.js';
import type { ApprovalStatus } from '../lib/events/index.js';

/** An approval as a chat front end shows it; people are named the platform's way. */
export interface ApprovalView {
  approvalId: string;
  tool: string;
  summary: string;
  reason: string;
  status: ApprovalStatus;
  requestedBy: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
}

/**
 * The stored approval (the newest truth) as a view, with `nameOf` naming the asker and the
 * decider (a Slack or Discord mention, a display name); null when there is no such approval.
 */
export async function loadApprovalView(
  db: Db,
  approvalId: string,
  nameOf: (userId: string | null) => Promise<string | null>,
): Promise<ApprovalView | null> {
  const row = await db.approval.findUnique({ where: { id: approvalId } });
  if (!row) return null;
  return {
    approvalId: row.id,
    tool: row.tool,
    summary: row.summary,
    reason: row.reason,
    status: row.status,
    requestedBy: await nameOf(row.requestedByUserId),
    decidedBy: await nameOf(row.decidedByUserId),
    decisionReason: row.decisionReason,
  };
}
