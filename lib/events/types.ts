/**
 * Live progress of a conversation: the one event model the SSE routes, the chat front ends
 * (Slack, Teams, Discord) and the portal all follow. These are a view of the durable record
 * (database and workflow state), never the record itself: a subscriber that misses one can
 * always read the stored turn, and a turn's final text always comes from the database.
 *
 * Events that name a stored row (`message`, `note`, `tool.call`, `approval`) carry its `seq`, the
 * global order that also serves as the SSE event id; a reconnecting client gets every row
 * changed after its `Last-Event-ID` from the database.
 */
export type ConversationEvent =
  | TurnStartedEvent
  | TurnQueuedEvent
  | StepEvent
  | ToolOutputEvent
  | TokenEvent
  | MessageEvent
  | StepNoteEvent
  | ToolCallChangedEvent
  | ApprovalChangedEvent
  | TurnCompletedEvent;

interface Base {
  conversationId: string;
  /** The chat event id of the user message that started the turn. */
  turnId: string;
}

export interface TurnStartedEvent extends Base {
  type: 'turn.started';
  /** The Dynamiq user the turn acts for. */
  authorUserId: string;
}

/** The author already has as many turns running as allowed; this one waits its turn. */
export interface TurnQueuedEvent extends Base {
  type: 'turn.queued';
  /** 1 = next to start. */
  position: number;
}

export type StepKind = 'thinking' | 'tool' | 'approval';
export type StepStatus = 'started' | 'completed' | 'failed';

/** What the agent is doing now: thinking, running a command, calling a tool, waiting. */
export interface StepEvent extends Base {
  type: 'step';
  /** Stable within the turn: `llm-<n>` for thinking, the tool call id for tools/approvals. */
  stepId: string;
  kind: StepKind;
  status: StepStatus;
  /** One line for people, e.g. "running `gh pr list`", "calling linear__list_issues". */
  label: string;
  /** The tool name for tool and approval steps. */
  tool?: string;
  /** Temporal's attempt number of the activity doing the step (1 = first try). */
  attempt: number;
  /** Since the step started, in milliseconds. */
  elapsedMs: number;
}

/** The newest output of a command that is still running (a tail, not the whole stream). */
export interface ToolOutputEvent extends Base {
  type: 'tool.output';
  toolCallId: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

/**
 * A piece of the answer as the LLM streams it. A retried step streams again with a higher
 * attempt: followers drop what they showed for an earlier attempt of the same step.
 */
export interface TokenEvent extends Base {
  type: 'token';
  stepId: string;
  attempt: number;
  delta: string;
}

export interface MessageEvent extends Base {
  type: 'message';
  messageId: string;
  seq: number;
  role: 'user' | 'assistant' | 'system' | 'tool';
}

/**
 * What the LLM said along with a step's tool calls ("I'll check the pods first"), stored with
 * the step before its calls; read the row (TurnStep) for the text.
 */
export interface StepNoteEvent extends Base {
  type: 'note';
  /** `llm-<step>`, as the step's `step` and `token` events name it. */
  stepId: string;
  step: number;
  seq: number;
}

/** A stored tool call was created or changed state; read the row for its details. */
export interface ToolCallChangedEvent extends Base {
  type: 'tool.call';
  toolCallId: string;
  seq: number;
  status: ToolCallStatus;
}

/**
 * An approval was requested (`status: pending`) or decided. The SSE route names these
 * `approval.requested` and `approval.decided`.
 */
export interface ApprovalChangedEvent extends Base {
  type: 'approval';
  approvalId: string;
  seq: number;
  status: ApprovalStatus;
}

export interface TurnCompletedEvent extends Base {
  type: 'turn.completed';
  /** The stored final answer (or the message saying why there is none). */
  messageId: string;
  isError: boolean;
  status: TurnStatus;
}

export type ToolCallStatus =
  | 'planned'
  | 'invalid'
  | 'awaiting_approval'
  | 'running'
  | 'completed'
  | 'failed'
  | 'denied'
  | 'timed_out'
  | 'cancelled'
  | 'interrupted'
  /** The turn ended (a step, token or time limit) before the call could run. */
  | 'not_run';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timed_out' | 'cancelled';

export type TurnStatus =
  'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'step_limit' | 'budget_exceeded';

export type EventListener = (event: ConversationEvent) => void;

/** One bus per process; publishers are activities, subscribers are SSE routes and bots. */
export interface EventBus {
  publish(event: ConversationEvent): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(conversationId: string, listener: EventListener): () => void;
  close(): Promise<void>;
}
