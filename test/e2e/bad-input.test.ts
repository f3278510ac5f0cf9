import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

/** Bad requests get a clear 4xx and leave every table as it was. */
describe('bad input on every endpoint', () => {
  let llm: FakeOpenAI;
  let app: TestApp;
  let conversationId: string;

  beforeAll(async () => {
    llm = await startFakeOpenAI();
    app = await startTestApp({ LLM_BASE_URL: llm.baseUrl });
    const res = await app.api('/api/conversations', {
      method: 'POST',
      json: { title: 'existing' },
    });
    conversationId = ((await res.json()) as { conversation: { id: string } }).conversation.id;
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  const counts = async () => {
    const db = app.database.prisma;
    return {
      users: await db.user.count(),
      conversations: await db.conversation.count(),
      messages: await db.message.count(),
    };
  };

  async function expectRejected(
    path: string,
    init: RequestInit & { json?: unknown },
    status: number,
    message?: RegExp,
  ): Promise<void> {
    const before = await counts();
    const res = await app.api(path, init);
    expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toEqual(expect.any(String));
    if (message) expect(body.error.message).toMatch(message);
    expect(await counts()).toEqual(before);
    expect(llm.requests).toHaveLength(0);
  }

  const routes: Array<[string, string]> = [
    ['GET', '/api/conversations'],
    ['POST', '/api/conversations'],
    ['GET', '/api/conversations/00000000-0000-4000-8000-000000000000'],
    ['POST', '/api/conversations/00000000-0000-4000-8000-000000000000/messages'],
  ];

  it.each(routes)('%s %s without a token, or with a wrong one, is 401', async (method, path) => {
    await expectRejected(path, { method, headers: { authorization: '' } }, 401, /Bearer/);
    await expectRejected(path, { method, headers: { authorization: 'Bearer wrong-token' } }, 401);
    await expectRejected(path, { method, headers: { authorization: `Basic ${app.token}` } }, 401);
  });

  it('malformed JSON is 400', async () => {
    const headers = { 'content-type': 'application/json' };
    await expectRejected(
      '/api/conversations',
      { method: 'POST', headers, body: '{"title": ' },
      400,
    );
    await expectRejected(
      `/api/conversations/${conversationId}/messages`,
      { method: 'POST', headers, body: '{text:1}' },
      400,
    );
  });

  it('missing or wrong fields are 400 naming the field', async () => {
    const path = `/api/conversations/${conversationId}/messages`;
    await expectRejected(path, { method: 'POST', json: {} }, 400, /body\.text/);
    await expectRejected(path, { method: 'POST', json: { text: 42 } }, 400, /body\.text/);
    await expectRejected(path, { method: 'POST', json: { text: '   ' } }, 400, /body\.text/);
    await expectRejected(path, { method: 'POST', json: { text: 'hi', extra: true } }, 400, /extra/);
    await expectRejected(
      path,
      { method: 'POST', json: { text: 'hi', clientMessageId: 'x' } },
      400,
      /clientMessageId/,
    );
    await expectRejected(
      '/api/conversations',
      { method: 'POST', json: { title: 7 } },
      400,
      /body\.title/,
    );
    await expectRejected(
      '/api/conversations?limit=0',
      { method: 'GET' },
      400,
      /querystring\.limit/,
    );
    await expectRejected(
      '/api/conversations?before=yesterday',
      { method: 'GET' },
      400,
      /querystring\.before/,
    );
  });

  it('a text over the limit is 400 and a huge body is 413', async () => {
    const path = `/api/conversations/${conversationId}/messages`;
    await expectRejected(
      path,
      { method: 'POST', json: { text: 'x'.repeat(32_001) } },
      400,
      /body\.text/,
    );
    await expectRejected(
      path,
      { method: 'POST', json: { text: 'x'.repeat(2 * 1024 * 1024) } },
      413,
    );
  });

  it('a body that is not JSON is 415', async () => {
    await expectRejected(
      `/api/conversations/${conversationId}/messages`,
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' },
      415,
    );
  });

  it('unknown or malformed ids are 404 or 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectRejected(
      `/api/conversations/${unknown}`,
      { method: 'GET' },
      404,
      new RegExp(unknown),
    );
    await expectRejected(
      `/api/conversations/${unknown}/messages`,
      { method: 'POST', json: { text: 'hi' } },
      404,
    );
    await expectRejected('/api/conversations/not-a-uuid', { method: 'GET' }, 400, /params\.id/);
    await expectRejected('/api/nothing-here', { method: 'GET' }, 404);
  });
});
