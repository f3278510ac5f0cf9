import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationEvent } from '../../../lib/events/index.js';
import type { ServerDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { openSse } from '../sse.js';
import { messageView } from './conversation-views.js';

/**
 * `GET /api/conversations/{id}/events`: a conversation's live event stream for any client
 * (the portal, a chat front end's progress updater). It first sends the stored messages after
 * `Last-Event-ID` (or `?after=`), then follows the bus, so a late or reconnecting subscriber
 * loses nothing and sees no message twice. Messages always come from the database.
 */
export async function conversationEventRoutes(
  root: FastifyInstance,
  deps: ServerDeps,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.get(
    '/api/conversations/:id/events',
    {
      schema: {
        params: z.object({ id: z.uuid({ error: 'must be a conversation id (UUID)' }) }),
        querystring: z.object({ after: z.coerce.number().int().min(0).optional() }),
        headers: z.object({ 'last-event-id': z.coerce.number().int().min(0).optional() }).loose(),
      },
    },
    async (request, reply) => {
      const conversation = await db.conversation.findFirst({
        where: { id: request.params.id, ownerId: request.user.id },
        select: { id: true },
      });
      if (!conversation)
        throw new HttpError(404, 'not_found', `No conversation ${request.params.id}.`);
      let lastSeq = request.headers['last-event-id'] ?? request.query.after ?? 0;

      // Subscribe before reading the store: an event that lands in between is buffered, and
      // the sequence number tells whether the store read already covered it.
      const queue: ConversationEvent[] = [];
      let wake: (() => void) | null = null;
      const unsubscribe = deps.bus.subscribe(conversation.id, (event) => {
        queue.push(event);
        wake?.();
      });
      const sse = openSse(reply);
      sse.onClose(() => {
        unsubscribe();
        wake?.();
      });

      const stored = await db.message.findMany({
        where: { conversationId: conversation.id, seq: { gt: lastSeq } },
        orderBy: { seq: 'asc' },
      });
      for (const m of stored) {
        sse.send('message', messageView(m), m.seq);
        lastSeq = m.seq;
      }
      sse.send('ready', { lastEventId: lastSeq });

      while (!sse.closed) {
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        if (event.type === 'message') {
          if (event.seq <= lastSeq) continue;
          const message = await db.message.findUnique({ where: { id: event.messageId } });
          if (!message) continue;
          sse.send('message', messageView(message), message.seq);
          lastSeq = message.seq;
        } else if (event.type === 'token') {
          sse.send('token', { turnId: event.turnId, delta: event.delta });
        } else {
          sse.send('turn.completed', {
            turnId: event.turnId,
            messageId: event.messageId,
            isError: event.isError,
          });
        }
      }
    },
  );
}
