import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An activity as the bot sent it (the fields tests read). */
export interface SentActivity {
  type: string;
  id?: string;
  text?: string;
  textFormat?: string;
  replyToId?: string;
  summary?: string;
  attachments?: Array<{ contentType: string; content: Record<string, unknown> }>;
  entities?: Array<Record<string, unknown>>;
  channelData?: Record<string, unknown>;
  conversation?: { id: string };
  [key: string]: unknown;
}

export interface ConnectorCall {
  at: number;
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The activity replied to (POST …/activities/{id}) or updated (PUT …/activities/{id}). */
  activityId: string | undefined;
  activity: SentActivity;
  /** The id the fake answered with (POST) or the updated id (PUT). */
  id: string;
  status: number;
  authorization: string | undefined;
}

/** A message as it stands in the fake Teams (after updates and streaming). */
export interface FakeTeamsMessage {
  id: string;
  conversationId: string;
  replyToId: string | undefined;
  activity: SentActivity;
  /** Every version it had, oldest first. */
  versions: SentActivity[];
  /** Native streaming: its streamType and streamSequence history, and whether it ended. */
  stream?: { sequences: number[]; types: string[]; texts: string[]; final: boolean };
}

export interface FakeConnectorOptions {
  /** Whether a bearer token is one the bot got from the (fake) token endpoint. */
  acceptToken: (authorization: string | undefined) => boolean;
}

const streamInfo = (a: SentActivity) =>
  a.entities?.find((e) => e.type === 'streaminfo') as
    { streamId?: string; streamType?: string; streamSequence?: number } | undefined;

/**
 * A local stand-in for the Bot Framework connector (Teams' service URL), speaking its REST API:
 * `POST /v3/conversations/{id}/activities` (send), `POST …/activities/{activityId}` (reply),
 * `PUT …/activities/{activityId}` (update), each answering `{ id }`; a bot token the token
 * endpoint did not issue gets 401. Native streaming is checked as Teams checks it: an
 * informative or streaming update is a typing activity with a `streaminfo` entity, the
 * streamSequence grows, each chunk holds the text before it, and the final message ends the
 * stream (updates after it get 403 ContentStreamNotAllowed).
 */
export async function startFakeConnector(opts: FakeConnectorOptions) {
  const calls: ConnectorCall[] = [];
  let counter = 0;
  let refuseTyping = false;
  const messages = new Map<string, FakeTeamsMessage>();
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { code, message } });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', base);
    const m = /^\/teams\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    const method = req.method as 'POST' | 'PUT';
    if (!m || (method !== 'POST' && method !== 'PUT') || (method === 'PUT' && !m[2])) {
      return error(res, 404, 'NotFound', `No route ${req.method} ${url.pathname}`);
    }
    const conversationId = decodeURIComponent(m[1]!);
    const activityId = m[2] ? decodeURIComponent(m[2]) : undefined;
    let activity: SentActivity;
    try {
      activity = JSON.parse(raw) as SentActivity;
    } catch {
      return error(res, 400, 'BadSyntax', 'Body is not JSON');
    }
    const call: ConnectorCall = {
      at: performance.now(),
      method,
      conversationId,
      activityId,
      activity,
      id: '',
      status: 200,
      authorization: req.headers.authorization,
    };
    calls.push(call);
    const answer = (status: number, body: unknown) => {
      call.status = status;
      json(res, status, body);
      for (const w of waiters) w();
    };
    if (!opts.acceptToken(req.headers.authorization)) {
      call.status = 401;
      return error(res, 401, 'Unauthorized', 'Authorization has been denied for this request.');
    }
    if (refuseTyping && activity.type === 'typing') {
      return answer(403, {
        error: { code: 'Forbidden', message: 'Typing refused (test switch).' },
      });
    }
    if (method === 'PUT') {
      const existing = messages.get(activityId!);
      if (!existing || existing.conversationId !== conversationId) {
        call.status = 404;
        return error(res, 404, 'ActivityNotFound', 'Unknown activity');
      }
      existing.activity = activity;
      existing.versions.push(activity);
      call.id = existing.id;
      return answer(200, { id: existing.id });
    }
    const info = streamInfo(activity);
    if (info?.streamId) {
      const stream = messages.get(info.streamId);
      if (!stream?.stream)
        return answer(400, { error: { code: 'BadArgument', message: 'Unknown streamId' } });
      if (stream.stream.final) {
        return answer(403, {
          error: { code: 'ContentStreamNotAllowed', message: 'Content stream finished.' },
        });
      }
      const last = stream.stream.sequences.at(-1) ?? 0;
      if (info.streamType !== 'final') {
        const previous = stream.stream.texts.at(-1) ?? '';
        if (!(typeof info.streamSequence === 'number' && info.streamSequence > last)) {
          return answer(400, {
            error: { code: 'BadArgument', message: 'streamSequence must increase' },
          });
        }
        if (
          info.streamType === 'streaming' &&
          stream.stream.types.includes('streaming') &&
          !(activity.text ?? '').startsWith(previous)
        ) {
          return answer(400, {
            error: { code: 'BadArgument', message: 'A chunk must contain the text before it' },
          });
        }
        stream.stream.sequences.push(info.streamSequence);
        stream.stream.texts.push(
          info.streamType === 'streaming' ? (activity.text ?? '') : previous,
        );
      } else {
        stream.stream.final = true;
        stream.stream.texts.push(activity.text ?? '');
      }
      stream.stream.types.push(info.streamType ?? '?');
      stream.activity = activity;
      stream.versions.push(activity);
      call.id = stream.id;
      return answer(201, { id: stream.id });
    }
    const id = String(1_780_000_000_000 + ++counter);
    const message: FakeTeamsMessage = {
      id,
      conversationId,
      replyToId: activityId,
      activity,
      versions: [activity],
    };
    if (info && activity.type === 'typing') {
      if (info.streamType !== 'informative' && info.streamType !== 'streaming') {
        return answer(400, {
          error: { code: 'BadArgument', message: 'A stream starts informative or streaming' },
        });
      }
      message.stream = {
        sequences: [info.streamSequence ?? 0],
        types: [info.streamType],
        texts: [info.streamType === 'streaming' ? (activity.text ?? '') : ''],
        final: false,
      };
    }
    // Plain typing indicators are not stored messages.
    if (activity.type !== 'typing' || message.stream) messages.set(id, message);
    call.id = id;
    answer(201, { id });
  }

  return {
    /** The serviceUrl activities carry (ends with a slash, as Teams' do). */
    serviceUrl: `${base}/teams/`,
    calls,
    messages,
    /** Refuse typing activities (indicators and stream updates) with 403, as a client might. */
    setTypingRefused(value: boolean) {
      refuseTyping = value;
    },
    /** Everything sent to a conversation (messages, typing, stream updates, edits), oldest first. */
    callsIn(conversationId: string) {
      return calls.filter((c) => c.conversationId === conversationId);
    },
    messagesIn(conversationId: string) {
      return [...messages.values()].filter((m) => m.conversationId === conversationId);
    },
    /** Resolves with `check`'s first truthy value; rejects after `ms`. */
    async waitFor<T>(check: () => T | undefined | null | false, ms = 30_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error('timed out waiting for the fake connector');
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, 100);
          waiters.add(wake);
        });
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FakeConnector = Awaited<ReturnType<typeof startFakeConnector>>;
