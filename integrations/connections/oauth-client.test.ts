// The OAuth client on oauth4webapi against the local fake provider, in its standard, GitHub and
// Slack shapes: what reaches the wire, what comes back as a TokenSet, and what errors carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuthProvider } from '../../test/fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../../test/fakes/oauth/provider.js';
import type { OAuthClient } from './clients.js';
import { ConnectionError } from './errors.js';
import type { ClientAuth } from './oauth-client.js';
import {
  TokenRequestError,
  buildAuthorizeUrl,
  checkAuthorizationResponse,
  createPkce,
  exchangeCode,
  refreshGrant,
  revokeToken,
} from './oauth-client.js';
import type { Dialect } from './oauth-quirks.js';

const REDIRECT = 'http://127.0.0.1:9/api/integrations/oauth/callback';
const providers: FakeOAuthProvider[] = [];

async function fake(opts: Parameters<typeof startFakeOAuthProvider>[0] = {}) {
  const provider = await startFakeOAuthProvider(opts);
  providers.push(provider);
  return provider;
}
afterAll(async () => Promise.all(providers.map((p) => p.close())));

const clientOf = (p: FakeOAuthProvider, secret = true): OAuthClient =>
  secret ? { clientId: p.clientId, clientSecret: p.clientSecret } : { clientId: p.clientId };

/** Consents at the fake and returns the callback's query, as the browser would bring it. */
async function consent(
  p: FakeOAuthProvider,
  opts: { scopes?: string[]; dialect?: Dialect; challenge?: string; rawScope?: string } = {},
) {
  const url = new URL(
    buildAuthorizeUrl({
      authorizeUrl: p.endpoints.authorizeUrl,
      client: clientOf(p),
      redirectUri: REDIRECT,
      state: 'state-1',
      scopes: opts.scopes ?? ['read', 'write'],
      codeChallenge: opts.challenge,
      dialect: opts.dialect,
    }),
  );
  if (opts.rawScope !== undefined) {
    url.searchParams.delete('user_scope');
    url.searchParams.set('scope', opts.rawScope);
  }
  const res = await fetch(url, { redirect: 'manual' });
  const back = new URL(res.headers.get('location')!);
  return Object.fromEntries(back.searchParams) as { state: string; code?: string; iss?: string };
}

/** The whole authorization-code grant against `p`. */
async function connect(
  p: FakeOAuthProvider,
  opts: { dialect?: Dialect; auth?: ClientAuth; secret?: boolean; rawScope?: string } = {},
) {
  const pkce = await createPkce();
  const query = await consent(p, { ...opts, challenge: pkce.challenge });
  const checked = checkAuthorizationResponse({
    client: clientOf(p),
    issuer: undefined,
    issRequired: false,
    query,
  });
  if (checked.kind !== 'code') throw new Error(`no code: ${JSON.stringify(checked)}`);
  return exchangeCode({
    tokenUrl: p.endpoints.tokenUrl,
    client: clientOf(p, opts.secret ?? true),
    auth: opts.auth ?? 'client_secret_post',
    dialect: opts.dialect,
    response: checked.params,
    redirectUri: REDIRECT,
    codeVerifier: pkce.verifier,
  });
}

/** Everything an error exposes to a log line or an API response. */
const exposed = (err: unknown) =>
  `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''} ${String((err as Error).cause)}`;

describe('the authorization request and response', () => {
  it('asks Slack for user scopes in user_scope, comma-separated', () => {
    const url = new URL(
      buildAuthorizeUrl({
        authorizeUrl: 'https://slack.com/oauth/v2/authorize',
        client: { clientId: 'cid' },
        redirectUri: REDIRECT,
        state: 'st',
        scopes: ['channels:read', 'chat:write'],
        codeChallenge: undefined,
        dialect: 'slack',
      }),
    );
    expect(url.searchParams.get('user_scope')).toBe('channels:read,chat:write');
    expect(url.searchParams.has('scope')).toBe(false);
  });

  const check = (
    query: { code?: string; error?: string; iss?: string },
    issuer?: string,
    issRequired = false,
  ) =>
    checkAuthorizationResponse({
      client: { clientId: 'cid' },
      issuer,
      issRequired,
      query: { state: 'st', ...query },
    });
  const GH = 'https://github.com/login/oauth';

  it('accepts the declared issuer and a missing iss unless the entry requires it', () => {
    expect(check({ code: 'c', iss: GH }, GH)).toMatchObject({ kind: 'code' });
    expect(check({ code: 'c' }, GH)).toMatchObject({ kind: 'code' });
    expect(check({ code: 'c' }, GH, true)).toEqual({
      kind: 'wrong_issuer',
      reason: 'issuer_missing',
    });
  });

  it('refuses another issuer, even on an error response (RFC 9207 comes first)', () => {
    const evil = 'https://evil.example/login/oauth';
    expect(check({ code: 'c', iss: evil }, GH)).toEqual({
      kind: 'wrong_issuer',
      reason: 'issuer_mismatch',
    });
    expect(check({ error: 'access_denied', iss: evil }, GH)).toMatchObject({
      kind: 'wrong_issuer',
    });
  });

  it('ignores iss where the entry declares no issuer', () => {
    expect(check({ code: 'c', iss: 'https://anything.example' })).toMatchObject({ kind: 'code' });
  });

  it('reports a denial and a redirect without a code', () => {
    expect(check({ error: 'access_denied' })).toEqual({ kind: 'error', error: 'access_denied' });
    expect(check({})).toEqual({ kind: 'error', error: 'no_code' });
  });
});

