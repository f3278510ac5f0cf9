import type { ChatPlatform, ConversationKey } from '../conversation/index.js';
import type { ApprovalStatus, TurnStatus } from '../events/index.js';

/** The turn's final answer, as a chat front end posts it in the thread. */
export interface ChatReply {
  conversationId: string;
  turnId: string;
  key: ConversationKey;
  messageId: string;
  /** Markdown; each front end converts it to its platform's format. */
  text: string;
  isError: boolean;
  status: TurnStatus;
}

/** An approval request (status `pending`) or its outcome, as a chat front end shows it. */
export interface ApprovalNotice {
  conversationId: string;
  turnId: string;
  key: ConversationKey;
  approvalId: string;
  tool: string;
  /** Exactly what will run, one line. */
  summary: string;
  /** Why it needs approval. */
  reason: string;
  requestedByUserId: string;
  status: ApprovalStatus;
  decidedByUserId: string | null;
  /** The decider's display name, when known. */
  decidedByName: string | null;
  decisionReason: string | null;
}

/**
 * What the worker needs from a chat platform to finish a turn there. Called from activities,
 * so each method may run again after a crash: implementations are idempotent (a reply is
 * posted once per turn, an approval message once per approval and then edited in place).
 * Live progress (tokens, steps) is the front end's own business: it follows the event bus.
 */
export interface ChatFrontEnd {
  readonly platform: ChatPlatform;
  deliverReply(reply: ChatReply): Promise<void>;
  showApproval(notice: ApprovalNotice): Promise<void>;
}
