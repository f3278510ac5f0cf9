import { z } from 'zod';
// A pure zod module (no Node code): the one chat-event model's platform names and limits.
import { MAX_MESSAGE_CHARS, chatPlatformSchema } from '../../lib/conversation/chat-event.js';

export { MAX_MESSAGE_CHARS };

export const conversationSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  platform: chatPlatformSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  lastMessageAt: z.string().nullable(),
});
export type ConversationView = z.infer<typeof conversationSchema>;

export const messageSchema = z.object({
  id: z.string(),
  seq: z.number(),
  turnId: z.string().nullable(),
  role: z.enum(['user', 'assistant', 'system', 'tool']),
  content: z.string(),
  model: z.string().nullable(),
  isError: z.boolean(),
  createdAt: z.string(),
});
export type MessageView = z.infer<typeof messageSchema>;

export const listConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.iso.datetime().optional(),
});
export const listConversationsResponse = z.object({
  conversations: z.array(conversationSchema),
  /** Pass as `before` for the next page; null on the last one. */
  next: z.string().nullable(),
});
export type ListConversationsResponse = z.infer<typeof listConversationsResponse>;

export const createConversationBody = z
  .object({ title: z.string().trim().min(1).max(200).optional() })
  .strict()
  .default({});
export const conversationResponse = z.object({ conversation: conversationSchema });
export type ConversationResponse = z.infer<typeof conversationResponse>;

export const toolCallStatusSchema = z.enum([
  'planned',
  'invalid',
  'awaiting_approval',
  'running',
  'completed',
  'failed',
  'denied',
  'timed_out',
  'cancelled',
  'interrupted',
  /** The turn ended (step limit, token budget, time limit) before the call could run. */
  'not_run',
]);

