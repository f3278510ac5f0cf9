import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import { conversationWorkflowId } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import { ensureChatIdentity } from '../../lib/identity/index.js';
import { Prisma } from '../../lib/db/index.js';
import type { EventBus, TurnStatus } from '../../lib/events/index.js';

export interface RecordUserMessageInput {
  conversationId: string;
  key: ConversationKey;
  event: ChatEvent;
}

export interface RecordAssistantMessageInput {
  conversationId: string;
  turnId: string;
  content: string;
  model: string | null;
  usage: { promptTokens: number; completionTokens: number } | null;
  isError: boolean;
  /** How the turn ended; default `completed`, or `failed` for an error notice. */
  status?: TurnStatus;
  /** `system` for notices about the turn (a cancellation) that are not the agent's words. */
  role?: 'assistant' | 'system';
  /** False to store the answer without announcing the turn's end (the workflow does that). */
  announceCompletion?: boolean;
}

export const assistantExternalId = (turnId: string) => `${turnId}:reply`;

/**
 * Stores the user's message (creating the user, chat identity and conversation on first
 * contact). Idempotent by the chat event id: a retried activity finds the row it wrote.
 */
export async function recordUserMessage(db: Db, bus: EventBus, input: RecordUserMessageInput) {
  const { event, key, conversationId } = input;
  const author = await ensureChatIdentity(db, {
    platform: key.platform,
    workspaceId: key.workspaceId,
    ...event.author,
  });
  const receivedAt = new Date(event.receivedAt);
  const message = await insertOnce(db, conversationId, event.eventId, async (tx) => {
    await tx.conversation.upsert({
      where: { id: conversationId },
      update: { lastMessageAt: receivedAt },
      create: {
        id: conversationId,
        ownerId: author.userId,
        ...key,
        workflowId: conversationWorkflowId(key),
        title: event.text.slice(0, 80),
        lastMessageAt: receivedAt,
      },
    });
    if (event.threadContext?.length) {
      // The thread's earlier messages come first, so the LLM reads the thread in order.
      await tx.message.createMany({
        data: event.threadContext.map((m) => ({
          conversationId,
          turnId: event.eventId,
          externalId: `context:${m.externalId}`,
          role: m.fromBot ? ('assistant' as const) : ('user' as const),
          content: m.fromBot
            ? m.text
            : `${m.author.displayName ?? m.author.platformUserId}: ${m.text}`,
          createdAt: receivedAt,
        })),
        skipDuplicates: true,
      });
    }
    return tx.message.create({
      data: {
        conversationId,
        turnId: event.eventId,
        externalId: event.eventId,
        role: 'user',
        content: event.text,
        authorIdentityId: author.id,
        createdAt: receivedAt,
      },
      select: STORED,
    });
  });
  await bus.publish({
    type: 'message',
    conversationId,
    turnId: event.eventId,
    messageId: message.id,
    seq: message.seq,
    role: 'user',
  });
  return { messageId: message.id };
}

/** Stores the turn's answer once, then tells live subscribers the turn is complete. */
export async function recordAssistantMessage(
  db: Db,
  bus: EventBus,
  input: RecordAssistantMessageInput,
) {
  const message = await insertOnce(
    db,
    input.conversationId,
    assistantExternalId(input.turnId),
    (tx) =>
      tx.message.create({
        data: {
          conversationId: input.conversationId,
          turnId: input.turnId,
          externalId: assistantExternalId(input.turnId),
          role: input.role ?? 'assistant',
          content: input.content,
          model: input.model,
          isError: input.isError,
          promptTokens: input.usage?.promptTokens ?? null,
          completionTokens: input.usage?.completionTokens ?? null,
        },
        select: STORED,
      }),
  );
  const base = {
    conversationId: input.conversationId,
    turnId: input.turnId,
    messageId: message.id,
  };
  await bus.publish({
    type: 'message',
    ...base,
    seq: message.seq,
    role: input.role ?? 'assistant',
  });
  if (input.announceCompletion === false) return { messageId: message.id };
  await bus.publish({
    type: 'turn.completed',
    ...base,
    isError: message.isError,
    status: input.status ?? (message.isError ? 'failed' : 'completed'),
  });
  return { messageId: message.id };
}

type Tx = Prisma.TransactionClient;
const STORED = { id: true, seq: true, isError: true } as const;
type StoredMessage = { id: string; seq: number; isError: boolean };

/**
 * Inserts the message unless one with this external id exists. Insert first, look up on
 * conflict: the common case (a new message) costs no extra query.
 */
async function insertOnce(
  db: Db,
  conversationId: string,
  externalId: string,
  create: (tx: Tx) => Promise<StoredMessage>,
): Promise<StoredMessage> {
  try {
    return await db.$transaction((tx) => create(tx));
  } catch (err) {
    // A retried activity, or a concurrent attempt, already stored it.
    if (!isUniqueViolation(err)) throw err;
    return db.message.findUniqueOrThrow({
      where: { conversationId_externalId: { conversationId, externalId } },
      select: STORED,
    });
  }
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
