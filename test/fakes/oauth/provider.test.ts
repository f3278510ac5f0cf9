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

describe('fake OAuth provider: dynamic client registration (RFC 7591)', () => {
  const register = (p: FakeOAuthProvider, body: unknown, type = 'application/json') =>
    fetch(p.registrationUrl, {
      method: 'POST',
      headers: { 'content-type': type, accept: 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const metadata = {
    client_name: 'Test',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };

  it('answers 201 with the client and the metadata it registered', async () => {
    const p = await fake({});
    const res = await register(p, metadata);
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      ...metadata,
      client_id: expect.stringMatching(/^dcr_/),
      client_id_issued_at: expect.any(Number),
    });
    // A public client: PKCE is what lets it redeem a code.
    // RFC 7636 Appendix B's pair.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const code = (
      await authorize(p, {
        client_id: body.client_id as string,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
    ).get('code')!;
    const token = await fetch(p.endpoints.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: body.client_id as string,
        code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);
    expect(p.registeredClients()[0]!.used).toEqual(['authorization_code']);
  });

  it('issues a secret (and RFC 7592 management) to a confidential client, for its method only', async () => {
    const p = await fake({ registrationAccessTokens: true });
    const res = await register(p, { redirect_uris: [REDIRECT] });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      client_secret: expect.stringMatching(/^dcr_secret_/),
      client_secret_expires_at: 0,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      registration_access_token: expect.stringMatching(/^reg_/),
      registration_client_uri: expect.stringContaining(`/register/${body.client_id as string}`),
    });
    const code = (await authorize(p, { client_id: body.client_id as string })).get('code')!;
    const asPost = await fetch(p.endpoints.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: body.client_id as string,
        client_secret: body.client_secret as string,
      }),
    });
    expect(asPost.status).toBe(401);
  });

  it('refuses bad metadata with RFC 7591 error codes', async () => {
    const p = await fake({});
    const cases: Array<[unknown, string]> = [
      [{ ...metadata, redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ ...metadata, redirect_uris: ['http://example.com/cb'] }, 'invalid_redirect_uri'],
      [{ ...metadata, redirect_uris: [`${REDIRECT}#x`] }, 'invalid_redirect_uri'],
      [{ ...metadata, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ ...metadata, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
      ['not json', 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases) {
      const res = await register(p, body);
      expect({ status: res.status, body: await res.json() }).toMatchObject({
        status: 400,
        body: { error },
      });
    }
    const form = await register(p, 'redirect_uris=x', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(400);
    expect(p.stats.registrations).toBe(0);
  });

  it('binds codes and redirect URIs to the registered client', async () => {
    const p = await fake({});
    const res = await register(p, metadata);
    const { client_id } = (await res.json()) as { client_id: string };
    const other = await fetch(
      `${p.endpoints.authorizeUrl}?response_type=code&client_id=${client_id}&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/elsewhere')}`,
      { redirect: 'manual' },
    );
    expect(other.status).toBe(400);
    // The built-in client cannot redeem the registered client's code.
    const code = (await authorize(p, { client_id, code_challenge: 'x'.repeat(43) })).get('code')!;
    expect((await exchange(p, code)).status).toBe(400);
  });
});