/** One connection a command opened (or tried to) through its sandbox's egress proxy. */
export const toolCallConnectionSchema = z.object({
  protocol: z.string(),
  host: z.string(),
  port: z.number(),
  /** The address connected to, or the one that was refused, when known. */
  address: z.string().nullable(),
  allowed: z.boolean(),
  /** Why it was refused, or why the upstream connection failed. */
  reason: z.string().nullable(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
});
export type ToolCallConnection = z.infer<typeof toolCallConnectionSchema>;

/** One tool call of a turn, as stored: arguments redacted, output bounded. */
export const toolCallSchema = z.object({
  id: z.string(),
  seq: z.number(),
  turnId: z.string(),
  step: z.number(),
  position: z.number(),
  tool: z.string(),
  kind: z.string(),
  app: z.string().nullable(),
  arguments: z.unknown(),
  summary: z.string(),
  status: toolCallStatusSchema,
  statusReason: z.string().nullable(),
  integrations: z.array(z.string()),
  output: z.string().nullable(),
  outputBytes: z.number().nullable(),
  exitCode: z.number().nullable(),
  isError: z.boolean(),
  durationMs: z.number().nullable(),
  /**
   * The command's connections, the first 200 kept and the rest counted in `dropped`; null when
   * none were recorded (files, MCP tools, E2B, a sandbox without the proxy). Absent from an
   * older api during a rolling upgrade: read as null.
   */
  network: z
    .object({ connections: z.array(toolCallConnectionSchema), dropped: z.number() })
    .nullable()
    .default(null),
  attempt: z.number(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type ToolCallView = z.infer<typeof toolCallSchema>;

export const approvalStatusSchema = z.enum([
  'pending',
  'approved',
  'denied',
  'timed_out',
  'cancelled',
]);

export const approvalSchema = z.object({
  id: z.string(),
  seq: z.number(),
  turnId: z.string(),
  toolCallId: z.string(),
  tool: z.string(),
  summary: z.string(),
  reason: z.string(),
  requestedByUserId: z.string(),
  status: approvalStatusSchema,
  decidedByUserId: z.string().nullable(),
  decisionReason: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  /** Whether the user reading this may decide it. */
  canDecide: z.boolean(),
});
export type ApprovalView = z.infer<typeof approvalSchema>;

/**
 * What the LLM said along with one step's tool calls ("I'll check the pods first"), shown
 * before that step's calls; cut to a bounded length.
 */
export const stepNoteSchema = z.object({
  turnId: z.string(),
  seq: z.number(),
  step: z.number(),
  /** `llm-<step>`, as that step's `step` and `token` events name it. */
  stepId: z.string(),
  content: z.string(),
  createdAt: z.string(),
});
export type StepNoteView = z.infer<typeof stepNoteSchema>;

export const turnStatusSchema = z.enum([
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'step_limit',
  'budget_exceeded',
]);

export const turnSchema = z.object({
  turnId: z.string(),
  seq: z.number(),
  status: turnStatusSchema,
  statusReason: z.string().nullable(),
  authorUserId: z.string(),
  steps: z.number(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  costUsd: z.number(),
  model: z.string().nullable(),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  toolCalls: z.array(toolCallSchema),
  approvals: z.array(approvalSchema),
  /** The steps' notes, in step order; absent from servers before notes were kept. */
  notes: z.array(stepNoteSchema).default([]),
});
export type TurnView = z.infer<typeof turnSchema>;

export const conversationDetailResponse = z.object({
  conversation: conversationSchema,
  messages: z.array(messageSchema),
  /** Absent from servers older than the agent loop. */
  turns: z.array(turnSchema).default([]),
});
export type ConversationDetailResponse = z.infer<typeof conversationDetailResponse>;

export const postMessageBody = z
  .object({
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
    /** Lets a client retry a POST without a second turn. */
    clientMessageId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,128}$/)
      .optional(),
  })
  .strict();
export type PostMessageBody = z.infer<typeof postMessageBody>;

export const approvalDecisionBody = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().trim().min(1).max(2_000).optional(),
  })
  .strict();
export type ApprovalDecisionBody = z.infer<typeof approvalDecisionBody>;
export const approvalDecisionResponse = z.object({
  approvalId: z.string(),
  status: z.enum(['approved', 'denied']),
});
export const cancelTurnResponse = z.object({ turnId: z.string() });

/** The events of `POST .../messages` and `GET .../events`, by SSE event name. */
export const conversationStreamEvents = {
  accepted: z.object({ conversationId: z.string(), turnId: z.string() }),
  /**
   * A piece of the answer. A higher `attempt` for the same `stepId` restarts that step's text:
   * drop what was shown for the earlier attempt.
   */
  token: z.object({
    delta: z.string(),
    turnId: z.string().optional(),
    stepId: z.string().optional(),
    attempt: z.number().optional(),
  }),
  message: messageSchema,
  timeout: z.object({ message: z.string() }),
  ready: z.object({ lastEventId: z.number() }),
  'turn.started': z.object({ turnId: z.string() }),
  'turn.queued': z.object({ turnId: z.string(), position: z.number() }),
  step: z.object({
    turnId: z.string(),
    stepId: z.string(),
    kind: z.enum(['thinking', 'tool', 'approval']),
    status: z.enum(['started', 'completed', 'failed']),
    label: z.string(),
    tool: z.string().optional(),
    attempt: z.number(),
    elapsedMs: z.number(),
  }),
  'tool.output': z.object({
    turnId: z.string(),
    toolCallId: z.string(),
    stream: z.enum(['stdout', 'stderr']),
    data: z.string(),
  }),
  /** A step's note, stored before that step's tool calls (so it comes before them). */
  note: stepNoteSchema,
  'tool.call': toolCallSchema,
  'approval.requested': approvalSchema,
  'approval.decided': approvalSchema,
  'turn.completed': z.object({
    turnId: z.string(),
    messageId: z.string(),
    isError: z.boolean(),
    status: turnStatusSchema.optional(),
  }),
} as const;
export type ConversationStreamEvent = {
  [K in keyof typeof conversationStreamEvents]: {
    event: K;
    data: z.infer<(typeof conversationStreamEvents)[K]>;
    id?: string;
  };
}[keyof typeof conversationStreamEvents];
