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

export const conversationDetailResponse = z.object({
  conversation: conversationSchema,
  messages: z.array(messageSchema),
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

/** The events of `POST .../messages` and `GET .../events`, by SSE event name. */
export const conversationStreamEvents = {
  accepted: z.object({ conversationId: z.string(), turnId: z.string() }),
  token: z.object({ delta: z.string(), turnId: z.string().optional() }),
  message: messageSchema,
  timeout: z.object({ message: z.string() }),
  ready: z.object({ lastEventId: z.number() }),
  'turn.completed': z.object({
    turnId: z.string(),
    messageId: z.string(),
    isError: z.boolean(),
  }),
} as const;
export type ConversationStreamEvent = {
  [K in keyof typeof conversationStreamEvents]: {
    event: K;
    data: z.infer<(typeof conversationStreamEvents)[K]>;
    id?: string;
  };
}[keyof typeof conversationStreamEvents];
