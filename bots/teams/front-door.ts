import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentControlError, decideApproval } from '../agent-control.js';
import { deliverChatEvent } from '../deliver.js';
import type { TeamsConfig } from '../../lib/config/index.js';
import { conversationIdFor } from '../../lib/conversation/index.js';
import type { Db } from '../../lib/db/index.js';
import { DynamiqError } from '../../lib/errors/index.js';
import type { EventBus } from '../../lib/events/index.js';
import { ensureChatIdentity } from '../../lib/identity/index.js';
import type { Logger } from '../../lib/logging.js';
import { markdownMessage } from './answer.js';
import type { TeamsContext } from './answer.js';
import { loadApprovalView, showApprovalIn } from './approvals.js';
import {
  ADAPTIVE_CARD_TYPE,
  MESSAGE_RESPONSE_TYPE,
  approvalCard,
  cardActionSchema,
  invokeValueSchema,
} from './cards.js';
import type { CardAction } from './cards.js';
import { TeamsAuthError } from './connector.js';
import type { InvokeAnswer } from './connector.js';
import { teamsContext } from './front-end.js';
import { LiveReplies } from './live.js';
import type { StoredReference } from './store.js';
import { activitySchema, authorOf, messageEvent, surfaceOf, tenantOf } from './translate.js';
import type { TeamsActivity } from './translate.js';

export interface TeamsFrontDoorOptions {
  config: TeamsConfig;
  db: Db;
  bus: EventBus;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  /** Tuning of live progress (tests shorten the pauses). */
  live?: { streamFlushMs?: number; editFlushMs?: number; heartbeatMs?: number };
}

export interface TeamsFrontDoor {
  /** Registers POST /teams/messages (the Bot Framework messaging endpoint). */
  register(scope: FastifyInstance): Promise<void>;
  /**
   * `ok` once an activity verified, `keys_unreachable` while Microsoft's OpenID metadata or
   * keys cannot be fetched (every activity gets 401 until they can), `unknown` before either.
   */
  status(): 'ok' | 'keys_unreachable' | 'unknown';
  close(): Promise<void>;
}

/** Work that calls Teams runs after the HTTP answer, never inside the request. */
type Later = (task: () => Promise<unknown>) => void;

/**
 * The Teams front end in the api role: the Bot Framework messaging endpoint. Every activity's
 * JWT is verified (botbuilder's Bot Framework authentication; any failure is 401 and nothing
 * starts), the activity is checked (400 when it is not one), a message is translated and
 * delivered to its workflow and acknowledged; live progress and anything else that calls
 * Teams runs after the answer. An Approve/Deny click (Action.Execute) is answered in the
 * request with the refreshed card, as Universal Actions require.
 */