describe('the grants on an RFC 6749 provider', () => {
  let p: FakeOAuthProvider;
  beforeAll(async () => {
    p = await fake({ allowPublicClient: true });
  });

  it('exchanges a code with PKCE and client_secret_post, basic, or as a public client', async () => {
    const post = await connect(p);
    expect(post).toMatchObject({
      accessToken: expect.stringMatching(/^at_/),
      scopes: ['read', 'write'],
    });
    expect(post.expiresAt!.getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect(p.tokenRequests.at(-1)).toEqual({ grantType: 'authorization_code', clientAuth: 'post' });
    await connect(p, { auth: 'client_secret_basic' });
    expect(p.tokenRequests.at(-1)!.clientAuth).toBe('basic');
    await connect(p, { secret: false });
    expect(p.tokenRequests.at(-1)!.clientAuth).toBe('public');
  });

  it('refreshes, and calls a refused refresh rejected without repeating the token', async () => {
    const first = await connect(p);
    const opts = {
      tokenUrl: p.endpoints.tokenUrl,
      client: clientOf(p),
      auth: 'client_secret_post' as const,
    };
    const next = await refreshGrant({ ...opts, refreshToken: first.refreshToken! });
    expect(next.accessToken).not.toBe(first.accessToken);
    const err = await refreshGrant({ ...opts, refreshToken: first.refreshToken! }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenRequestError);
    expect(err).toMatchObject({ httpStatus: 400, oauthError: 'invalid_grant', rejected: true });
    expect(exposed(err)).not.toContain(first.refreshToken!);
  });

  it('keeps the error code of a 5xx and of a refused client, and nothing else', async () => {
    const first = await connect(p);
    const base = { tokenUrl: p.endpoints.tokenUrl, auth: 'client_secret_post' as const };
    p.forceTokenStatus(503);
    try {
      const err = await refreshGrant({
        ...base,
        client: clientOf(p),
        refreshToken: first.refreshToken!,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        httpStatus: 503,
        oauthError: 'temporarily_unavailable',
        rejected: false,
      });
    } finally {
      p.forceTokenStatus(undefined);
    }
    const wrong = { clientId: p.clientId, clientSecret: 'not-the-secret' };
    const err = await refreshGrant({
      ...base,
      client: wrong,
      refreshToken: first.refreshToken!,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ httpStatus: 401, oauthError: 'invalid_client' });
    expect(exposed(err)).not.toContain('not-the-secret');
  });

  it('sends plain http only to this machine', async () => {
    for (const tokenUrl of ['http://example.com/token', 'http://10.0.0.1/token']) {
      const err = await refreshGrant({
        tokenUrl,
        client: clientOf(p),
        auth: 'client_secret_post',
        refreshToken: 'rt',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/must use https/);
    }
    const revoke = revokeToken({
      revokeUrl: 'http://example.com/revoke',
      client: clientOf(p),
      auth: 'client_secret_post',
      accessToken: 'at',
      refreshToken: undefined,
    });
    await expect(revoke).rejects.toThrow(/must use https/);
  });

  it('revokes the refresh token (RFC 7009), and reports a failing endpoint', async () => {
    const tokens = await connect(p);
    const opts = {
      revokeUrl: p.endpoints.revokeUrl,
      client: clientOf(p),
      auth: 'client_secret_post' as const,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    };
    expect(await revokeToken(opts)).toEqual({ revoked: true, status: 200 });
    expect(p.revocations.at(-1)).toEqual({ token: tokens.refreshToken, hint: 'refresh_token' });
    expect(p.isRefreshTokenValid(tokens.refreshToken!)).toBe(false);
    p.forceRevokeStatus(503);
    try {
      expect(await revokeToken(opts)).toEqual({ revoked: false, status: 503 });
    } finally {
      p.forceRevokeStatus(undefined);
    }
  });
});

describe('GitHub', () => {
  it('reads HTTP 200 errors, comma-separated scopes and tokens that do not expire', async () => {
    const p = await fake({ dialect: 'github', expiring: false });
    const tokens = await connect(p, { dialect: 'github' });
    expect(tokens).toEqual({
      accessToken: expect.stringMatching(/^gho_/),
      refreshToken: undefined,
      expiresAt: null,
      scopes: ['read', 'write'],
    });

    const query = await consent(p);
    const checked = checkAuthorizationResponse({
      client: clientOf(p),
      issuer: undefined,
      issRequired: false,
      query,
    });
    if (checked.kind !== 'code') throw new Error('no code');
    const exchange = () =>
      exchangeCode({
        tokenUrl: p.endpoints.tokenUrl,
        client: clientOf(p),
        auth: 'client_secret_post',
        dialect: 'github',
        response: checked.params,
        redirectUri: REDIRECT,
        codeVerifier: undefined,
      });
    await exchange();
    const err = await exchange().catch((e: unknown) => e);
    expect(err).toMatchObject({
      httpStatus: 200,
      oauthError: 'bad_verification_code',
      rejected: false,
    });
    expect(exposed(err)).not.toContain(query.code!);
  });

  it('calls bad_refresh_token rejected, and revokes with DELETE and the app credentials', async () => {
    const p = await fake({ dialect: 'github' });
    const tokens = await connect(p, { dialect: 'github' });
    const base = {
      tokenUrl: p.endpoints.tokenUrl,
      client: clientOf(p),
      auth: 'client_secret_post' as const,
      dialect: 'github' as const,
    };
    await refreshGrant({ ...base, refreshToken: tokens.refreshToken! });
    const err = await refreshGrant({ ...base, refreshToken: tokens.refreshToken! }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ httpStatus: 200, oauthError: 'bad_refresh_token', rejected: true });

    const fresh = await connect(p, { dialect: 'github' });
    const revoked = await revokeToken({
      revokeUrl: p.endpoints.revokeUrl.replace(/\/revoke$/, '/applications/{client_id}/token'),
      client: clientOf(p),
      auth: 'client_secret_post',
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      dialect: 'github',
    });
    expect(revoked).toEqual({ revoked: true, status: 204 });
    expect(p.revocations.at(-1)).toEqual({ token: fresh.accessToken, hint: 'github' });
  });
});

describe('Slack', () => {
  it('stores the user token from authed_user and accepts token_type user', async () => {
    const p = await fake({ dialect: 'slack', expiring: false });
    const tokens = await connect(p, { dialect: 'slack' });
    expect(tokens).toEqual({
      accessToken: expect.stringMatching(/^xoxp_/),
      refreshToken: undefined,
      expiresAt: null,
      scopes: ['read', 'write'],
    });
  });

  it('accepts the top-level bot token (token_type bot) when bot scopes were asked', async () => {
    const p = await fake({ dialect: 'slack' });
    const bot = await connect(p, { rawScope: 'chat:write', dialect: 'slack' });
    expect(bot).toMatchObject({
      accessToken: expect.stringMatching(/^xoxb_/),
      scopes: ['chat:write'],
    });
  });

  it('reads ok:false answers and refreshes a rotating user token', async () => {
    const p = await fake({ dialect: 'slack' });
    const tokens = await connect(p, { dialect: 'slack' });
    const base = {
      tokenUrl: p.endpoints.tokenUrl,
      client: clientOf(p),
      auth: 'client_secret_post' as const,
      dialect: 'slack' as const,
    };
    const next = await refreshGrant({ ...base, refreshToken: tokens.refreshToken! });
    expect(next.accessToken).toMatch(/^xoxp_/);
    const err = await refreshGrant({ ...base, refreshToken: tokens.refreshToken! }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      httpStatus: 200,
      oauthError: 'invalid_refresh_token',
      rejected: true,
    });
  });

  it('revokes with auth.revoke and the access token, and sees ok:false as not revoked', async () => {
    const p = await fake({ dialect: 'slack' });
    const tokens = await connect(p, { dialect: 'slack' });
    const opts = {
      revokeUrl: p.endpoints.revokeUrl,
      client: clientOf(p),
      auth: 'client_secret_post' as const,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      dialect: 'slack' as const,
    };
    expect(await revokeToken(opts)).toEqual({ revoked: true, status: 200 });
    expect(p.revocations.at(-1)).toEqual({ token: tokens.accessToken, hint: 'access_token' });
    expect(await revokeToken(opts)).toEqual({ revoked: false, status: 200, error: 'invalid_auth' });
  });
});

describe('token types', () => {
  it('refuses a non-bearer token_type from a provider not known to use one', async () => {
    const p = await fake({ dialect: 'slack' });
    const err = await connect(p, { rawScope: 'chat:write', dialect: undefined }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ oauthError: 'unsupported_token_type' });
    expect(exposed(err)).not.toMatch(/xoxb_/);
  });
});
