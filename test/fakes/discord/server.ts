import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  components: unknown[];
  attachments: Array<{ filename: string; content: string }>;
  /** `bot` (channel endpoint, bot token) or `webhook` (interaction token). */
  via: 'bot' | 'webhook';
  /** The interaction token whose response or follow-up this is. */
  token?: string;
  /** Whether it is an interaction's own response (`@original`). */
  original?: boolean;
  edits: number;
  deleted: boolean;
  /** Every version of the content, oldest first. */
  history: string[];
}

export interface FakeDiscordCall {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: number;
}

export interface FakeDiscordOptions {
  botToken: string;
  applicationId: string;
  bot: { id: string; username: string };
  guild: { id: string; name: string; channels: Array<{ id: string; name: string }> };
}

/**
 * A local Discord: the REST API v10 endpoints Dynamiq uses (messages, threads, typing,
 * interaction webhooks, commands, gateway/bot) with Discord's JSON bodies and error envelope,
 * and a gateway websocket at /gateway that speaks the real protocol (HELLO op 10, IDENTIFY
 * op 2, READY and GUILD_CREATE dispatches, heartbeat op 1 → ACK op 11, RESUME op 6), so
 * discord.js connects to it with only its REST base changed.
 */
export async function startFakeDiscord(opts: FakeDiscordOptions) {
  const messages: FakeDiscordMessage[] = [];
  // Benchmarks wait on many tokens at once: look them up without scanning every message.
  const byToken = new Map<string, FakeDiscordMessage[]>();
  const calls: FakeDiscordCall[] = [];
  const threads = new Map<string, { id: string; parent_id: string; name: string }>();
  /** Interaction tokens Discord issued, and the message a component interaction is on. */
  const tokens = new Map<string, string | undefined>();
  const commands: Record<string, unknown[]> = {};
  const sockets = new Set<WebSocket>();
  const identifies: Array<{ token: string; intents: number }> = [];
  let seq = 0;
  let nextId = 1_300_000_000_000_000_000n;
  const snowflake = () => String(nextId++);
  /** Messages the gateway delivered, so a thread can be started from them. */
  const userMessages = new Map<string, { channel_id: string }>();
  const dmChannels = new Set<string>();
  let failNext: { path: RegExp; status: number; code: number; message: string } | null = null;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        send(res, 500, { message: String(err), code: 0 });
      });
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/gateway')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  function send(res: http.ServerResponse, status: number, body?: unknown) {
    if (body === undefined) {
      res.writeHead(status);
      return res.end();
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async function bodyOf(req: http.IncomingMessage, raw: Buffer) {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      const json = JSON.parse(String(form.get('payload_json') ?? '{}')) as Record<string, unknown>;
      const files: Array<{ filename: string; content: string }> = [];
      for (const [name, value] of form.entries()) {
        if (name.startsWith('files[') && typeof value !== 'string') {
          files.push({ filename: value.name, content: await value.text() });
        }
      }
      return { json, files };
    }
    return {
      json: raw.length ? (JSON.parse(raw.toString()) as Record<string, unknown>) : {},
      files: [],
    };
  }

  function messageJson(m: FakeDiscordMessage) {
    return {
      id: m.id,
      channel_id: m.channel_id,
      type: 0,
      content: m.content,
      components: m.components,
      attachments: m.attachments.map((a, i) => ({
        id: String(i),
        filename: a.filename,
        size: a.content.length,
      })),
      embeds: [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: new Date().toISOString(),
      edited_timestamp: m.edits ? new Date().toISOString() : null,
      flags: 0,
      author: {
        id: opts.bot.id,
        username: opts.bot.username,
        discriminator: '0',
        avatar: null,
        bot: true,
        global_name: null,
      },
      ...(m.token ? { webhook_id: opts.applicationId, application_id: opts.applicationId } : {}),
    };
  }

  function create(
    channelId: string,
    json: Record<string, unknown>,
    files: FakeDiscordMessage['attachments'],
    extra: Partial<FakeDiscordMessage>,
  ) {
    const m: FakeDiscordMessage = {
      id: snowflake(),
      channel_id: channelId,
      content: String(json.content ?? ''),
      components: (json.components as unknown[]) ?? [],
      attachments: files,
      via: 'bot',
      edits: 0,
      deleted: false,
      history: [String(json.content ?? '')],
      ...extra,
    };
    messages.push(m);
    if (m.token) byToken.set(m.token, [...(byToken.get(m.token) ?? []), m]);
    return m;
  }

  function edit(
    m: FakeDiscordMessage,
    json: Record<string, unknown>,
    files: FakeDiscordMessage['attachments'],
  ) {
    if (json.content !== undefined) m.content = String(json.content);
    if (json.components !== undefined) m.components = json.components as unknown[];
    if (files.length) m.attachments = files;
    m.edits++;
    m.history.push(m.content);
  }

  const channelExists = (id: string) =>
    opts.guild.channels.some((c) => c.id === id) || threads.has(id) || dmChannels.has(id);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const url = new URL(req.url ?? '/', base);
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const { json, files } = await bodyOf(req, raw);
    calls.push({
      method,
      path,
      body: json,
      authorization: req.headers.authorization,
      at: performance.now(),
    });
    if (failNext && failNext.path.test(path)) {
      const f = failNext;
      failNext = null;
      return send(res, f.status, { message: f.message, code: f.code });
    }
    const route = (pattern: RegExp) => pattern.exec(path);
    const webhook = route(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/);
    if (webhook) {
      const [, app, token, messageId] = webhook;
      if (app !== opts.applicationId || !tokens.has(token!)) {
        return send(res, 404, { message: 'Unknown Webhook', code: 10015 });
      }
      if (method === 'POST' && !messageId) {
        const m = create(`interaction:${token}`, json, files, { via: 'webhook', token: token! });
        return send(res, 200, messageJson(m));
      }
      if (method === 'PATCH' && messageId) {
        const on = tokens.get(token!);
        let m =
          messageId === '@original'
            ? on
              ? messages.find((x) => x.id === on)
              : messages.find((x) => x.token === token && x.original)
            : messages.find((x) => x.id === messageId && x.token === token);
        if (!m && messageId === '@original') {
          m = create(`interaction:${token}`, {}, [], {
            via: 'webhook',
            token: token!,
            original: true,
          });
        }
        if (!m) return send(res, 404, { message: 'Unknown Message', code: 10008 });
        edit(m, json, files);
        return send(res, 200, messageJson(m));
      }
    }
    if (!req.headers.authorization || req.headers.authorization !== `Bot ${opts.botToken}`) {
      return send(res, 401, { message: '401: Unauthorized', code: 0 });
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return send(res, 200, {
        url: gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/users/@me') {
      return send(res, 200, {
        ...opts.bot,
        discriminator: '0',
        avatar: null,
        bot: true,
        global_name: null,
      });
    }
    const commandsRoute = route(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/);
    if (commandsRoute && method === 'PUT') {
      const list = (JSON.parse(raw.toString() || '[]') as Array<Record<string, unknown>>).map(
        (c) => ({
          ...c,
          id: snowflake(),
          application_id: opts.applicationId,
          version: '1',
        }),
      );
      commands[commandsRoute[2] ?? 'global'] = list;
      return send(res, 200, list);
    }
    const channel = route(/^\/channels\/(\d+)$/);
    if (channel && method === 'GET') {
      const id = channel[1]!;
      const thread = threads.get(id);
      if (thread) return send(res, 200, { ...thread, type: 11, guild_id: opts.guild.id });
      const c = opts.guild.channels.find((x) => x.id === id);
      if (c) return send(res, 200, { id, type: 0, name: c.name, guild_id: opts.guild.id });
      return send(res, 404, { message: 'Unknown Channel', code: 10003 });
    }
    const typing = route(/^\/channels\/(\w+)\/typing$/);
    if (typing && method === 'POST') return send(res, 204);
    const threadRoute = route(/^\/channels\/(\d+)\/messages\/(\d+)\/threads$/);
    if (threadRoute && method === 'POST') {
      const [, parentId, messageId] = threadRoute;
      if (threads.has(messageId!)) {
        return send(res, 400, {
          message: 'A thread has already been created for this message',
          code: 160004,
        });
      }
      if (userMessages.get(messageId!)?.channel_id !== parentId) {
        return send(res, 404, { message: 'Unknown Message', code: 10008 });
      }
      const thread = { id: messageId!, parent_id: parentId!, name: String(json.name ?? '') };
      threads.set(messageId!, thread);
      const data = {
        ...thread,
        type: 11,
        guild_id: opts.guild.id,
        owner_id: opts.bot.id,
        thread_metadata: {
          archived: false,
          auto_archive_duration: 1440,
          archive_timestamp: new Date().toISOString(),
          locked: false,
        },
        message_count: 0,
        member_count: 1,
        newly_created: true,
      };
      dispatch('THREAD_CREATE', data);
      return send(res, 201, data);
    }
    const list = route(/^\/channels\/(\w+)\/messages$/);
    if (list && method === 'POST') {
      if (!channelExists(list[1]!))
        return send(res, 404, { message: 'Unknown Channel', code: 10003 });
      return send(res, 200, messageJson(create(list[1]!, json, files, {})));
    }
    const one = route(/^\/channels\/(\w+)\/messages\/(\d+)$/);
    if (one) {
      const m = messages.find((x) => x.id === one[2] && x.channel_id === one[1] && !x.deleted);
      if (!m) return send(res, 404, { message: 'Unknown Message', code: 10008 });
      if (method === 'PATCH') {
        edit(m, json, files);
        return send(res, 200, messageJson(m));
      }
      if (method === 'DELETE') {
        m.deleted = true;
        return send(res, 204);
      }
    }
    return send(res, 404, { message: '404: Not Found', code: 0 });
  }

  function frame(ws: WebSocket, payload: object) {
    ws.send(JSON.stringify(payload));
  }

  function connect(ws: WebSocket) {
    frame(ws, { op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    ws.on('message', (data) => {
      const packet = JSON.parse(String(data)) as { op: number; d: Record<string, unknown> };
      if (packet.op === 1) return frame(ws, { op: 11, d: null, s: null, t: null });
      if (packet.op === 2) {
        identifies.push({ token: String(packet.d.token), intents: Number(packet.d.intents) });
        if (packet.d.token !== opts.botToken) return ws.close(4004, 'Authentication failed.');
        sockets.add(ws);
        frame(ws, {
          op: 0,
          t: 'READY',
          s: ++seq,
          d: {
            v: 10,
            user: {
              ...opts.bot,
              discriminator: '0',
              avatar: null,
              bot: true,
              global_name: null,
              flags: 0,
            },
            guilds: [{ id: opts.guild.id, unavailable: true }],
            session_id: 'fake-session',
            resume_gateway_url: gatewayUrl,
            application: { id: opts.applicationId, flags: 0 },
            private_channels: [],
          },
        });
        frame(ws, { op: 0, t: 'GUILD_CREATE', s: ++seq, d: guildCreate() });
        return;
      }
      if (packet.op === 6) {
        sockets.add(ws);
        return frame(ws, { op: 0, t: 'RESUMED', s: ++seq, d: {} });
      }
    });
    ws.on('close', () => sockets.delete(ws));
  }

  function guildCreate() {
    const { guild } = opts;
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: '1000000000000000001',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      system_channel_id: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      nsfw_level: 0,
      features: [],
      roles: [
        {
          id: guild.id,
          name: '@everyone',
          permissions: '1071698660929',
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      emojis: [],
      stickers: [],
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [
        {
          user: { ...opts.bot, discriminator: '0', avatar: null, bot: true, global_name: null },
          roles: [],
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
      ],
      channels: guild.channels.map((c, i) => ({
        id: c.id,
        type: 0,
        name: c.name,
        guild_id: guild.id,
        position: i,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
        last_message_id: null,
        rate_limit_per_user: 0,
        topic: null,
      })),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** Sends a dispatch (op 0) to every identified connection. */
  function dispatch(t: string, d: unknown) {
    seq++;
    for (const ws of sockets) frame(ws, { op: 0, t, s: seq, d });
  }

  /** A user's message as MESSAGE_CREATE; returns its payload (dispatch it again to replay it). */
  function userMessage(input: {
    channelId: string;
    author: { id: string; username: string; global_name?: string };
    content: string;
    mentionBot?: boolean;
    dm?: boolean;
    id?: string;
  }) {
    const id = input.id ?? snowflake();
    const data = {
      id,
      channel_id: input.channelId,
      // Discord names the channel's type in MESSAGE_CREATE: DM 1, guild text 0, thread 11.
      channel_type: input.dm ? 1 : threads.has(input.channelId) ? 11 : 0,
      ...(input.dm ? {} : { guild_id: opts.guild.id }),
      author: { discriminator: '0', avatar: null, global_name: null, ...input.author },
      ...(input.dm
        ? {}
        : {
            member: {
              roles: [],
              joined_at: new Date().toISOString(),
              deaf: false,
              mute: false,
              flags: 0,
              nick: null,
            },
          }),
      content: input.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: input.mentionBot
        ? [{ ...opts.bot, discriminator: '0', avatar: null, bot: true, global_name: null }]
        : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
    };
    userMessages.set(id, { channel_id: input.channelId });
    if (input.dm) dmChannels.add(input.channelId);
    dispatch('MESSAGE_CREATE', data);
    return data;
  }

  return {
    apiUrl: `${base}/api`,
    gatewayUrl,
    messages,
    calls,
    threads,
    commands,
    identifies,
    /** Lets the fake accept an interaction token (Discord knows the ones it issued). */
    issueToken(token: string, componentMessageId?: string) {
      tokens.set(token, componentMessageId);
    },
    dispatch,
    userMessage,
    /** Whether discord.js has identified and received READY. */
    connected: () => sockets.size > 0,
    /** The next call whose path matches fails with this Discord error. */
    failNext(path: RegExp, status: number, code: number, message: string) {
      failNext = { path, status, code, message };
    },
    inChannel: (channelId: string) =>
      messages.filter((m) => m.channel_id === channelId && !m.deleted),
    ofToken: (token: string) => byToken.get(token) ?? [],
    async waitFor<T>(check: () => T | undefined | null | false, ms = 30_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error('timed out waiting at the fake Discord');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;
