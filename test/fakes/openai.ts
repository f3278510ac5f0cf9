import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{
    role: string;
    content: string | null;
    tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    tool_call_id?: string;
  }>;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string } }>;
  stream?: boolean;
  receivedAt: number;
  authorization: string | undefined;
}

/** What a scripted fake answers one request with. */
export type FakeAnswer =
  | { text: string }
  | { toolCalls: Array<{ name: string; arguments: unknown }>; text?: string }
  /** An HTTP error in OpenAI's envelope, e.g. 429 with `retry-after`. */
  | { error: { status: number; message?: string; headers?: Record<string, string> } }
  /** Sends the first `afterChars` of `text`, then drops the connection. */
  | { text: string; dropAfterChars: number };

export interface FakeOpenAIOptions {
  /**
   * Answers each request (text, tool calls, an error); takes precedence over `reply`. Gets
   * the request and its 1-based number.
   */
  respond?: (req: ChatRequest, n: number) => FakeAnswer | Promise<FakeAnswer>;
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
    const answer: FakeAnswer = opts.respond
      ? await opts.respond(request, requests.length)
      : { text: opts.reply ? opts.reply(request) : echo(body.messages) };
    if ('error' in answer) {
      const { status, message, headers } = answer.error;
      res.writeHead(status, { 'content-type': 'application/json', ...(headers ?? {}) });
      return res.end(
        JSON.stringify({
          error: {
            message: message ?? `Error ${status}`,
            type: status === 429 ? 'rate_limit_error' : 'server_error',
            param: null,
            code: null,
          },
        }),
      );
    }
    const text = answer.text ?? '';
    const toolCalls = 'toolCalls' in answer ? answer.toolCalls : [];
    const dropAfter = 'dropAfterChars' in answer ? answer.dropAfterChars : undefined;
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
      if (dropAfter !== undefined && i >= dropAfter) {
        res.destroy();
        return;
      }
      res.write(chunk({ content: text.slice(i, i + size) }, null));
      if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
    }
    // Tool calls stream as OpenAI sends them: id and name first, the arguments in pieces.
    toolCalls.forEach((call, index) => {
      const args = JSON.stringify(call.arguments ?? {});
      const half = Math.ceil(args.length / 2);
      res.write(
        chunk(
          {
            tool_calls: [
              {
                index,
                id: `call_${requests.length}_${index}`,
                type: 'function',
                function: { name: call.name, arguments: args.slice(0, half) },
              },
            ],
          },
          null,
        ),
      );
      res.write(
        chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }, null),
      );
    });
    res.write(chunk({}, toolCalls.length ? 'tool_calls' : 'stop'));
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

function echo(messages: ChatRequest['messages']): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return `You said: ${lastUser?.content ?? ''}`;
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
