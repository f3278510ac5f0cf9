import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as the fake received it. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  at: number;
}

export interface FakeSlackMessage {
  ts: string;
  channel: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  blocks?: unknown[];
  /** Markdown streamed into it (chat.startStream / appendStream / stopStream). */
  streamed?: string;
  chunks?: Array<Record<string, unknown>>;
  streaming?: boolean;
}

export interface FakeSlackOptions {
  /** Bot tokens the fake accepts, each with its workspace and bot user. */
  tokens?: Record<string, { teamId: string; botUserId: string; botId: string }>;
  /** Answer chat.startStream with an error (a workspace without streaming). */
  streaming?: boolean;
  /** What oauth.v2.access answers for a code, as Slack does: the new workspace's bot token. */
  oauth?: {
    clientId: string;
    clientSecret: string;
    teamId: string;
    botToken: string;
    botUserId: string;
    botId: string;
  };
}

/**
 * A local stand-in for Slack's Web API (https://slack.com/api/<method>), speaking its real wire
 * format: form or JSON bodies, the token in `Authorization: Bearer`, `{ok: true, ...}` or
 * `{ok: false, error}` with HTTP 200, 429 with Retry-After when told to. Also serves the
 * response_url hooks, the external upload URL and the OAuth authorize page's redirect.
 */
