import type { ChatFrontEnd } from '../../lib/chat/index.js';
import type { ConversationKey } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import type { TurnStatus } from '../../lib/events/index.js';

export type FrontEnds = Partial<Record<ConversationKey['platform'], ChatFrontEnd>>;

/** Posts the turn's stored answer on the conversation's chat platform (idempotent there). */
export async function deliverReply(
  deps: { db: Db; frontEnds: FrontEnds },
  input: {
    conversationId: string;
    turnId: string;
    key: ConversationKey;
    messageId: string;
    status: TurnStatus;
  },
): Promise<void> {
  const frontEnd = deps.frontEnds[input.key.platform];
  if (!frontEnd) return;
  const message = await deps.db.message.findUniqueOrThrow({
    where: { id: input.messageId },
    select: { content: true, isError: true },
  });
  await frontEnd.deliverReply({
    conversationId: input.conversationId,
    turnId: input.turnId,
    key: input.key,
    messageId: input.messageId,
    text: message.content,
    isError: message.isError,
    status: input.status,
  });
}

/** Shows an approval request, or its decision, on the conversation's chat platform. */
export async function showApproval(
  deps: { db: Db; frontEnds: FrontEnds },
  input: { key: ConversationKey; approvalId: string },
): Promise<void> {
  const frontEnd = deps.frontEnds[input.key.platform];
  if (!frontEnd) return;
  const a = await deps.db.approval.findUniqueOrThrow({ where: { id: input.approvalId } });
  const decider = a.decidedByUserId
    ? await deps.db.user.findUnique({
        where: { id: a.decidedByUserId },
        select: { displayName: true },
      })
    : null;
  await frontEnd.showApproval({
    conversationId: a.conversationId,
    turnId: a.turnId,
    key: input.key,
    approvalId: a.id,
    tool: a.tool,
    summary: a.summary,
    reason: a.reason,
    requestedByUserId: a.requestedByUserId,
    status: a.status,
    decidedByUserId: a.decidedByUserId,
    decidedByName: decider?.displayName ?? null,
    decisionReason: a.decisionReason,
  });
}
