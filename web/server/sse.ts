import type { FastifyReply } from 'fastify';

export interface SseStream {
  send(event: string, data: unknown, id?: string | number): void;
  end(): void;
  /** Called once when the client goes away or the stream ends. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
}

/**
 * Opens a Server-Sent Events response. The format is a few lines of text (WHATWG HTML
 * §9.2), so we write it directly rather than pull in a plugin; a comment line every
 * `keepAliveMs` keeps proxies from closing an idle stream.
 */
export function openSse(reply: FastifyReply, keepAliveMs = 15_000): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const closers: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const fn of closers) fn();
  };
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
  res.on('close', close);

  return {
    send(event, data, id) {
      if (closed) return;
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      res.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      close();
      res.end();
    },
    onClose(fn) {
      closers.push(fn);
    },
    get closed() {
      return closed;
    },
  };
}