export function createTeamsFrontDoor(opts: TeamsFrontDoorOptions): TeamsFrontDoor {
  const { db, config } = opts;
  const log = opts.log.child({ component: 'teams' });
  const ctx: TeamsContext = teamsContext(db, config);
  const live = new LiveReplies({ ctx, bus: opts.bus, log, ...opts.live });
  const control = { db, temporal: opts.temporal };
  let keys: ReturnType<TeamsFrontDoor['status']> = 'unknown';

  const identity = (activity: TeamsActivity) =>
    ensureChatIdentity(db, {
      platform: 'teams',
      workspaceId: tenantOf(activity),
      ...authorOf(activity),
    });

  async function onMessage(activity: TeamsActivity, later: Later): Promise<void> {
    const action = cardActionSchema.safeParse(activity.value);
    if (action.success && !activity.text?.trim()) {
      later(() => submitted(activity, action.data));
      return;
    }
    const event = messageEvent(activity);
    if (!event) return;
    const conversationId = conversationIdFor(event.conversation);
    const reference = referenceOf(activity);
    // The first sign of life goes out now, not after storing and delivering: Teams shows
    // "Dynamiq is typing" while the rest happens (fire and forget; nothing waits on it).
    void ctx.connector
      .send(reference, { type: 'typing' }, activity.id)
      .catch((err: unknown) => log.debug({ err }, 'Teams typing indicator refused'));
    await ctx.conversations.save(conversationId, tenantOf(activity), reference);
    const turn = live.prepare({
      conversationId,
      turnId: event.eventId,
      surface: surfaceOf(activity),
      reference,
      replyToId: activity.id,
    });
    try {
      await deliverChatEvent(opts.temporal, opts.taskQueue, event);
    } catch (err) {
      turn.cancel();
      // 503: Teams redelivers, and the redelivery is still one turn (same activity id).
      throw new DynamiqError(
        'dynamiq.teams.unavailable',
        'Dynamiq cannot take the message right now (Temporal did not answer); Teams will retry.',
        { status: 503, retryable: true, cause: err },
      );
    }
    later(async () => turn.begin());
  }

  /** Decides as the person who clicked; what they may not do comes back as a reason. */
  async function decide(
    activity: TeamsActivity,
    action: CardAction,
  ): Promise<{ refused: string | null }> {
    const who = await identity(activity);
    try {
      await decideApproval(control, {
        approvalId: action.approvalId,
        decision: action.decision,
        deciderUserId: who.userId,
      });
      return { refused: null };
    } catch (err) {
      if (!(err instanceof AgentControlError)) throw err;
      // Decided already: the refreshed card shows by whom.
      if (err.status === 409 && err.code === 'dynamiq.agent.already_decided')
        return { refused: null };
      return {
        refused: err.status === 403 ? `You may not decide this one: ${err.message}` : err.message,
      };
    }
  }

  /** `adaptiveCard/action` (Action.Execute): answered with the refreshed card, or why not. */
  async function executed(activity: TeamsActivity): Promise<InvokeAnswer> {
    const value = invokeValueSchema.safeParse(activity.value);
    const action = value.success ? cardActionSchema.safeParse(value.data.action.data) : null;
    if (!action?.success) {
      return {
        status: 200,
        body: {
          statusCode: 400,
          type: 'application/vnd.microsoft.error',
          value: { code: 'BadRequest', message: 'That card action is not one Dynamiq knows.' },
        },
      };
    }
    const { refused } = await decide(activity, action.data);
    const view = refused ? null : await loadApprovalView(db, action.data.approvalId);
    if (!view) {
      return {
        status: 200,
        body: {
          statusCode: 200,
          type: MESSAGE_RESPONSE_TYPE,
          value: refused ?? `No approval ${action.data.approvalId}.`,
        },
      };
    }
    return {
      status: 200,
      body: { statusCode: 200, type: ADAPTIVE_CARD_TYPE, value: approvalCard(view) },
    };
  }

  /** Action.Submit (the fallback): a message with the button's data, handled after the ack. */
  async function submitted(activity: TeamsActivity, action: CardAction): Promise<void> {
    const { refused } = await decide(activity, action);
    if (refused) {
      await ctx.connector.send(referenceOf(activity), markdownMessage(refused), activity.replyToId);
    }
    const approval = await db.approval.findUnique({
      where: { id: action.approvalId },
      select: { conversationId: true },
    });
    const view = await loadApprovalView(db, action.approvalId);
    if (approval && view) await showApprovalIn(ctx, approval.conversationId, view, undefined);
  }

  async function messages(request: FastifyRequest, reply: FastifyReply) {
    const authHeader = String(request.headers.authorization ?? '');
    if (!/^Bearer \S+$/.test(authHeader)) return unauthorized(reply);
    const parsed = activitySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error.issues[0]?.path.join('.') ?? '');
    const activity = parsed.data;
    let auth;
    try {
      auth = await ctx.connector.authenticate(activity, authHeader);
    } catch (err) {
      if (!(err instanceof TeamsAuthError)) throw err;
      // botbuilder says so in words only: its metadata fetch failed, or the network did.
      if (
        /openID config|Failed to load Keys|fetch failed|ECONN|ENOTFOUND|ETIMEDOUT/i.test(err.why)
      ) {
        keys = 'keys_unreachable';
        log.error(
          { why: err.why },
          'cannot fetch Bot Framework OpenID keys: every Teams activity is refused until they can be',
        );
      } else {
        log.warn({ why: err.why }, 'refused a Teams activity whose token did not verify');
      }
      return unauthorized(reply);
    }
    keys = 'ok';
    const tasks: Array<() => Promise<unknown>> = [];
    const later: Later = (task) => void tasks.push(task);
    const answer = await ctx.connector.run(auth, activity, async (turn) => {
      if (activity.type === 'message') return onMessage(activity, later);
      if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
        await turn.answerInvoke(await executed(activity));
      }
    });
    await reply
      .status(activity.type === 'invoke' ? (answer?.status ?? 501) : 200)
      .send(answer?.body ?? '');
    setImmediate(() => {
      for (const task of tasks) {
        task().catch((err: unknown) => log.warn({ err }, 'Teams follow-up failed'));
      }
    });
    return reply;
  }

  return {
    async register(scope) {
      scope.post('/teams/messages', messages);
    },
    status: () => keys,
    async close() {
      await live.close();
    },
  };
}

/** Where to write back: the activity's conversation reference (no secrets in it). */
function referenceOf(activity: TeamsActivity): StoredReference {
  const pick = (a: TeamsActivity['from']) => ({
    id: a.id,
    ...(a.name ? { name: a.name } : {}),
    ...(a.aadObjectId ? { aadObjectId: a.aadObjectId } : {}),
  });
  return {
    channelId: activity.channelId,
    serviceUrl: activity.serviceUrl,
    conversation: {
      id: activity.conversation.id,
      ...(activity.conversation.conversationType
        ? { conversationType: activity.conversation.conversationType }
        : {}),
      ...(activity.conversation.tenantId ? { tenantId: activity.conversation.tenantId } : {}),
      ...(activity.conversation.isGroup !== undefined
        ? { isGroup: activity.conversation.isGroup }
        : {}),
    },
    bot: pick(activity.recipient),
    user: pick(activity.from),
  };
}

function unauthorized(reply: FastifyReply) {
  return reply.status(401).send({
    error: {
      code: 'dynamiq.teams.unauthorized',
      message: 'Refused: a valid Bot Framework token for this bot is required.',
    },
  });
}

function badRequest(reply: FastifyReply, field: string) {
  return reply.status(400).send({
    error: {
      code: 'dynamiq.teams.bad_request',
      message: `Not a Teams activity Dynamiq understands${field ? ` (check ${field})` : ''}.`,
    },
  });
}
