import type {
  ApprovalView,
  ConversationStreamEvent,
  StepNoteView,
  ToolCallView,
  TurnView,
} from '../../../contract/index.js';

type StepEvent = Extract<ConversationStreamEvent, { event: 'step' }>['data'];

/** What the page knows of one turn: the stored record, and what is live while it runs. */
export interface TurnState {
  turnId: string;
  status: TurnView['status'];
  statusReason: string | null;
  /** In line this many places behind the user's other turns; null when not queued. */
  queuePosition: number | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  toolCalls: ToolCallView[];
  approvals: ApprovalView[];
  /** What the LLM said along with a step's tool calls, shown before them. */
  notes: StepNoteView[];
  /** The step running now, e.g. "running `gh pr list`"; null when none is. */
  activeStep: StepEvent | null;
  /** The last lines a running command printed, by tool call id. */
  outputTails: Record<string, string>;
}

export type Turns = Record<string, TurnState>;

/** Characters of a running command's output kept for its live tail. */
const TAIL_CHARS = 4_000;

const blank = (turnId: string): TurnState => ({
  turnId,
  status: 'running',
  statusReason: null,
  queuePosition: null,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
  toolCalls: [],
  approvals: [],
  notes: [],
  activeStep: null,
  outputTails: {},
});

export function turnsFromDetail(turns: TurnView[]): Turns {
  return Object.fromEntries(
    turns.map((t) => [
      t.turnId,
      {
        ...blank(t.turnId),
        status: t.status,
        statusReason: t.statusReason,
        promptTokens: t.promptTokens,
        completionTokens: t.completionTokens,
        costUsd: t.costUsd,
        toolCalls: t.toolCalls,
        approvals: t.approvals,
        notes: t.notes,
      },
    ]),
  );
}

/** The highest sequence number among stored rows: where the event stream resumes after. */
export function lastStoredSeq(messages: Array<{ seq: number }>, turns: TurnView[]): number {
  let seq = 0;
  for (const m of messages) seq = Math.max(seq, m.seq);
  for (const t of turns) {
    for (const c of t.toolCalls) seq = Math.max(seq, c.seq);
    for (const a of t.approvals) seq = Math.max(seq, a.seq);
    for (const n of t.notes) seq = Math.max(seq, n.seq);
  }
  return seq;
}

/** Replaces the row with the same id, or adds it in order, keeping the newer by `seq`. */
function upsert<T extends { id: string; seq: number }>(
  list: T[],
  row: T,
  order: (a: T, b: T) => number,
) {
  const at = list.findIndex((x) => x.id === row.id);
  if (at >= 0) {
    if (list[at]!.seq > row.seq) return list;
    const next = list.slice();
    next[at] = row;
    return next;
  }
  return [...list, row].sort(order);
}

const byPosition = (a: ToolCallView, b: ToolCallView) => a.step - b.step || a.position - b.position;
const bySeq = (a: ApprovalView, b: ApprovalView) => a.seq - b.seq;
const byStep = (a: StepNoteView & { id: string }, b: StepNoteView & { id: string }) =>
  a.step - b.step;

/** The turns after one event of the conversation's stream; the same object when it is not one. */
export function applyTurnEvent(turns: Turns, e: ConversationStreamEvent): Turns {
  const turnId = 'turnId' in e.data ? e.data.turnId : undefined;
  if (!turnId) return turns;
  const turn = turns[turnId] ?? blank(turnId);
  let next: TurnState;
  switch (e.event) {
    case 'turn.started':
      next = { ...turn, status: 'running', queuePosition: null };
      break;
    case 'turn.queued':
      next = { ...turn, status: 'queued', queuePosition: e.data.position };
      break;
    case 'step':
      next = {
        ...turn,
        activeStep: e.data.status === 'started' ? e.data : null,
      };
      break;
    case 'tool.output': {
      const shown = (turn.outputTails[e.data.toolCallId] ?? '') + e.data.data;
      next = {
        ...turn,
        outputTails: { ...turn.outputTails, [e.data.toolCallId]: shown.slice(-TAIL_CHARS) },
      };
      break;
    }
    case 'note': {
      // One note per step: the step id is its identity.
      const withIds = turn.notes.map((n) => ({ ...n, id: n.stepId }));
      const notes = upsert(withIds, { ...e.data, id: e.data.stepId }, byStep);
      next = { ...turn, notes: notes.map(({ id: _id, ...n }) => n) };
      break;
    }
    case 'tool.call':
      next = { ...turn, toolCalls: upsert(turn.toolCalls, e.data, byPosition) };
      break;
    case 'approval.requested':
    case 'approval.decided':
      next = { ...turn, approvals: upsert(turn.approvals, e.data, bySeq) };
      break;
    case 'turn.completed':
      next = {
        ...turn,
        status: e.data.status ?? (e.data.isError ? 'failed' : 'completed'),
        activeStep: null,
        queuePosition: null,
      };
      break;
    default:
      return turns;
  }
  return { ...turns, [turnId]: next };
}

/** Whether the turn may still change: it is queued or running. */
export const isActive = (t: TurnState) => t.status === 'queued' || t.status === 'running';
