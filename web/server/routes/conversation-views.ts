import type {
  Approval,
  Conversation,
  Message,
  ToolCall,
  Turn,
  TurnStep,
} from '../../../lib/db/index.js';
import type { ToolCallView } from '../../contract/index.js';

/** The public shape of a conversation: no internal keys beyond what a client needs. */
export function conversationView(c: Conversation) {
  return {
    id: c.id,
    title: c.title,
    platform: c.platform,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    lastMessageAt: c.lastMessageAt?.toISOString() ?? null,
  };
}

export function messageView(m: Message) {
  return {
    id: m.id,
    seq: m.seq,
    turnId: m.turnId,
    role: m.role,
    content: m.content,
    model: m.model,
    isError: m.isError,
    createdAt: m.createdAt.toISOString(),
  };
}

export function toolCallView(c: ToolCall) {
  return {
    id: c.id,
    seq: c.seq,
    turnId: c.turnId,
    step: c.step,
    position: c.position,
    tool: c.tool,
    kind: c.kind,
    app: c.app,
    arguments: c.arguments as unknown,
    summary: c.summary,
    status: c.status,
    statusReason: c.statusReason,
    integrations: c.integrations,
    output: c.output,
    outputBytes: c.outputBytes,
    exitCode: c.exitCode,
    isError: c.isError,
    durationMs: c.durationMs,
    // Written only by the activity that ran the command, in exactly this shape.
    network: (c.network as ToolCallView['network']) ?? null,
    attempt: c.attempt,
    createdAt: c.createdAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
  };
}

/** `userId` is the reader: the view says whether they may decide it. */
export function approvalView(a: Approval, userId: string) {
  return {
    id: a.id,
    seq: a.seq,
    turnId: a.turnId,
    toolCallId: a.toolCallId,
    tool: a.tool,
    summary: a.summary,
    reason: a.reason,
    requestedByUserId: a.requestedByUserId,
    status: a.status,
    decidedByUserId: a.decidedByUserId,
    decisionReason: a.decisionReason,
    expiresAt: a.expiresAt.toISOString(),
    createdAt: a.createdAt.toISOString(),
    decidedAt: a.decidedAt?.toISOString() ?? null,
    canDecide: a.status === 'pending' && a.approverUserIds.includes(userId),
  };
}

/** A step's note; only steps with one have a view. */
export function stepNoteView(s: TurnStep & { note: string }) {
  return {
    turnId: s.turnId,
    seq: s.seq,
    step: s.step,
    stepId: `llm-${s.step}`,
    content: s.note,
    createdAt: s.createdAt.toISOString(),
  };
}

export const hasNote = (s: TurnStep): s is TurnStep & { note: string } => s.note !== null;

export function turnView(
  t: Turn,
  toolCalls: ToolCall[],
  approvals: Approval[],
  userId: string,
  steps: TurnStep[] = [],
) {
  return {
    turnId: t.turnId,
    seq: t.seq,
    status: t.status,
    statusReason: t.statusReason,
    authorUserId: t.authorUserId,
    steps: t.steps,
    promptTokens: t.promptTokens,
    completionTokens: t.completionTokens,
    costUsd: t.costUsd,
    model: t.model,
    queuedAt: t.queuedAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
    toolCalls: toolCalls.filter((c) => c.turnId === t.turnId).map(toolCallView),
    approvals: approvals.filter((a) => a.turnId === t.turnId).map((a) => approvalView(a, userId)),
    notes: steps
      .filter((s) => s.turnId === t.turnId)
      .filter(hasNote)
      .sort((a, b) => a.step - b.step)
      .map(stepNoteView),
  };
}
