import { App, verifySlackRequest } from '@slack/bolt';
import type { Authorize, Receiver } from '@slack/bolt';
import { InstallProvider } from '@slack/oauth';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deliverChatEvent } from '../deliver.js';
import type { SlackConfig } from '../../lib/config/index.js';
import { conversationIdFor } from '../../lib/conversation/index.js';
import type { Keyring } from '../../lib/crypto/index.js';
import type { Db } from '../../lib/db/index.js';
import type { EventBus } from '../../lib/events/index.js';
import type { Logger } from '../../lib/logging.js';
import { SlackApi } from './api.js';
import { SlackInstallations } from './installations.js';
import { registerListeners } from './listeners.js';
import type { Later, ListenerDeps } from './listeners.js';
import { LiveReplies } from './live.js';
import { PendingEvents } from './pending.js';
import { SlackPosts } from './posts.js';

/** The bot scopes "Add to Slack" asks for; bots/slack/manifest.yml lists the same. */
export const BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'chat:write',
  'commands',
  'files:write',
  'groups:history',
  'im:history',
  'users:read',
];

export interface SlackFrontDoorOptions {
  config: SlackConfig;
  db: Db;
  keyring: Keyring;
  bus: EventBus;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  publicUrl: string;
  /** Signs the OAuth state (install → redirect); JWT_SECRET serves. */
  stateSecret: string;
  signInLink: ListenerDeps['signInLink'];
  /** Slack's authorize page; tests point it at the fake. Default https://slack.com/oauth/v2/authorize. */
  authorizationUrl?: string;
}

