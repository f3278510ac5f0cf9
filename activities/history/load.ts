import type { Db } from '../../lib/db/index.js';

/** Messages sent to the LLM per turn: the most recent ones, oldest first. */
export const HISTORY_MESSAGES = 50;

export interface HistoryMessage {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The conversation as the LLM should see it: user and assistant messages in order, without
 * error notices (they are for the person, not the model).
 */
export async function loadHistory(db: Db, conversationId: string): Promise<HistoryMessage[]> {
  const rows = await db.message.findMany({
    where: { conversationId, role: { in: ['user', 'assistant'] }, isError: false },
    orderBy: { seq: 'desc' },
    take: HISTORY_MESSAGES,
    select: { role: true, content: true },
  });
  return rows
    .reverse()
    .map((r) => ({ role: r.role as HistoryMessage['role'], content: r.content }));
}