export async function startFakeSlack(opts: FakeSlackOptions = {}) {
  const tokens = { ...(opts.tokens ?? {}) };
  const calls: SlackCall[] = [];
  const messages: FakeSlackMessage[] = [];
  const ephemerals: Array<Record<string, unknown>> = [];
  const uploads = new Map<
    string,
    { filename: string; content: string; channel?: string; thread_ts?: string }
  >();
  const rateLimits = new Map<string, number[]>();
  const waiters = new Set<() => void>();
  let streaming = opts.streaming ?? true;
  let seq = 0;
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      void handle(req, res, raw).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'fatal_error', detail: String(err) }));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      const upload = uploads.get(id);
      if (upload) upload.content = raw.toString('utf8');
      res.writeHead(upload ? 200 : 404).end(upload ? `OK - ${raw.length}` : 'not found');
      return notify();
    }
    if (url.pathname.startsWith('/response/')) {
      ephemerals.push({
        ...(JSON.parse(raw.toString('utf8')) as object),
        responseUrl: url.pathname,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return notify();
    }
    if (!url.pathname.startsWith('/api/')) {
      res.writeHead(404).end();
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const args = parseArgs(raw.toString('utf8'), String(req.headers['content-type'] ?? ''));
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
    calls.push({ method, args, token, at: performance.now() });
    notify();
    const limited = rateLimits.get(method);
    if (limited?.length) {
      const retryAfter = limited.shift()!;
      res.writeHead(429, { 'retry-after': String(retryAfter), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const send = (body: Record<string, unknown>) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
      notify();
    };
    if (method === 'oauth.v2.access') return send(oauthAccess(args, req));
    const who = token ? tokens[token] : undefined;
    if (!who) return send({ ok: false, error: token ? 'invalid_auth' : 'not_authed' });
    send(api(method, args, who));
  }

  function api(
    method: string,
    args: Record<string, unknown>,
    who: { teamId: string; botUserId: string; botId: string },
  ): Record<string, unknown> {
    const channel = String(args.channel ?? args.channel_id ?? '');
    const find = (ts: unknown) => messages.find((m) => m.channel === channel && m.ts === ts);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'dynamiq',
          team_id: who.teamId,
          user_id: who.botUserId,
          bot_id: who.botId,
        };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const message: FakeSlackMessage = {
          ts: nextTs(),
          channel,
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
          bot_id: who.botId,
          user: who.botUserId,
          text: args.text as string | undefined,
          blocks: args.blocks as unknown[] | undefined,
        };
        if ((message.blocks?.length ?? 0) > 50) return { ok: false, error: 'invalid_blocks' };
        messages.push(message);
        return { ok: true, channel, ts: message.ts, message };
      }
      case 'chat.update': {
        const message = find(args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        if (message.streaming) return { ok: false, error: 'cant_update_message' };
        if (((args.blocks as unknown[] | undefined)?.length ?? 0) > 50)
          return { ok: false, error: 'invalid_blocks' };
        message.text = args.text as string | undefined;
        message.blocks = args.blocks as unknown[] | undefined;
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        ephemerals.push(args);
        return { ok: true, message_ts: nextTs() };
      case 'chat.startStream': {
        if (!streaming) return { ok: false, error: 'not_allowed' };
        if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
        if (!channel.startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) {
          return { ok: false, error: 'missing_recipient_user_id' };
        }
        const message: FakeSlackMessage = {
          ts: nextTs(),
          channel,
          thread_ts: String(args.thread_ts),
          bot_id: who.botId,
          user: who.botUserId,
          streamed: '',
          chunks: [],
          streaming: true,
        };
        messages.push(message);
        const bad = appendTo(message, args);
        return bad ?? { ok: true, channel, ts: message.ts };
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const message = find(args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        if (!message.streaming) return { ok: false, error: 'message_not_in_streaming_state' };
        const bad = appendTo(message, args);
        if (bad) return bad;
        if (method === 'chat.stopStream') message.streaming = false;
        return { ok: true, channel, ts: message.ts };
      }
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
        return { ok: true };
      case 'conversations.replies': {
        const root = String(args.ts);
        const thread = messages.filter(
          (m) => m.channel === channel && (m.ts === root || m.thread_ts === root),
        );
        if (!thread.length) return { ok: false, error: 'thread_not_found' };
        return { ok: true, messages: thread.slice(0, Number(args.limit ?? 1000)), has_more: false };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        uploads.set(id, { filename: String(args.filename), content: '' });
        return { ok: true, upload_url: `${baseUrl}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (
          typeof args.files === 'string' ? JSON.parse(args.files) : args.files
        ) as Array<{ id: string; title?: string }>;
        for (const f of files)
          Object.assign(uploads.get(f.id) ?? {}, {
            channel: args.channel_id,
            thread_ts: args.thread_ts,
          });
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  function appendTo(message: FakeSlackMessage, args: Record<string, unknown>) {
    if (typeof args.markdown_text === 'string') {
      if (args.markdown_text.length > 12_000) return { ok: false, error: 'msg_too_long' };
      message.streamed += args.markdown_text;
    }
    for (const chunk of (args.chunks as Array<Record<string, unknown>> | undefined) ?? []) {
      if (chunk.type === 'markdown_text') {
        if (String(chunk.text).length > 12_000) return { ok: false, error: 'msg_too_long' };
        message.streamed += String(chunk.text);
      } else if (chunk.type === 'task_update') {
        if (
          !chunk.id ||
          !chunk.title ||
          !['pending', 'in_progress', 'complete', 'error'].includes(String(chunk.status))
        ) {
          return { ok: false, error: 'invalid_chunks' };
        }
        message.chunks!.push(chunk);
      } else {
        return { ok: false, error: 'invalid_chunks' };
      }
    }
    return null;
  }

  function oauthAccess(
    args: Record<string, unknown>,
    req: http.IncomingMessage,
  ): Record<string, unknown> {
    const o = opts.oauth;
    const basic = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':')
      : [args.client_id, args.client_secret];
    if (!o || basic[0] !== o.clientId || basic[1] !== o.clientSecret)
      return { ok: false, error: 'invalid_client_id' };
    if (args.code !== 'good-code') return { ok: false, error: 'invalid_code' };
    tokens[o.botToken] = { teamId: o.teamId, botUserId: o.botUserId, botId: o.botId };
    return {
      ok: true,
      app_id: 'A0FAKE',
      authed_user: { id: 'UINSTALLER' },
      scope: 'app_mentions:read,chat:write,commands',
      token_type: 'bot',
      access_token: o.botToken,
      bot_user_id: o.botUserId,
      team: { id: o.teamId, name: 'Second workspace' },
      enterprise: null,
      is_enterprise_install: false,
    };
  }

  function notify() {
    for (const w of waiters) w();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    /** SLACK_API_URL for the product. */
    apiUrl: `${baseUrl}/api/`,
    calls,
    messages,
    ephemerals,
    uploads,
    /** A response_url for payloads sent to the product. */
    responseUrl: (id: string) => `${baseUrl}/response/${id}`,
    /** The next `times` calls of `method` get 429 with this Retry-After (seconds). */
    rateLimit(method: string, retryAfterSec: number, times = 1) {
      rateLimits.set(method, [
        ...(rateLimits.get(method) ?? []),
        ...Array<number>(times).fill(retryAfterSec),
      ]);
    },
    setStreaming(on: boolean) {
      streaming = on;
    },
    /** A message a person wrote (so conversations.replies has it). */
    addUserMessage(m: {
      channel: string;
      user: string;
      text: string;
      thread_ts?: string;
    }): FakeSlackMessage {
      const message = { ts: nextTs(), ...m };
      messages.push(message);
      return message;
    },
    addBotMessage(m: {
      channel: string;
      text: string;
      thread_ts?: string;
      botId: string;
      botUserId: string;
    }): FakeSlackMessage {
      const message = {
        ts: nextTs(),
        channel: m.channel,
        text: m.text,
        thread_ts: m.thread_ts,
        bot_id: m.botId,
        user: m.botUserId,
      };
      messages.push(message);
      return message;
    },
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    /** Resolves once `check` returns something truthy, re-checked on every request. */
    async waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
      const found = check();
      if (found) return found;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error('timed out waiting for the fake Slack'));
        }, timeoutMs);
        const waiter = () => {
          const value = check();
          if (value) {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(value);
          }
        };
        waiters.add(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return out;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Slack's v0 signature headers for a request body (https://docs.slack.dev/authentication/verifying-requests-from-slack). */
export function signSlack(
  secret: string,
  body: string,
  timestampSec = Math.floor(Date.now() / 1000),
) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestampSec) };
}
