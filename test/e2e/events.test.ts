import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { parseSse, readSse } from '../helpers/sse.js';
import type { SseEvent } from '../helpers/sse.js';

/** Reads an open SSE stream until `until` says stop, then closes it. */
async function follow(res: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const events = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
    if (until(events)) {
      await reader.cancel();
      return events;
    }
  }
  return parseSse(text);
}

describe('following a conversation’s event stream', () => {
  let llm: FakeOpenAI;
  let app: TestApp;
  let id: string;

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    app = await startTestApp({ LLM_BASE_URL: llm.baseUrl });
    const res = await app.api('/api/conversations', { method: 'POST', json: {} });
    id = ((await res.json()) as { conversation: { id: string } }).conversation.id;
    await readSse(
      await app.api(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: 'one' } }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('replays what is stored, then follows live turns, without duplicates', async () => {
    const stream = await app.api(`/api/conversations/${id}/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const done = follow(
      stream,
      (events) => events.filter((e) => e.event === 'message').length === 4,
    );
    await new Promise((r) => setTimeout(r, 100));
    await readSse(
      await app.api(`/api/conversations/${id}/messages`, { method: 'POST', json: { text: 'two' } }),
    );
    const events = await done;
    const messages = events
      .filter((e) => e.event === 'message')
      .map((e) => (e.data as { content: string }).content);
    expect(messages).toEqual(['one', 'You said: one', 'two', 'You said: two']);
    expect(events.some((e) => e.event === 'token')).toBe(true);
    const ids = events.filter((e) => e.id).map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('resumes after Last-Event-ID with only the newer messages', async () => {
    const all = await follow(await app.api(`/api/conversations/${id}/events`), (e) =>
      e.some((x) => x.event === 'ready'),
    );
    const stored = all.filter((e) => e.event === 'message');
    const resumed = await follow(
      await app.api(`/api/conversations/${id}/events`, {
        headers: { 'last-event-id': stored[1]!.id! },
      }),
      (e) => e.some((x) => x.event === 'ready'),
    );
    expect(resumed.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(
      stored.slice(2).map((e) => e.id),
    );
  });

  it('refuses an unknown conversation and a malformed Last-Event-ID', async () => {
    expect(
      (await app.api('/api/conversations/00000000-0000-4000-8000-000000000000/events')).status,
    ).toBe(404);
    expect(
      (await app.api(`/api/conversations/${id}/events`, { headers: { 'last-event-id': 'abc' } }))
        .status,
    ).toBe(400);
  });
});
