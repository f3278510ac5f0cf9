import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { Router } from './router.js';
import { SessionProvider } from './session.js';

export interface Call {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
}
type Handler = (call: Call) => Response | Promise<Response>;

export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * Renders `ui` at `path` with an API whose fetch answers from `routes` ("METHOD /path" keys,
 * the query string ignored); every request is recorded in `calls`.
 */
export function renderAt(path: string, ui: ReactElement, routes: Record<string, Handler>) {
  window.history.replaceState(null, '', path);
  const calls: Call[] = [];
  const fakeFetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const call: Call = {
      method,
      url,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const handler = routes[`${method} ${url.split('?')[0]}`];
    if (!handler)
      return json(404, { error: { code: 'not_found', message: `No route ${method} ${url}` } });
    return handler(call);
  }) as typeof fetch;
  const result = render(
    <Router>
      <SessionProvider fetch={fakeFetch}>{ui}</SessionProvider>
    </Router>,
  );
  return { ...result, calls };
}

export const admin = { id: 'u1', displayName: 'Administrator', role: 'admin' as const };
export const signedIn = () => json(200, { user: admin, csrfToken: 'csrf-1' });

/** An SSE response whose events the test pushes, and can end (a dropped connection). */
export function sseResponse() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const enc = new TextEncoder();
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    send(event: string, data: unknown, id?: number) {
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      controller.enqueue(enc.encode(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    end: () => controller.close(),
  };
}