export interface SlackFrontDoor {
  /** Registers POST /slack/events (and the OAuth routes) in their own Fastify scope. */
  register(scope: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

const AUTHORIZATION_FAILED = 'slack_bolt_authorization_error';

/**
 * The Slack front end in the api role: one request URL for events, slash commands and
 * interactivity (verified with Bolt's v0 signature check and its 5-minute window), "Add to
 * Slack" for other workspaces, Socket Mode when SLACK_APP_TOKEN is set, and live progress.
 * A request is verified, translated and delivered to its workflow, then acknowledged; anything
 * that calls Slack runs after the ack.
 */
export async function createSlackFrontDoor(opts: SlackFrontDoorOptions): Promise<SlackFrontDoor> {
  const { config, db, log } = opts;
  const api = new SlackApi({ apiUrl: config.apiUrl });
  const installations = new SlackInstallations(
    db,
    opts.keyring,
    config.botToken ? { botToken: config.botToken } : undefined,
  );
  const ctx = { api, installations, posts: new SlackPosts(db) };
  const live = new LiveReplies({ ctx, db, bus: opts.bus, log });
  const pending = new PendingEvents({
    db,
    ctx,
    log,
    deliver: async (event, userId, rootText) => {
      const turn = live.prepare({
        conversationId: conversationIdFor(event.conversation),
        turnId: event.eventId,
        key: event.conversation,
        userId,
        rootText,
      });
      try {
        await deliverChatEvent(opts.temporal, opts.taskQueue, event);
      } catch (err) {
        turn.cancel();
        throw err;
      }
      turn.begin();
    },
  });
  pending.start();

  if (config.botToken) {
    // The bot's own ids, to skip its messages and strip its mentions; never in a request.
    api
      .call<{ user_id?: string; bot_id?: string; team_id?: string }>(
        config.botToken,
        '',
        'auth.test',
        {},
      )
      .then((me) =>
        installations.setSingleIdentity({
          teamId: me.team_id,
          botUserId: me.user_id,
          botId: me.bot_id,
        }),
      )
      .catch((err: unknown) => log.warn({ err }, 'Slack auth.test failed: check SLACK_BOT_TOKEN'));
  }

  const authorize: Authorize<boolean> = async (source) => {
    const auth = await installations.auth(
      source.teamId ?? '',
      source.enterpriseId,
      source.isEnterpriseInstall,
    );
    return {
      botToken: auth.botToken,
      botUserId: auth.botUserId,
      botId: auth.botId,
      teamId: source.teamId,
    };
  };
  const listenerDeps: ListenerDeps = {
    ctx,
    db,
    temporal: opts.temporal,
    taskQueue: opts.taskQueue,
    pending,
    log,
    signInLink: opts.signInLink,
  };
  const inert: Receiver = {
    init: () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  };
  const app = new App({
    receiver: inert,
    authorize,
    convoStore: false,
    clientOptions: { slackApiUrl: config.apiUrl },
    logger: boltLogger(log),
  });
  registerListeners(app, listenerDeps);

  let socket: App | undefined;
  if (config.appToken) {
    socket = new App({
      appToken: config.appToken,
      socketMode: true,
      authorize,
      convoStore: false,
      clientOptions: { slackApiUrl: config.apiUrl },
      installerOptions: { clientOptions: { slackApiUrl: config.apiUrl } },
      logger: boltLogger(log),
    });
    registerListeners(socket, listenerDeps);
    await socket.start();
    log.info('Slack Socket Mode connected');
  }

  const installer =
    config.clientId && config.clientSecret
      ? new InstallProvider({
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          stateSecret: opts.stateSecret,
          installationStore: installations,
          directInstall: true,
          clientOptions: { slackApiUrl: config.apiUrl },
          ...(opts.authorizationUrl ? { authorizationUrl: opts.authorizationUrl } : {}),
          installUrlOptions: {
            scopes: BOT_SCOPES,
            redirectUri: `${opts.publicUrl}/slack/oauth_redirect`,
          },
        })
      : undefined;

  async function events(request: FastifyRequest, reply: FastifyReply) {
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    const signature = request.headers['x-slack-signature'];
    const timestamp = Number(request.headers['x-slack-request-timestamp']);
    if (!config.signingSecret || typeof signature !== 'string' || !Number.isFinite(timestamp)) {
      return unauthorized(reply, 'missing Slack signature headers');
    }
    try {
      verifySlackRequest({
        signingSecret: config.signingSecret,
        body: raw,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      });
      // Bolt refuses old timestamps; a far-future one is as much a replay risk.
      if (timestamp > Date.now() / 1000 + 300) throw new Error('timestamp in the future');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'refused a Slack request with a bad signature');
      return unauthorized(reply, 'bad Slack signature');
    }
    const body = parseBody(raw, String(request.headers['content-type'] ?? ''));
    if (!body) return badRequest(reply);
    if (body.type === 'url_verification' && typeof body.challenge === 'string') {
      return reply.send({ challenge: body.challenge });
    }
    if (body.ssl_check) return reply.send('');
    const tasks: Array<() => Promise<unknown>> = [];
    const later: Later = (task) => tasks.push(task);
    let acked: { response: unknown } | null = null;
    const retry = request.headers['x-slack-retry-num'];
    try {
      await app.processEvent({
        body,
        ...(retry
          ? {
              retryNum: Number(retry),
              retryReason: String(request.headers['x-slack-retry-reason'] ?? ''),
            }
          : {}),
        customProperties: { later },
        ack: async (response?: unknown) => {
          acked = { response };
        },
      });
    } catch (err) {
      if ((err as { code?: string }).code === AUTHORIZATION_FAILED) {
        log.warn(
          { team: body.team_id ?? (body.team as { id?: string } | undefined)?.id },
          'Slack event from a workspace without an installation',
        );
        return unauthorized(reply, 'this workspace has not installed Dynamiq');
      }
      throw err;
    }
    if (!acked) return badRequest(reply);
    const response = (acked as { response: unknown }).response;
    await reply.status(200).send(response === undefined || response === '' ? '' : response);
    setImmediate(() => {
      for (const task of tasks)
        task().catch((err: unknown) => log.warn({ err }, 'Slack follow-up failed'));
    });
    return reply;
  }

  return {
    async register(scope) {
      // Signatures are over the exact bytes: keep the body raw in this scope.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) =>
        done(null, body),
      );
      scope.post('/slack/events', events);
      if (installer) {
        scope.get('/slack/install', async (request, reply) => {
          reply.hijack();
          await installer.handleInstallPath(request.raw, reply.raw);
        });
        scope.get('/slack/oauth_redirect', async (request, reply) => {
          reply.hijack();
          await installer.handleCallback(request.raw, reply.raw, {
            success: (_installation, _options, _req, res) => {
              res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
              res.end(
                '<!doctype html><title>Dynamiq</title><p>Dynamiq is installed. You can close this tab and mention @Dynamiq in Slack.</p>',
              );
            },
            failure: (error, _options, _req, res) => {
              log.warn({ err: error }, 'Slack installation failed');
              res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
              res.end(
                '<!doctype html><title>Dynamiq</title><p>The installation did not complete. Please try again.</p>',
              );
            },
          });
        });
      }
    },
    async close() {
      pending.close();
      await socket?.stop();
      await live.close();
    },
  };
}

/** A Slack payload: JSON (Events API), or a form with fields (slash commands) or `payload` (interactivity). */
function parseBody(raw: string, contentType: string): Record<string, unknown> | null {
  try {
    if (contentType.startsWith('application/json')) {
      const parsed = JSON.parse(raw) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : null;
    }
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (typeof form.payload === 'string')
        return JSON.parse(form.payload) as Record<string, unknown>;
      return Object.keys(form).length ? form : null;
    }
  } catch {
    return null;
  }
  return null;
}

function unauthorized(reply: FastifyReply, why: string) {
  return reply
    .status(401)
    .send({ error: { code: 'dynamiq.slack.unauthorized', message: `Refused: ${why}.` } });
}

function badRequest(reply: FastifyReply) {
  return reply.status(400).send({
    error: {
      code: 'dynamiq.slack.bad_request',
      message: 'Not a Slack payload Dynamiq understands.',
    },
  });
}

function boltLogger(log: Logger) {
  const child = log.child({ component: 'slack' });
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => 'info' as never,
    setName: () => undefined,
  };
}
