import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentControlError, decideApproval } from '../agent-control.js';
import type { DiscordConfig } from '../../lib/config/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import type { EventBus } from '../../lib/events/index.js';
import { ensureChatIdentity } from '../../lib/identity/index.js';
import type { Logger } from '../../lib/logging.js';
import { DiscordApi } from './api.js';
import { approvalMessage, loadApprovalView } from './approvals.js';
import { InteractionDeliveries } from './deliveries.js';
import { storeInteraction } from './interaction-store.js';
import {
  COMMAND_NAME,
  DM_WORKSPACE,
  EPHEMERAL,
  InteractionType,
  ResponseType,
  commandEvent,
  interactionSchema,
  interactionUser,
  parseApprovalCustomId,
} from './interactions.js';
import type { CommandInteraction, ComponentInteraction } from './interactions.js';
import { settledWithin } from '../../lib/settled-within.js';
import { DiscordProgress } from './progress.js';
import { discordPublicKey, verifyInteraction } from './verify.js';

export interface DiscordFrontDoorOptions {
  config: DiscordConfig;
  db: Db;
  keyring: Keyring;
  bus: EventBus;
  temporal: Client;
  taskQueue: string;
  log: Logger;
}

export interface DiscordFrontDoor {
  /** Registers POST /discord/interactions in its own Fastify scope (raw body). */
  register(scope: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

/** How long the response waits for the command's insert, in ms (Discord allows 3 s). */
const STORE_WAIT_MS = 40;

const HELP =
  'Ask me anything about your infrastructure: `/dynamiq prompt: is prod healthy?`. ' +
  'You can also mention me in a channel, or write to me directly.';

/**
 * Discord's interactions endpoint in the api role. A request is verified (Ed25519 over the
 * timestamp and the raw body), answered at once (PONG, a deferred response, a deferred update)
 * and only then handed on: a command is stored first so that a slow or absent Temporal delays
 * it without losing it; a button click goes to decideApproval.
 */
export function createDiscordFrontDoor(opts: DiscordFrontDoorOptions): DiscordFrontDoor {
  const { config, db, keyring, log } = opts;
  const publicKey: KeyObject = discordPublicKey(config.publicKey ?? '');
  const api = new DiscordApi({
    apiUrl: config.apiUrl,
    botToken: config.botToken ?? '',
    applicationId: config.applicationId ?? '',
  });
  const progress = new DiscordProgress({ api, bus: opts.bus, log });
  const deliveries = new InteractionDeliveries({
    db,
    keyring,
    api,
    progress,
    temporal: opts.temporal,
    taskQueue: opts.taskQueue,
    log,
  });
  deliveries.start();

  const later = (what: string, task: () => Promise<unknown>) =>
    setImmediate(() => {
      task().catch((err: unknown) => log.warn({ err }, `Discord ${what} failed`));
    });

  async function command(i: CommandInteraction, reply: FastifyReply) {
    if (i.data.name !== COMMAND_NAME) {
      return reply.send(ephemeral(`I only know \`/${COMMAND_NAME}\`.`));
    }
    const event = commandEvent(i);
    if (!event) return reply.send(ephemeral(HELP));
    const storing = storeInteraction(db, keyring, {
      interactionId: i.id,
      applicationId: i.application_id,
      token: i.token,
      event,
    });
    // Stored before the response as a rule, so an acknowledged command outlives this process;
    // but a database slow under load may not hold the response past STORE_WAIT_MS: then the
    // insert finishes after it, and a failure is told through the token.
    const early = await settledWithin(storing, STORE_WAIT_MS);
    // Nothing stored: Discord tells the person it failed.
    if (early && 'error' in early) throw early.error;
    await reply.send({ type: ResponseType.DeferredChannelMessage });
    later('command delivery', async () => {
      try {
        if (await storing) await deliveries.deliver(i.id, { event, token: i.token });
      } catch (err) {
        await api
          .editOriginal(i.token, {
            content:
              '❌ Dynamiq could not take this on (its database did not answer). Please try again.',
          })
          .catch(() => undefined);
        throw err;
      }
    });
    return reply;
  }

  async function click(i: ComponentInteraction, reply: FastifyReply) {
    const button = parseApprovalCustomId(i.data.custom_id);
    const who = interactionUser(i);
    if (!button || !who) return reply.send(ephemeral('That button is not one Dynamiq knows.'));
    await reply.send({ type: ResponseType.DeferredUpdateMessage });
    const workspaceId = i.guild_id ?? DM_WORKSPACE;
    later('approval click', async () => {
      const identity = await ensureChatIdentity(db, {
        platform: 'discord',
        workspaceId,
        platformUserId: who.id,
        displayName: who.name,
      });
      try {
        await decideApproval(
          { db, temporal: opts.temporal },
          {
            approvalId: button.approvalId,
            decision: button.decision,
            deciderUserId: identity.userId,
          },
        );
      } catch (err) {
        if (!(err instanceof AgentControlError)) throw err;
        const why =
          err.status === 403 ? `You may not decide this one: ${err.message}` : err.message;
        await api.followUp(i.token, { content: why, flags: EPHEMERAL });
      }
      // Shows who decided at once; the worker's showApproval edits it to the same.
      const view = await loadApprovalView(db, workspaceId, button.approvalId);
      if (view) await api.editOriginal(i.token, approvalMessage(view));
    });
    return reply;
  }

  async function interactions(request: FastifyRequest, reply: FastifyReply) {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verified = verifyInteraction({
      publicKey,
      signature: request.headers['x-signature-ed25519'],
      timestamp: request.headers['x-signature-timestamp'],
      body: raw,
    });
    if (!verified.ok) {
      log.warn({ why: verified.why }, 'refused a Discord interaction');
      return reply.status(401).send({
        error: { code: 'dynamiq.discord.unauthorized', message: `Refused: ${verified.why}.` },
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = interactionSchema.safeParse(json);
    if (!parsed.success) {
      return reply.status(400).send({
        error: {
          code: 'dynamiq.discord.bad_request',
          message: 'Not a Discord interaction Dynamiq understands.',
        },
      });
    }
    const i = parsed.data;
    switch (i.type) {
      case InteractionType.Ping:
        return reply.send({ type: ResponseType.Pong });
      case InteractionType.ApplicationCommand:
        return command(i, reply);
      case InteractionType.MessageComponent:
        return click(i, reply);
    }
  }

  return {
    async register(scope) {
      // The signature is over the exact bytes: keep the body raw in this scope.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) =>
        done(null, body),
      );
      scope.post('/discord/interactions', interactions);
    },
    async close() {
      deliveries.close();
      progress.close();
    },
  };
}

function ephemeral(content: string) {
  return {
    type: ResponseType.ChannelMessage,
    data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } },
  };
}
