import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conversationIdFor, conversationWorkflowId } from '../../../lib/conversation/index.js';
import { deliverChatEvent } from '../../../bots/deliver.js';
import { newWebConversationKey, webChatEvent } from '../../../bots/web/web-chat.js';
import type { Conversation } from '../../../lib/db/index.js';
import type { RouteDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { openSse } from '../sse.js';
import { liveEvent } from './conversation-stream.js';
import {
  approvalDecisionBody,
  createConversationBody,
  listConversationsQuery,
  postMessageBody,
} from '../../contract/index.js';
import { perUserStarts } from '../rate-limits.js';
import { conversationView, messageView, turnView } from './conversation-views.js';
import { cancelTurn, decideApproval } from '../../../bots/agent-control.js';

const idParams = z.object({ id: z.uuid({ error: 'must be a conversation id (UUID)' }) });

export async function conversationRoutes(root: FastifyInstance, deps: RouteDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const findOwned = async (id: string, userId: string): Promise<Conversation> => {
    const conversation = await db.conversation.findFirst({ where: { id, ownerId: userId } });
    if (!conversation) throw new HttpError(404, 'not_found', `No conversation ${id}.`);
    return conversation;
  };

  app.get(
    '/api/conversations',
    {
      schema: {
        querystring: listConversationsQuery,
      },
    },
    async (request) => {
      const { limit, before } = request.query;
      const rows = await db.conversation.findMany({
        where: {
          ownerId: request.user.id,
          ...(before ? { updatedAt: { lt: new Date(before) } } : {}),
        },
        orderBy: { updatedAt: 'desc' },
        take: limit,
      });
      return {
        conversations: rows.map(conversationView),
        next: rows.length === limit ? rows.at(-1)!.updatedAt.toISOString() : null,
      };
    },
  );

  app.post(
    '/api/conversations',
    {
      schema: {
        body: createConversationBody,
      },
      config: perUserStarts(deps.limits),
    },
    async (request, reply) => {
      const key = newWebConversationKey(request.user);
      const conversation = await db.conversation.create({
        data: {
          id: conversationIdFor(key),
          ownerId: request.user.id,
          ...key,
          workflowId: conversationWorkflowId(key),
          title: request.body.title ?? null,
        },
      });
      return reply.status(201).send({ conversation: conversationView(conversation) });
    },
  );

  app.get('/api/conversations/:id', { schema: { params: idParams } }, async (request) => {
    const conversation = await findOwned(request.params.id, request.user.id);
    const where = { conversationId: conversation.id };
    const [messages, turns, toolCalls, approvals, steps] = await Promise.all([
      db.message.findMany({ where, orderBy: { seq: 'asc' } }),
      db.turn.findMany({ where, orderBy: { queuedAt: 'asc' } }),
      db.toolCall.findMany({ where, orderBy: [{ step: 'asc' }, { position: 'asc' }] }),
      db.approval.findMany({ where, orderBy: { createdAt: 'asc' } }),
      db.turnStep.findMany({ where: { ...where, note: { not: null } } }),
    ]);
    return {
      conversation: conversationView(conversation),
      messages: messages.map(messageView),
      turns: turns.map((t) => turnView(t, toolCalls, approvals, request.user.id, steps)),
    };
  });

  app.post(
    '/api/conversations/:id/approvals/:approvalId',
    {
      schema: {
        params: z.object({
          id: z.uuid({ error: 'must be a conversation id (UUID)' }),
          approvalId: z.uuid({ error: 'must be an approval id (UUID)' }),
        }),
        body: approvalDecisionBody,
      },
    },
    async (request) => {
      // Not only the owner: a channel's approvers decide too. The workflow says who may.
      return decideApproval(deps, {
        conversationId: request.params.id,
        approvalId: request.params.approvalId,
        decision: request.body.decision,
        deciderUserId: request.user.id,
        ...(request.body.reason ? { reason: request.body.reason } : {}),
      });
    },
  );

  app.post('/api/conversations/:id/cancel', { schema: { params: idParams } }, async (request) => {
    const conversation = await findOwned(request.params.id, request.user.id);
    return cancelTurn(deps, {
      conversationId: conversation.id,
      requestedByUserId: request.user.id,
    });
  });

  app.post(
    '/api/conversations/:id/messages',
    {
      schema: {
        params: idParams,
        body: postMessageBody,
      },
      config: perUserStarts(deps.limits),
    },
    async (request, reply) => {
      const conversation = await findOwned(request.params.id, request.user.id);
      const releaseStream = deps.streams.acquire(request.user.id);
      if (conversation.platform !== 'web') {
        releaseStream();
        throw new HttpError(
          409,
          'wrong_platform',
          `This conversation lives in ${conversation.platform}; reply there.`,
        );
      }
      const turnId = request.body.clientMessageId ?? randomUUID();
      const key = {
        platform: conversation.platform,
        workspaceId: conversation.workspaceId,
        channelId: conversation.channelId,
        threadId: conversation.threadId,
      };

      // Subscribe before the workflow can start, so no event of this turn is missed.
      const events: Array<
        { kind: 'event'; name: string; data: unknown } | { kind: 'done'; messageId: string }
      > = [];
      let wake: (() => void) | null = null;
      const unsubscribe = deps.bus.subscribe(conversation.id, (event) => {
        if (event.turnId !== turnId) return;
        if (event.type === 'turn.completed') {
          events.push({ kind: 'done', messageId: event.messageId });
        } else {
          const live = liveEvent(event);
          if (!live) return;
          events.push({ kind: 'event', ...live });
        }
        wake?.();
      });

      try {
        const answered = await db.message.findUnique({
          where: {
            conversationId_externalId: {
              conversationId: conversation.id,
              externalId: `${turnId}:reply`,
            },
          },
        });
        if (answered) events.push({ kind: 'done', messageId: answered.id });
        else
          await deliverChatEvent(
            deps.temporal,
            deps.taskQueue,
            webChatEvent(request.user, key, request.body.text, turnId),
          );
      } catch (err) {
        unsubscribe();
        releaseStream();
        deps.log.error({ err }, 'could not deliver the message to its workflow');
        throw new HttpError(
          503,
          'temporal_unavailable',
          'The message was not accepted: the workflow service is unreachable. Try again.',
        );
      }

      const sse = openSse(reply);
      sse.onClose(() => {
        unsubscribe();
        releaseStream();
      });
      sse.send('accepted', { conversationId: conversation.id, turnId });
      const deadline = Date.now() + (deps.turnWaitMs ?? 10 * 60_000);
      while (!sse.closed) {
        const next = events.shift();
        if (!next) {
          const remaining = deadline - Date.now();
          if (remaining <= 0) {
            sse.send('timeout', {
              message: 'The answer is taking long; it will appear in the conversation when ready.',
            });
            break;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, remaining);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          continue;
        }
        if (next.kind === 'event') {
          sse.send(next.name, next.data);
          continue;
        }
        const message = await db.message.findUniqueOrThrow({ where: { id: next.messageId } });
        sse.send('message', messageView(message), message.seq);
        break;
      }
      sse.end();
    },
  );
}
