import type { ChatEvent, ConversationKey } from '../../lib/conversation/index.js';
import type { AgentLimits } from '../../lib/config/index.js';
import type { Db } from '../../lib/db/index.js';
import type { EventBus, TurnStatus } from '../../lib/events/index.js';
import { catalog } from '../../integrations/index.js';
import { recordAssistantMessage, recordUserMessage } from '../history/index.js';
import { nextSeq } from './seq.js';

export type PolicyModeName = 'ask-writes' | 'ask-all' | 'auto';

/** What the workflow needs to run a turn, decided once when it starts; no secret in it. */
export interface TurnPlan {
  turnId: string;
  authorUserId: string;
  /** `platform:workspace:channel`. */
  channelKey: string;
  limits: AgentLimits;
  policy: {
    channelMode?: PolicyModeName;
    integrationModes: Record<string, PolicyModeName>;
    /** Program → integration id, for the CLIs the author has credentials for. */
    cliIntegrations: Record<string, string>;
    allowedIntegrations?: string[];
    /** Who may decide this turn's approvals. */
    approverUserIds: string[];
  };
  /** The turn already ended in an earlier run (a redelivered event): nothing to do. */
  finished: boolean;
}

export const channelKeyOf = (key: ConversationKey) =>
  `${key.platform}:${key.workspaceId}:${key.channelId}`;

const modeName = (mode: 'ask_writes' | 'ask_all' | 'auto'): PolicyModeName =>
  mode === 'ask_writes' ? 'ask-writes' : mode === 'ask_all' ? 'ask-all' : 'auto';

/**
 * Stores the user's message and the turn (queued), and gathers the policy the workflow
 * applies to the turn's tool calls. Idempotent by the chat event id.
 */
export async function startTurn(
  deps: { db: Db; bus: EventBus; limits: AgentLimits },
  input: { conversationId: string; key: ConversationKey; event: ChatEvent },
): Promise<TurnPlan> {
  const { db } = deps;
  const { conversationId, key, event } = input;
  await recordUserMessage(db, deps.bus, input);
  const identity = await db.chatIdentity.findUniqueOrThrow({
    where: {
      platform_workspaceId_platformUserId: {
        platform: key.platform,
        workspaceId: key.workspaceId,
        platformUserId: event.author.platformUserId,
      },
    },
    select: { userId: true },
  });
  const authorUserId = identity.userId;
  const channelKey = channelKeyOf(key);
  const turn = await db.$transaction(async (tx) => {
    const found = await tx.turn.findUnique({
      where: { conversationId_turnId: { conversationId, turnId: event.eventId } },
      select: { status: true },
    });
    if (found) return found;
    return tx.turn.create({
      data: {
        conversationId,
        turnId: event.eventId,
        authorUserId,
        channelKey,
        seq: await nextSeq(tx),
      },
      select: { status: true },
    });
  });

  const [channel, integrationPolicies, clouds, connections] = await Promise.all([
    db.channelPolicy.findUnique({ where: { channelKey } }),
    db.integrationPolicy.findMany(),
    db.cloudCredential.findMany({ where: { userId: authorUserId }, select: { provider: true } }),
    db.connection.findMany({
      where: { userId: authorUserId, status: 'active' },
      select: { integrationId: true },
    }),
  ]);
  const credentialed = new Set([
    ...clouds.map((c) => c.provider as string),
    ...connections.map((c) => c.integrationId),
  ]);
  const cliIntegrations: Record<string, string> = {};
  for (const integration of catalog) {
    if (integration.cli && credentialed.has(integration.id)) {
      cliIntegrations[integration.cli.command] = integration.id;
    }
  }
  return {
    turnId: event.eventId,
    authorUserId,
    channelKey,
    limits: deps.limits,
    policy: {
      ...(channel?.mode ? { channelMode: modeName(channel.mode) } : {}),
      integrationModes: Object.fromEntries(
        integrationPolicies.map((p) => [p.integrationId, modeName(p.mode)]),
      ),
      cliIntegrations,
      ...(channel?.restrictIntegrations
        ? { allowedIntegrations: channel.allowedIntegrations }
        : {}),
      approverUserIds: channel?.approverUserIds.length ? channel.approverUserIds : [authorUserId],
    },
    finished: !['queued', 'running'].includes(turn.status),
  };
}

export type SlotClaim = { claimed: true } | { claimed: false; position: number };

/**
 * Takes one of the author's running-turn slots, or says where the turn stands in line. A
 * per-user advisory lock makes the count and the claim one step across workers. A running turn
 * older than the longest a turn may run (plus a minute) no longer holds its slot: its workflow
 * was terminated without finishing it.
 */
