import type { ChatEvent, ConversationKey } from '../../bots/chat-event.js';
import { conversationWorkflowId } from '../../bots/conversation-key.js';
import type { Db } from '../../lib/db/index.js';
import { Prisma } from '../../lib/db/index.js';
import type { EventBus } from '../../lib/events/index.js';

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
}

const assistantExternalId = (turnId: string) => `${turnId}:reply`;

/**
 * Stores the user's message (creating the user, chat identity and conversation on first
 * contact). Idempotent by the chat event id: a retried activity finds the row it wrote.
 */
export async function recordUserMessage(db: Db, bus: EventBus, input: RecordUserMessageInput) {
  const { event, key, conversationId } = input;
  const identityId = await ensureIdentity(db, key, event);
  const message = await insertOnce(db, conversationId, event.eventId, async (tx) => {
    const identity = await tx.chatIdentity.findUniqueOrThrow({ where: { id: identityId } });
    await tx.conversation.upsert({
      where: { id: conversationId },
      update: { lastMessageAt: new Date(event.receivedAt) },
      create: {
        id: conversationId,
        ownerId: identity.userId,
        platform: key.platform,
        workspaceId: key.workspaceId,
        channelId: key.channelId,
        threadId: key.threadId,
        workflowId: conversationWorkflowId(key),
        title: event.text.slice(0, 80),
        lastMessageAt: new Date(event.receivedAt),
      },
    });
    return tx.message.create({
      data: {
        conversationId,
        turnId: event.eventId,
        externalId: event.eventId,
        role: 'user',
        content: event.text,
        authorIdentityId: identityId,
        createdAt: new Date(event.receivedAt),
      },
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
export async function recordAssistantMessage(db: Db, bus: EventBus, input: RecordAssistantMessageInput) {
  const message = await insertOnce(db, input.conversationId, assistantExternalId(input.turnId), (tx) =>
    tx.message.create({
      data: {
        conversationId: input.conversationId,
        turnId: input.turnId,
        externalId: assistantExternalId(input.turnId),
        role: 'assistant',
        content: input.content,
        model: input.model,
        isError: input.isError,
        promptTokens: input.usage?.promptTokens ?? null,
        completionTokens: input.usage?.completionTokens ?? null,
      },
    }),
  );
  const base = { conversationId: input.conversationId, turnId: input.turnId, messageId: message.id };
  await bus.publish({ type: 'message', ...base, seq: message.seq, role: 'assistant' });
  await bus.publish({ type: 'turn.completed', ...base, isError: message.isError });
  return { messageId: message.id };
}

type Tx = Prisma.TransactionClient;
type StoredMessage = { id: string; seq: number; isError: boolean };

/** Runs `create` in a transaction unless the message with this external id exists. */
async function insertOnce<T extends StoredMessage>(
  db: Db,
  conversationId: string,
  externalId: string,
  create: (tx: Tx) => Promise<T>,
): Promise<StoredMessage> {
  const where = { conversationId_externalId: { conversationId, externalId } };
  const existing = await db.message.findUnique({ where });
  if (existing) return existing;
  try {
    return await db.$transaction((tx) => create(tx));
  } catch (err) {
    // A concurrent attempt (an activity retried while the first still ran) won the race.
    if (isUniqueViolation(err)) return db.message.findUniqueOrThrow({ where });
    throw err;
  }
}

async function ensureIdentity(db: Db, key: ConversationKey, event: ChatEvent): Promise<string> {
  const where = {
    platform_workspaceId_platformUserId: {
      platform: key.platform,
      workspaceId: key.workspaceId,
      platformUserId: event.author.platformUserId,
    },
  };
  const found = await db.chatIdentity.findUnique({ where });
  if (found) return found.id;
  try {
    const displayName = event.author.displayName ?? event.author.platformUserId;
    const user = await db.user.create({
      data: {
        displayName,
        identities: {
          create: {
            platform: key.platform,
            workspaceId: key.workspaceId,
            platformUserId: event.author.platformUserId,
            displayName,
          },
        },
      },
      include: { identities: true },
    });
    return user.identities[0]!.id;
  } catch (err) {
    if (isUniqueViolation(err)) return (await db.chatIdentity.findUniqueOrThrow({ where })).id;
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
