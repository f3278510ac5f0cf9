// The fake provider's wire format, read with plain fetch, so the client tests that run against it
// prove the client rather than the fake: GitHub's and Slack's shapes are the ones they document.
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOAuthProvider } from './provider.js';
import type { FakeOAuthOptions, FakeOAuthProvider } from './provider.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const started: FakeOAuthProvider[] = [];
afterAll(async () => Promise.all(started.map((p) => p.close())));

async function fake(opts: FakeOAuthOptions) {
  const p = await startFakeOAuthProvider(opts);
  started.push(p);
  return p;
}

async function authorize(p: FakeOAuthProvider, params: Record<string, string>) {
  const url = new URL(p.endpoints.authorizeUrl);
  const all = { response_type: 'code', client_id: p.clientId, redirect_uri: REDIRECT, state: 's' };
  for (const [k, v] of Object.entries({ ...all, ...params })) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  return new URL(res.headers.get('location')!).searchParams;
}

const tokenCall = (p: FakeOAuthProvider, form: Record<string, string>) =>
  fetch(p.endpoints.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({ client_id: p.clientId, client_secret: p.clientSecret, ...form }),
  });

const exchange = (p: FakeOAuthProvider, code: string) =>
  tokenCall(p, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });

describe('fake OAuth provider', () => {
  it('puts iss on the redirect when it has an issuer', async () => {
    const p = await fake({ issuer: 'https://issuer.example' });
    const back = await authorize(p, { scope: 'a' });
    expect(back.get('iss')).toBe('https://issuer.example');
    expect(back.get('code')).toBeTruthy();
  });

  it('answers like GitHub: 200 with an error, commas between scopes, no expiry', async () => {
    const p = await fake({ dialect: 'github', expiring: false });
    const code = (await authorize(p, { scope: 'repo gist' })).get('code')!;
    const ok = await exchange(p, code);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.stringMatching(/^gho_/),
      token_type: 'bearer',
      scope: 'repo,gist',
    });
    const again = await exchange(p, code);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ error: 'bad_verification_code' });
  });

  it('answers like Slack: the user token under authed_user, ok:false errors', async () => {
    const p = await fake({ dialect: 'slack' });
    const code = (await authorize(p, { user_scope: 'chat:write,search:read' })).get('code')!;
    const body = (await (await exchange(p, code)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: true,
      authed_user: {
        id: 'U0FAKE',
        access_token: expect.stringMatching(/^xoxp_/),
        token_type: 'user',
        scope: 'chat:write,search:read',
      },
    });
    expect(body.access_token).toBeUndefined();
    const again = await exchange(p, code);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: false, error: 'invalid_code' });

    const bot = await exchange(p, (await authorize(p, { scope: 'chat:write' })).get('code')!);
    expect(await bot.json()).toMatchObject({
      access_token: expect.stringMatching(/^xoxb_/),
      token_type: 'bot',
    });
  });

  it('lets a public client in only with PKCE', async () => {
    const p = await fake({ allowPublicClient: true });
    const code = (await authorize(p, { scope: 'a' })).get('code')!;
    const res = await fetch(p.endpoints.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: p.clientId,
      }),
    });
    expect(res.status).toBe(401);
    expect(p.tokenRequests.at(-1)).toEqual({
      grantType: 'authorization_code',
      clientAuth: 'public',
    });
  });
});
