import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream?: boolean;
  receivedAt: number;
  authorization: string | undefined;
}

export interface FakeOpenAIOptions {
  /** The key clients must send; requests with another get OpenAI's 401 body. */
  apiKey?: string;
  /** Text of the answer for a request. Default: echoes the last user message. */
  reply?: (req: ChatRequest) => string;
  /** Characters per streamed chunk. */
  chunkSize?: number;
  /** Pause between streamed chunks, in ms (so a browser can be seen rendering them). */
  chunkDelayMs?: number;
  /** Called before answering; a returned promise delays the answer (e.g. forever). */
  beforeAnswer?: (req: ChatRequest) => Promise<void> | void;
}

/**
 * A local stand-in for OpenAI's Chat Completions API speaking its real wire format:
 * POST /v1/chat/completions, JSON or `text/event-stream` chunks `data: {...}` ending with
 * `data: [DONE]`, usage in the last chunk when `stream_options.include_usage` is set, and
 * OpenAI's error envelope for a bad key or unknown route.
 */
export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}) {
  const requests: ChatRequest[] = [];
  let rejected = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      void handle(req, res, raw).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return sendError(
        res,
        404,
        'invalid_request_error',
        `Unknown request URL: ${req.method} ${req.url}`,
      );
    }
    const authorization = req.headers.authorization;
    if (opts.apiKey && authorization !== `Bearer ${opts.apiKey}`) {
      rejected++;
      return sendError(
        res,
        401,
        'invalid_request_error',
        'Incorrect API key provided.',
        'invalid_api_key',
      );
    }
    const body = JSON.parse(raw) as Omit<ChatRequest, 'receivedAt' | 'authorization'> & {
      stream_options?: { include_usage?: boolean };
    };
    const request: ChatRequest = { ...body, receivedAt: performance.now(), authorization };
    requests.push(request);
    await opts.beforeAnswer?.(request);
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
    const text = opts.reply ? opts.reply(request) : `You said: ${lastUser?.content ?? ''}`;
    const id = `chatcmpl-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: 7 * body.messages.length,
      completion_tokens: text.length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;

    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' },
          ],
          usage,
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    const size = opts.chunkSize ?? 4;
    for (let i = 0; i < text.length; i += size) {
      res.write(chunk({ content: text.slice(i, i + size) }, null));
      if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
    }
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Requests refused for a wrong key. */
    get rejected() {
      return rejected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendError(
  res: http.ServerResponse,
  status: number,
  type: string,
  message: string,
  code: string | null = null,
) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

export type FakeOpenAI = Awaited<ReturnType<typeof startFakeOpenAI>>;
