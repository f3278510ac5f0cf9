// Budgets and policies are set by administrators over the API, validated, refused to members,
// and take effect on the next turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../web/server/sessions/index.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import type { FakeOpenAI } from '../fakes/openai.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { readSse } from '../helpers/sse.js';

let llm: FakeOpenAI;
let app: TestApp;

beforeAll(async () => {
  llm = await startFakeOpenAI({ reply: () => 'An answer of a few tokens.' });
  app = await startTestApp({ LLM_BASE_URL: llm.baseUrl });
});
afterAll(async () => {
  await app?.close();
  await llm?.close();
});

const put = (path: string, json: unknown) => app.api(path, { method: 'PUT', json });

describe('administrators set budgets and policies', () => {
  it('stores, lists and deletes a channel policy, and refuses what does not name real things', async () => {
    const key = encodeURIComponent('slack:T0001:C0002');
    const saved = await put(`/api/admin/channel-policies/${key}`, {
      mode: 'ask-all',
      restrictIntegrations: true,
      allowedIntegrations: ['github', 'aws'],
      approverUserIds: [app.admin.id],
    });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({
      channelKey: 'slack:T0001:C0002',
      mode: 'ask-all',
      allowedIntegrations: ['github', 'aws'],
    });
    expect(
      await app.database.prisma.channelPolicy.findUnique({
        where: { channelKey: 'slack:T0001:C0002' },
      }),
    ).toMatchObject({ mode: 'ask_all' });
    const list = (await (await app.api('/api/admin/channel-policies')).json()) as {
      policies: Array<{ channelKey: string }>;
    };
    expect(list.policies.map((p) => p.channelKey)).toEqual(['slack:T0001:C0002']);

    for (const [body, message] of [
      [{ allowedIntegrations: ['not-a-thing'] }, /Unknown integration/],
      [{ approverUserIds: ['00000000-0000-4000-8000-000000000000'] }, /existing user/],
      [{ mode: 'sometimes' }, /mode/],
    ] as const) {
      const res = await put(`/api/admin/channel-policies/${key}`, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect((await put('/api/admin/channel-policies/no-colons', { mode: 'auto' })).status).toBe(400);
    // A refused change left the stored policy as it was.
    expect(
      await app.database.prisma.channelPolicy.findUnique({
        where: { channelKey: 'slack:T0001:C0002' },
      }),
    ).toMatchObject({ mode: 'ask_all', allowedIntegrations: ['github', 'aws'] });

    expect((await app.api(`/api/admin/channel-policies/${key}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    expect((await app.api(`/api/admin/channel-policies/${key}`, { method: 'DELETE' })).status).toBe(
      404,
    );
  });

  it('sets an integration’s mode only for a catalog integration', async () => {
    const res = await put('/api/admin/integration-policies/github', { mode: 'auto' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ integrationId: 'github', mode: 'auto' });
    expect((await put('/api/admin/integration-policies/nope', { mode: 'auto' })).status).toBe(404);
  });

  it('refuses every admin route to a member', async () => {
    const member = await app.database.prisma.user.create({
      data: { displayName: 'member', role: 'member' },
    });
    const session = await openSession(app.database.prisma, { userId: member.id });
    const as = (path: string, init: RequestInit = {}) =>
      fetch(`${app.url}${path}`, {
        ...init,
        headers: {
          cookie: `dynamiq_session=${session.token}`,
          'x-csrf-token': session.csrfToken,
          'content-type': 'application/json',
        },
      });
    expect((await as('/api/admin/budgets')).status).toBe(403);
    expect((await as('/api/admin/users')).status).toBe(403);
    const res = await as(`/api/admin/budgets/user/${member.id}`, {
      method: 'PUT',
      body: JSON.stringify({ tokensPerDay: 1_000_000, costUsdPerDay: null }),
    });
    expect(res.status).toBe(403);
    expect(await app.database.prisma.budget.count()).toBe(0);
  });

  it('a user budget set over the API stops the next turn before any LLM call', async () => {
    const created = await app.api('/api/conversations', { method: 'POST', json: {} });
    const { conversation } = (await created.json()) as { conversation: { id: string } };
    const send = async (text: string) => {
      const res = await app.api(`/api/conversations/${conversation.id}/messages`, {
        method: 'POST',
        json: { text },
      });
      const events = await readSse(res);
      return events.at(-1)!.data as { content: string; isError: boolean };
    };
    expect((await send('first')).content).toBe('An answer of a few tokens.');
    const calls = llm.requests.length;

    expect(
      (
        await put(`/api/admin/budgets/user/${app.admin.id}`, {
          tokensPerDay: 1,
          costUsdPerDay: null,
        })
      ).status,
    ).toBe(200);
    const users = (await (await app.api('/api/admin/users')).json()) as {
      users: Array<{ id: string }>;
    };
    expect(users.users.map((u) => u.id)).toContain(app.admin.id);
    const budgets = (await (await app.api('/api/admin/budgets')).json()) as {
      budgets: Array<{ scope: string; subject: string; tokensPerDay: number }>;
    };
    expect(budgets.budgets).toEqual([
      expect.objectContaining({ scope: 'user', subject: app.admin.id, tokensPerDay: 1 }),
    ]);

    const stopped = await send('second');
    expect(stopped.content).toMatch(/budget/i);
    expect(llm.requests.length).toBe(calls);

    expect(
      (
        await put(`/api/admin/budgets/user/${app.admin.id}`, {
          tokensPerDay: null,
          costUsdPerDay: null,
        })
      ).status,
    ).toBe(400);
    expect(
      (await app.api(`/api/admin/budgets/user/${app.admin.id}`, { method: 'DELETE' })).status,
    ).toBe(200);
    expect((await send('third')).content).toBe('An answer of a few tokens.');
  });

  it('the status says, per part, whether it works and what to set, chat platforms included', async () => {
    const res = await app.api('/api/status');
    expect(res.status).toBe(200);
    const { parts } = (await res.json()) as {
      parts: Array<{ id: string; state: string; fix: string | null }>;
    };
    const byId = Object.fromEntries(parts.map((p) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(
      expect.arrayContaining([
        'llm',
        'temporal',
        'database',
        'sandbox',
        'slack',
        'teams',
        'discord',
      ]),
    );
    expect(byId.temporal!.state).toBe('ok');
    expect(byId.slack).toMatchObject({
      state: 'off',
      fix: expect.stringContaining('SLACK_SIGNING_SECRET'),
    });
    expect(byId.teams).toMatchObject({
      state: 'off',
      fix: expect.stringContaining('MICROSOFT_APP_ID'),
    });
    expect(byId.discord).toMatchObject({
      state: 'off',
      fix: expect.stringContaining('DISCORD_BOT_TOKEN'),
    });
  });
});
