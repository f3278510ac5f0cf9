import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginLink } from '../../web/server/index.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';

const JWT_SECRET = 'sessions-test-secret-0123456789abcdefghij';

/** Opens a sign-in link as a browser (or a chat app's link preview) would. */
async function open(link: string): Promise<Response> {
  return fetch(link, { redirect: 'manual' });
}
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
/** Presses "Sign in" on the link's page: the POST that uses the link up. */
async function signIn(base: string, link: string): Promise<Response> {
  return fetch(`${base}/auth/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: tokenOf(link) }),
  });
}
const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;

describe('portal sessions from signed, single-use sign-in links', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ JWT_SECRET, PUBLIC_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await app?.close();
  });
  const anonymous = (path: string, init: RequestInit = {}) => fetch(`${app.url}${path}`, init);
  const link = (path: string) => path.replace('http://127.0.0.1:9', app.url);

  it('opening the bootstrap link signs no one in; pressing Sign in (a POST) does, once', async () => {
    expect(app.bootstrapLink).toMatch(/^http:\/\/127\.0\.0\.1:9\/auth\/link\?token=/);
    const sessions = await app.database.prisma.portalSession.count();
    // A GET (a click, a link preview, a crawler) gets the sign-in page and changes nothing.
    for (let i = 0; i < 2; i++) {
      const page = await open(link(app.bootstrapLink!));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('set-cookie')).toBeNull();
    }
    const info = await anonymous(`/auth/link/info?token=${tokenOf(app.bootstrapLink!)}`);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({
      user: { displayName: 'Administrator', role: 'admin' },
      identity: null,
    });
    expect(await app.database.prisma.portalSession.count()).toBe(sessions);

    const res = await signIn(app.url, app.bootstrapLink!);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe('admin');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^dynamiq_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // plain http here; https PUBLIC_URLs get Secure
    expect(await app.database.prisma.portalSession.count()).toBe(sessions + 1);

    const session = await anonymous('/api/session', { headers: { cookie: cookieOf(res) } });
    const body = (await session.json()) as { user: { role: string }; csrfToken: string };
    expect(body.user.role).toBe('admin');
    expect(body.csrfToken).toEqual(expect.any(String));

    // Single use: neither the page's account check nor a second POST works again.
    const again = await signIn(app.url, app.bootstrapLink!);
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { code: string } }).error.code).toMatch(
      /login_link_used$/,
    );
    const usedInfo = await anonymous(`/auth/link/info?token=${tokenOf(app.bootstrapLink!)}`);
    expect(((await usedInfo.json()) as { error: { code: string } }).error.code).toMatch(
      /login_link_used$/,
    );
    expect(await app.database.prisma.portalSession.count()).toBe(sessions + 1);
  });

  it('refuses a sign-in POST that is not JSON (a cross-site form) or says it is cross-site', async () => {
    const { url } = await createLoginLink(JWT_SECRET, app.url, { userId: app.admin.id });
    const sessions = await app.database.prisma.portalSession.count();
    const form = await fetch(`${app.url}/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${tokenOf(url)}`,
    });
    expect(form.status).toBe(415);
    const crossSite = await fetch(`${app.url}/auth/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ token: tokenOf(url) }),
    });
    expect(crossSite.status).toBe(403);
    expect(await app.database.prisma.portalSession.count()).toBe(sessions);
    // The link is still good: nothing above used it up.
    expect((await signIn(app.url, url)).status).toBe(200);
  });

  it('a session reads freely but changes state only with its CSRF token', async () => {
    const { url } = await createLoginLink(JWT_SECRET, app.url, { userId: app.admin.id });
    const cookie = cookieOf(await signIn(app.url, url));
    const { csrfToken } = (await (
      await anonymous('/api/session', { headers: { cookie } })
    ).json()) as { csrfToken: string };
    const headers = { cookie, 'content-type': 'application/json' };

    expect((await anonymous('/api/conversations', { headers: { cookie } })).status).toBe(200);
    const before = await app.database.prisma.conversation.count();
    const refused = await anonymous('/api/conversations', { method: 'POST', headers, body: '{}' });
    expect(refused.status).toBe(403);
    const wrong = await anonymous('/api/conversations', {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': 'guess' },
      body: '{}',
    });
    expect(wrong.status).toBe(403);
    expect(await app.database.prisma.conversation.count()).toBe(before);
    const ok = await anonymous('/api/conversations', {
      method: 'POST',
      headers: { ...headers, 'x-csrf-token': csrfToken },
      body: '{}',
    });
    expect(ok.status).toBe(201);

    const out = await anonymous('/api/auth/logout', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await anonymous('/api/conversations', { headers: { cookie } })).status).toBe(401);
  });

  it('a link the bot asks for ties the session to that chat identity’s user', async () => {
    const person = await app.database.prisma.user.create({
      data: {
        displayName: 'Linus',
        identities: { create: { platform: 'slack', workspaceId: 'T1', platformUserId: 'U9' } },
      },
      include: { identities: true },
    });
    const res = await app.api('/api/auth/links', {
      method: 'POST',
      json: { identityId: person.identities[0]!.id },
    });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    const info = await anonymous(`/auth/link/info?token=${tokenOf(url)}`);
    expect(await info.json()).toMatchObject({
      user: { displayName: 'Linus', role: 'member' },
      identity: { platform: 'slack' },
    });
    const cookie = cookieOf(await signIn(app.url, link(url)));
    const { user } = (await (await anonymous('/api/session', { headers: { cookie } })).json()) as {
      user: { id: string; role: string };
    };
    expect(user).toMatchObject({ id: person.id, role: 'member' });
    const row = await app.database.prisma.portalSession.findFirstOrThrow({
      where: { userId: person.id },
    });
    expect(row.identityId).toBe(person.identities[0]!.id);
    // Their conversations, not the administrator's.
    const list = (await (
      await anonymous('/api/conversations', { headers: { cookie } })
    ).json()) as { conversations: unknown[] };
    expect(list.conversations).toEqual([]);
  });

  it('refuses expired, forged and malformed links, and storing nothing', async () => {
    const sessions = await app.database.prisma.portalSession.count();
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(app.admin.id)
      .setAudience('dynamiq-portal')
      .setIssuer('dynamiq')
      .setJti('expired-link-0001')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const forged = (
      await createLoginLink('another-secret-0123456789abcdefghijkl', app.url, {
        userId: app.admin.id,
      })
    ).url;
    for (const [url, message] of [
      [`${app.url}/auth/link?token=${expired}`, /expired/],
      [forged, /not valid/],
      [`${app.url}/auth/link?token=not-a-jwt-at-all-really`, /not valid/],
    ] as const) {
      const info = await anonymous(`/auth/link/info?token=${tokenOf(url)}`);
      expect(info.status).toBe(400);
      expect(((await info.json()) as { error: { message: string } }).error.message).toMatch(
        message,
      );
      const res = await signIn(app.url, url);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await app.database.prisma.portalSession.count()).toBe(sessions);
  });

  it('only an administrator creates sign-in links', async () => {
    const member = await app.database.prisma.user.create({ data: { displayName: 'M' } });
    const { url } = await createLoginLink(JWT_SECRET, app.url, { userId: member.id });
    const cookie = cookieOf(await signIn(app.url, url));
    const { csrfToken } = (await (
      await anonymous('/api/session', { headers: { cookie } })
    ).json()) as { csrfToken: string };
    const res = await anonymous('/api/auth/links', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ identityId: '00000000-0000-4000-8000-000000000000' }),
    });
    expect(res.status).toBe(403);
  });
});
