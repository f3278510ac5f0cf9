import type { Db } from '../../lib/db/index.js';
import type { EventBus, ToolCallStatus } from '../../lib/events/index.js';
import { nextSeq } from './seq.js';
import { publishToolCall, updateToolCall } from './tool-records.js';

export interface RequestApprovalInput {
  conversationId: string;
  turnId: string;
  toolCallId: string;
  /** Deterministic (the workflow's uuid4), so a retried write finds its row. */
  approvalId: string;
  summary: string;
  reason: string;
  requestedByUserId: string;
  approverUserIds: string[];
  timeoutMs: number;
}

/** Records that a call waits for a person, and tells followers (and chat front ends). */
export async function requestApproval(
  deps: { db: Db; bus: EventBus },
  input: RequestApprovalInput,
): Promise<{ approvalId: string; expiresAt: string }> {
  const { db, bus } = deps;
  const result = await db.$transaction(async (tx) => {
    const existing = await tx.approval.findUnique({ where: { id: input.approvalId } });
    if (existing) return { approval: existing, fresh: false };
    const call = await tx.toolCall.findUniqueOrThrow({
      where: { id: input.toolCallId },
      select: { tool: true },
    });
    const approval = await tx.approval.create({
      data: {
        id: input.approvalId,
        conversationId: input.conversationId,
        turnId: input.turnId,
        toolCallId: input.toolCallId,
        tool: call.tool,
        summary: input.summary,
        reason: input.reason,
        requestedByUserId: input.requestedByUserId,
        approverUserIds: input.approverUserIds,
        expiresAt: new Date(Date.now() + input.timeoutMs),
        seq: await nextSeq(tx),
      },
    });
    return { approval, fresh: true };
  });
  const { approval } = result;
  if (result.fresh) {
    await publishToolCall(
      bus,
      await updateToolCall(db, input.toolCallId, {
        status: 'awaiting_approval',
        statusReason: input.reason,
      }),
    );
  }
  await bus.publish({
    type: 'approval',
    conversationId: input.conversationId,
    turnId: input.turnId,
    approvalId: approval.id,
    seq: approval.seq,
    status: approval.status,
  });
  await bus.publish({
    type: 'step',
    conversationId: input.conversationId,
    turnId: input.turnId,
    stepId: input.toolCallId,
    kind: 'approval',
    status: 'started',
    label: `waiting for approval: ${input.summary}`,
    tool: approval.tool,
    attempt: 1,
    elapsedMs: 0,
  });
  return { approvalId: approval.id, expiresAt: approval.expiresAt.toISOString() };
}

export interface DecideApprovalRecordInput {
  conversationId: string;
  turnId: string;
  approvalId: string;
  status: 'approved' | 'denied' | 'timed_out' | 'cancelled';
  decidedByUserId?: string;
  reason?: string;
}

/** Stores a decision the workflow accepted (or its timeout), once. */
export async function recordApprovalDecision(
  deps: { db: Db; bus: EventBus },
  input: DecideApprovalRecordInput,
): Promise<void> {
  const { db, bus } = deps;
  const changed = await db.$transaction(async (tx) => {
    const approval = await tx.approval.findUniqueOrThrow({ where: { id: input.approvalId } });
    if (approval.status !== 'pending') return null;
    const seq = await nextSeq(tx);
    await tx.approval.update({
      where: { id: input.approvalId },
      data: {
        status: input.status,
        decidedByUserId: input.decidedByUserId ?? null,
        decisionReason: input.reason ?? null,
        decidedAt: new Date(),
        seq,
      },
    });
    return { seq, toolCallId: approval.toolCallId, tool: approval.tool };
  });
  if (!changed) return;
  await bus.publish({
    type: 'approval',
    conversationId: input.conversationId,
    turnId: input.turnId,
    approvalId: input.approvalId,
    seq: changed.seq,
    status: input.status,
  });
  await bus.publish({
    type: 'step',
    conversationId: input.conversationId,
    turnId: input.turnId,
    stepId: changed.toolCallId,
    kind: 'approval',
    status: input.status === 'approved' ? 'completed' : 'failed',
    label: `approval ${input.status.replace('_', ' ')}`,
    tool: changed.tool,
    attempt: 1,
    elapsedMs: 0,
  });
}

/**
 * Records an outcome the workflow decided without running the call: denied, timed out,
 * refused by the channel's policy, interrupted by a dead worker, cancelled. `output` is what
 * the LLM is told.
 */
export async function settleToolCall(
  deps: { db: Db; bus: EventBus },
  input: {
    toolCallId: string;
    status: Extract<
      ToolCallStatus,
      'denied' | 'timed_out' | 'cancelled' | 'interrupted' | 'failed'
    >;
    reason: string;
    output: string;
    integrations?: string[];
  },
): Promise<void> {
  await publishToolCall(
    deps.bus,
    await updateToolCall(deps.db, input.toolCallId, {
      status: input.status,
      statusReason: input.reason,
      output: input.output,
      isError: true,
      finishedAt: new Date(),
      ...(input.integrations ? { integrations: input.integrations } : {}),
    }),
  );
}
