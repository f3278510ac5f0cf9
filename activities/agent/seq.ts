import type { Prisma } from '../../lib/db/index.js';

type Tx = Prisma.TransactionClient;

/**
 * The next number of the one sequence that orders a conversation's replayable record
 * (messages, turns, tool calls, approvals). Drawn from Message's own sequence on every change,
 * so an event stream resumed after `Last-Event-ID` finds every row that changed since.
 */
export async function nextSeq(tx: Tx): Promise<number> {
  const rows = await tx.$queryRaw<Array<{ seq: bigint }>>`
    SELECT nextval(pg_get_serial_sequence('"Message"', 'seq')) AS seq`;
  return Number(rows[0]!.seq);
}
