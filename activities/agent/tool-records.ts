import type { Db, Prisma } from '../../lib/db/index.js';
import type { EventBus, ToolCallStatus } from '../../lib/events/index.js';
import { open, seal } from '../../lib/crypto/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import { uuidFromHash } from '../../lib/conversation/conversation-key.js';
import { nextSeq } from './seq.js';

type Tx = Prisma.TransactionClient;

export const toolCallContext = (id: string) => `tool-call:${id}`;

/**
 * A tool call's id, derived from where it sits in the turn: a retried LLM step writes the same
 * rows again instead of adding new ones. RFC 9562 version 8 (custom) UUID over sha256.
 */
export function toolCallIdFor(
  conversationId: string,
  turnId: string,
  step: number,
  position: number,
): string {
  return uuidFromHash(JSON.stringify(['tool-call', conversationId, turnId, step, position]));
}

/** Where a stored row changed, for the event that tells followers. */
interface Changed {
  conversationId: string;
  turnId: string;
  toolCallId: string;
  seq: number;
  status: ToolCallStatus;
}

export async function publishToolCall(bus: EventBus, changed: Changed): Promise<void> {
  await bus.publish({ type: 'tool.call', ...changed });
}

/** Updates a tool call and moves it to the end of the replay order. */
export async function updateToolCall(
  db: Db | Tx,
  id: string,
  data: Omit<Prisma.ToolCallUpdateInput, 'seq'>,
): Promise<Changed> {
  const run = async (tx: Tx) => {
    const row = await tx.toolCall.update({
      where: { id },
      data: { ...data, seq: await nextSeq(tx) },
      select: { conversationId: true, turnId: true, id: true, seq: true, status: true },
    });
    return {
      conversationId: row.conversationId,
      turnId: row.turnId,
      toolCallId: row.id,
      seq: row.seq,
      status: row.status,
    };
  };
  return '$transaction' in db ? db.$transaction(run) : run(db);
}

export function sealArguments(keyring: Keyring, id: string, args: unknown): Buffer {
  return seal(keyring, Buffer.from(JSON.stringify(args ?? {})), toolCallContext(id));
}

/** The exact arguments of a call that has not run yet. */
export async function openArguments(db: Db, keyring: Keyring, id: string): Promise<unknown> {
  const row = await db.toolCall.findUniqueOrThrow({
    where: { id },
    select: { argumentsSealed: true, arguments: true },
  });
  if (!row.argumentsSealed) return row.arguments;
  return JSON.parse(open(keyring, row.argumentsSealed, toolCallContext(id)).toString('utf8'));
}