export async function claimTurnSlot(
  deps: { db: Db; bus: EventBus },
  input: {
    conversationId: string;
    turnId: string;
    authorUserId: string;
    maxConcurrent: number;
    maxTurnMs: number;
  },
): Promise<SlotClaim> {
  const staleBefore = new Date(Date.now() - input.maxTurnMs - 60_000);
  const result = await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`turn-slots:${input.authorUserId}`}))`;
    const turn = await tx.turn.findUniqueOrThrow({
      where: {
        conversationId_turnId: { conversationId: input.conversationId, turnId: input.turnId },
      },
    });
    if (turn.status === 'running') return { claimed: true as const, fresh: false };
    const running = await tx.turn.count({
      where: {
        authorUserId: input.authorUserId,
        status: 'running',
        startedAt: { gt: staleBefore },
        NOT: { id: turn.id },
      },
    });
    if (running < input.maxConcurrent) {
      await tx.turn.update({
        where: { id: turn.id },
        data: { status: 'running', startedAt: new Date(), seq: await nextSeq(tx) },
      });
      return { claimed: true as const, fresh: true };
    }
    const ahead = await tx.turn.count({
      where: {
        authorUserId: input.authorUserId,
        status: 'queued',
        queuedAt: { lt: turn.queuedAt },
      },
    });
    return { claimed: false as const, position: ahead + 1 };
  });
  const base = { conversationId: input.conversationId, turnId: input.turnId };
  if (result.claimed) {
    if (result.fresh) {
      await deps.bus.publish({ type: 'turn.started', ...base, authorUserId: input.authorUserId });
    }
    return { claimed: true };
  }
  await deps.bus.publish({ type: 'turn.queued', ...base, position: result.position });
  return result;
}

export interface FinishTurnInput {
  conversationId: string;
  turnId: string;
  status: Exclude<TurnStatus, 'queued' | 'running'>;
  /** The answer's message, already stored by the last LLM step (status `completed`). */
  messageId?: string;
  /** Otherwise: the notice to store as the turn's last message. */
  notice?: string;
  /** Why it ended, when not completed. */
  reason?: string;
  /** Who cancelled it, named in the notice. */
  cancelledByUserId?: string;
  /** Why calls that never started did not run (a step or token limit), told on each. */
  notRunReason?: string;
}

type OpenCallStatus = 'planned' | 'awaiting_approval' | 'running';

/**
 * What a call still open when its turn ends became. A running one was stopped with the turn's
 * scope (a cancellation, the wall-time limit); one that never started is `cancelled` when a
 * person cancelled the turn and otherwise `not_run`, never `failed`: it did not fail, a limit
 * ended the turn first.
 */
export function closedCallStatus(
  turnStatus: FinishTurnInput['status'],
  call: OpenCallStatus,
): 'cancelled' | 'not_run' {
  if (turnStatus === 'cancelled' || call === 'running') return 'cancelled';
  return 'not_run';
}

/**
 * Ends the turn: closes anything of it still open (pending approvals, planned or running tool
 * calls, as after a cancellation), stores the turn's outcome and tells followers. Idempotent.
 */
export async function finishTurn(
  deps: { db: Db; bus: EventBus },
  input: FinishTurnInput,
): Promise<{ messageId: string }> {
  const { db, bus } = deps;
  const where = { conversationId: input.conversationId, turnId: input.turnId };
  const changed = await db.$transaction(async (tx) => {
    const approvals = await tx.approval.findMany({
      where: { ...where, status: 'pending' },
      select: { id: true },
    });
    const calls = await tx.toolCall.findMany({
      where: { ...where, status: { in: ['planned', 'awaiting_approval', 'running'] } },
      select: { id: true, status: true },
    });
    const events: Array<
      | { kind: 'approval'; id: string; seq: number }
      | { kind: 'tool'; id: string; seq: number; status: 'cancelled' | 'not_run' }
    > = [];
    for (const a of approvals) {
      const seq = await nextSeq(tx);
      await tx.approval.update({
        where: { id: a.id },
        data: { status: 'cancelled', decidedAt: new Date(), seq },
      });
      events.push({ kind: 'approval', id: a.id, seq });
    }
    for (const c of calls) {
      const seq = await nextSeq(tx);
      const status = closedCallStatus(input.status, c.status as OpenCallStatus);
      const statusReason =
        status === 'not_run'
          ? (input.notRunReason ??
            input.reason ??
            `Not run: the turn ended (${input.status}) before this call ran.`)
          : (input.reason ?? `The turn ended (${input.status}) before this call finished.`);
      await tx.toolCall.update({
        where: { id: c.id },
        data: { status, statusReason, finishedAt: new Date(), seq },
      });
      events.push({ kind: 'tool', id: c.id, seq, status });
    }
    // The exact arguments were kept only so the calls could run (or run again).
    await tx.toolCall.updateMany({ where, data: { argumentsSealed: null } });
    await tx.turn.updateMany({
      where,
      data: {
        status: input.status,
        statusReason: input.reason ?? null,
        finishedAt: new Date(),
        seq: await nextSeq(tx),
      },
    });
    return events;
  });
  for (const e of changed) {
    await bus.publish(
      e.kind === 'approval'
        ? { type: 'approval', ...where, approvalId: e.id, seq: e.seq, status: 'cancelled' }
        : { type: 'tool.call', ...where, toolCallId: e.id, seq: e.seq, status: e.status },
    );
  }
  if (input.messageId) {
    const message = await db.message.findUniqueOrThrow({
      where: { id: input.messageId },
      select: { id: true, isError: true },
    });
    await bus.publish({
      type: 'turn.completed',
      ...where,
      messageId: message.id,
      isError: message.isError,
      status: input.status,
    });
    return { messageId: message.id };
  }
  let notice = input.notice ?? 'The turn ended without an answer.';
  if (input.status === 'cancelled' && input.cancelledByUserId) {
    const user = await db.user.findUnique({
      where: { id: input.cancelledByUserId },
      select: { displayName: true },
    });
    if (user) notice = `Cancelled by ${user.displayName}.`;
  }
  return recordAssistantMessage(db, bus, {
    conversationId: input.conversationId,
    turnId: input.turnId,
    content: notice,
    model: null,
    usage: null,
    isError: input.status !== 'cancelled',
    status: input.status,
    role: input.status === 'cancelled' ? 'system' : 'assistant',
  });
}
