import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationEvent } from '../../../lib/events/index.js';
import type { RouteDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { openSse } from '../sse.js';
import { liveEvent, storedFramesAfter } from './conversation-stream.js';

/**
 * `GET /api/conversations/{id}/events`: a conversation's live event stream for any client
 * (the portal, a chat front end's progress updater). It first sends what was stored after
 * `Last-Event-ID` (or `?after=`): messages, steps' notes, tool calls and approvals in their current state;
 * then follows the bus, so a late or reconnecting subscriber loses nothing and sees no row
 * change twice. Stored rows always come from the database; tokens and steps are live only.
 */
export async function conversationEventRoutes(
  root: FastifyInstance,
  deps: RouteDeps,
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
      const releaseStream = deps.streams.acquire(request.user.id);
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
        releaseStream();
        wake?.();
      });

      // Stored rows come from the database, in their one order: on a live event naming a row,
      // read everything changed since the last frame sent (which includes that row).
      const sendStoredAfter = async () => {
        for (const frame of await storedFramesAfter(
          db,
          conversation.id,
          lastSeq,
          request.user.id,
        )) {
          sse.send(frame.name, frame.data, frame.seq);
          lastSeq = frame.seq;
        }
      };
      await sendStoredAfter();
      sse.send('ready', { lastEventId: lastSeq });

      while (!sse.closed) {
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        if (
          event.type === 'message' ||
          event.type === 'note' ||
          event.type === 'tool.call' ||
          event.type === 'approval'
        ) {
          if (event.seq > lastSeq) await sendStoredAfter();
        } else if (event.type === 'turn.completed') {
          sse.send('turn.completed', {
            turnId: event.turnId,
            messageId: event.messageId,
            isError: event.isError,
            status: event.status,
          });
        } else {
          const live = liveEvent(event);
          if (live) sse.send(live.name, live.data);
        }
      }
    },
  );
}
