import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse.js';
import { stateQuery } from '../../workflows/definitions.js';

describe('a web conversation on a real Temporal server with a fake OpenAI', () => {
  let llm: FakeOpenAI;
  let app: TestApp;

  beforeAll(async () => {
    llm = await startFakeOpenAI({ apiKey: 'sk-test-key', chunkSize: 3 });
    app = await startTestApp({
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'sk-test-key',
      LLM_MODEL: 'gpt-test',
    });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  async function newConversation(title?: string): Promise<string> {
    const res = await app.api('/api/conversations', {
      method: 'POST',
      json: title ? { title } : {},
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { conversation: { id: string } }).conversation.id;
  }

  it('streams the answer token by token, then the stored final message, and stores both messages', async () => {
    const id = await newConversation('deploys');
    const res = await app.api(`/api/conversations/${id}/messages`, {
      method: 'POST',
      json: { text: 'is prod healthy?' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);

    expect(events[0]!.event).toBe('accepted');
    const tokens = events
      .filter((e) => e.event === 'token')
      .map((e) => (e.data as { delta: string }).delta);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(tokens.join('')).toBe('You said: is prod healthy?');
    const final = events.at(-1)!;
    expect(final.event).toBe('message');
    expect(final.data).toMatchObject({
      role: 'assistant',
      content: 'You said: is prod healthy?',
      model: 'gpt-test',
      isError: false,
    });
    expect(final.id).toBe(String((final.data as { seq: number }).seq));

    const stored = await app.api(`/api/conversations/${id}`);
    const body = (await stored.json()) as {
      conversation: { title: string };
      messages: Array<{ role: string; content: string }>;
    };
    expect(body.conversation.title).toBe('deploys');
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'is prod healthy?'],
      ['assistant', 'You said: is prod healthy?'],
    ]);
    expect(llm.requests.at(-1)!.authorization).toBe('Bearer sk-test-key');
  });

  it('sends the whole conversation history to the LLM on the next turn', async () => {
    const id = await newConversation();
    await readSse(
      await app.api(`/api/conversations/${id}/messages`, {
        method: 'POST',
        json: { text: 'first' },
      }),
    );
    await readSse(
      await app.api(`/api/conversations/${id}/messages`, {
        method: 'POST',
        json: { text: 'second' },
      }),
    );
    const sent = llm.requests.at(-1)!.messages;
    expect(sent[0]!.role).toBe('system');
    expect(sent.slice(1)).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'You said: first' },
      { role: 'user', content: 'second' },
    ]);
  });

  it('answers a retried POST with the same clientMessageId without a second turn', async () => {
    const id = await newConversation();
    const send = () =>
      app.api(`/api/conversations/${id}/messages`, {
        method: 'POST',
        json: { text: 'once please', clientMessageId: 'retry-key-0001' },
      });
    const first = await readSse(await send());
    const callsAfterFirst = llm.requests.length;
    const second = await readSse(await send());
    expect(second.at(-1)!.data).toEqual(first.at(-1)!.data);
    expect(llm.requests.length).toBe(callsAfterFirst);
    const body = (await (await app.api(`/api/conversations/${id}`)).json()) as {
      messages: unknown[];
    };
    expect(body.messages).toHaveLength(2);
  });

  it('lists the caller’s conversations, most recent first', async () => {
    const a = await newConversation('older');
    const b = await newConversation('newer');
    const res = await app.api('/api/conversations?limit=100');
    const { conversations } = (await res.json()) as { conversations: Array<{ id: string }> };
    const ids = conversations.map((c) => c.id);
    expect(ids.indexOf(b)).toBeLessThan(ids.indexOf(a));
    expect(ids.indexOf(a)).toBeGreaterThanOrEqual(0);
  });

  it('answers queries about the workflow state through Temporal', async () => {
    const id = await newConversation();
    await readSse(
      await app.api(`/api/conversations/${id}/messages`, {
        method: 'POST',
        json: { text: 'state?' },
      }),
    );
    const { conversation } = (await (await app.api(`/api/conversations/${id}`)).json()) as {
      conversation: { id: string };
    };
    const row = await app.database.prisma.conversation.findUniqueOrThrow({
      where: { id: conversation.id },
    });
    const state = await app.temporal!.workflow.getHandle(row.workflowId).query(stateQuery);
    expect(state).toEqual({
      conversationId: id,
      status: 'idle',
      currentTurnId: null,
      queued: 0,
      turnsCompleted: 1,
      pendingApprovals: [],
    });
  });
});

describe('LLM failures reach the person as a clear message', () => {
  it('without any LLM configured, a message gets a reply that says how to configure one', async () => {
    const app = await startTestApp({}, { database: 'embedded' });
    try {
      const res = await app.api('/api/conversations', { method: 'POST', json: {} });
      const { conversation } = (await res.json()) as { conversation: { id: string } };
      const events = await readSse(
        await app.api(`/api/conversations/${conversation.id}/messages`, {
          method: 'POST',
          json: { text: 'hello?' },
        }),
      );
      const final = events.at(-1)!;
      expect(final.event).toBe('message');
      expect(final.data).toMatchObject({ role: 'assistant', isError: true, model: null });
      expect((final.data as { content: string }).content).toMatch(/LLM_API_KEY.*LLM_BASE_URL/s);
    } finally {
      await app.close();
    }
  }, 240_000);

  it('a rejected API key is reported once, not retried', async () => {
    const llm = await startFakeOpenAI({ apiKey: 'sk-right' });
    const app = await startTestApp({ LLM_BASE_URL: llm.baseUrl, LLM_API_KEY: 'sk-wrong' });
    try {
      const { conversation } = (await (
        await app.api('/api/conversations', { method: 'POST', json: {} })
      ).json()) as {
        conversation: { id: string };
      };
      const events = await readSse(
        await app.api(`/api/conversations/${conversation.id}/messages`, {
          method: 'POST',
          json: { text: 'hi' },
        }),
      );
      expect(events.at(-1)!.data).toMatchObject({ role: 'assistant', isError: true });
      expect((events.at(-1)!.data as { content: string }).content).toContain('HTTP 401');
      expect((events.at(-1)!.data as { content: string }).content).not.toContain('sk-wrong');
      expect(llm.rejected).toBe(1);
      expect(llm.requests).toHaveLength(0);
    } finally {
      await app.close();
      await llm.close();
    }
  });
});
