import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorAnswer, tokenAnswer } from './dialects.js';
import type { Dialect } from './dialects.js';
import { startRegistrar } from './registration.js';
import type { RegisteredClient, TokenAuthMethod } from './registration.js';

export interface FakeOAuthOptions {
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued access tokens, in seconds. Default 3600. */
  accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh and invalidate the old one (default true). */
  rotateRefreshTokens?: boolean;
  /** Delay before answering a refresh, in ms, to widen race windows in concurrency tests. */
  refreshDelayMs?: number;
  /** What GET /api/user answers for a valid token. */
  login?: string;
  /** RFC 9207: put `iss` with this value on every authorization response. */
  issuer?: string;
  /**
   * Answer like a provider that departs from the RFCs. `github`: token errors with HTTP 200
   * (`bad_verification_code`, `bad_refresh_token`), comma-separated scopes, lowercase `bearer`.
   * `slack`: scopes asked as `user_scope`, the user token under `authed_user` with token_type
   * `user` (a bot token, token_type `bot`, at the top level for `scope`), errors as HTTP 200
   * `{"ok":false}`, and POST /revoke as Slack's auth.revoke (the token is its own credential).
   */
  dialect?: Dialect;
  /** Issue access tokens with expires_in and a refresh token (default true). */
  expiring?: boolean;
  /** Accept a client that sends only its client_id (a public client relying on PKCE). */
  allowPublicClient?: boolean;
  /** Delay before answering a registration, in ms, to widen race windows in concurrency tests. */
  registrationDelayMs?: number;
  /** Answer registrations with RFC 7592's registration_access_token and registration_client_uri. */
  registrationAccessTokens?: boolean;
}

export type { RegisteredClient } from './registration.js';

// The one client created by hand (options clientId/clientSecret) takes any secret-based method
// and, with allowPublicClient, none; a registered client only the method it registered.
interface KnownClient {
  clientId: string;
  clientSecret: string | undefined;
  tokenAuth: TokenAuthMethod | undefined;
  redirectUris: string[] | undefined;
  registered?: RegisteredClient;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string | undefined;
  scope: string;
  /** Slack: the scopes were asked for a user token (`user_scope`). */
  userScope: boolean;
  used: boolean;
}

const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url');

/**
 * A local OAuth 2.0 authorization server speaking the real wire format: GET /authorize (auto-
 * consents and redirects with `code`, `state` and optionally `iss`), POST /token
 * (authorization_code with PKCE S256 and redirect_uri checks, refresh_token with rotation, each
 * refresh token bound to its client; client_secret_basic, _post or a public client), POST /revoke
 * (RFC 7009), POST /register (RFC 7591 dynamic client registration: JSON in, 201 with the client
 * and its metadata out), GitHub's DELETE /applications/{client_id}/token, and a resource GET
 * /api/user that needs a live Bearer token. Errors use RFC 6749 §5.2 bodies (RFC 7591 §3.2.2 for
 * registration), or GitHub's and Slack's shapes (see `dialect`).
 */
export async function startFakeOAuthProvider(opts: FakeOAuthOptions = {}) {
  const clientId = opts.clientId ?? 'fake-client-id';
  const clientSecret = opts.clientSecret ?? 'fake-client-secret-0123456789';
  const ttl = opts.accessTokenTtl ?? 3600;
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, { expiresAt: number; refreshToken: string }>();
  const refreshTokens = new Map<string, { scope: string; valid: boolean; clientId: string }>();
  const registrar = startRegistrar({
    delayMs: opts.registrationDelayMs,
    accessTokens: opts.registrationAccessTokens,
  });
  const stats = {
    authorizations: 0,
    codeExchanges: 0,
    refreshes: 0,
    rejectedRefreshes: 0,
    get registrations() {
      return registrar.clients.size;
    },
  };
  const revocations: Array<{ token: string; hint: string | undefined }> = [];
  const tokenRequests: Array<{
    grantType: string;
    clientAuth: 'basic' | 'post' | 'public' | 'none';
  }> = [];
  // Forced answers simulate outages (e.g. 503) without touching the protocol logic.
  const forced: { token?: number; revoke?: number } = {};

  const send = (res: http.ServerResponse, status: number, body: object, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  function oauthError(res: http.ServerResponse, status: number, error: string, refresh = false) {
    const answer = errorAnswer(opts.dialect, status, error, refresh);
    send(res, answer.status, answer.body);
  }

  const expiring = opts.expiring ?? true;
  const issued: string[] = [];
  function issue(scope: string, refreshToken = token('rt'), prefix = 'at', client = clientId) {
    const accessToken = token(prefix);
    issued.push(accessToken);
    accessTokens.set(accessToken, {
      expiresAt: expiring ? Date.now() + ttl * 1000 : Infinity,
      refreshToken: expiring ? refreshToken : '',
    });
    if (expiring) {
      issued.push(refreshToken);
      refreshTokens.set(refreshToken, { scope, valid: true, clientId: client });
    }
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      scope,
      ...(expiring ? { expires_in: ttl, refresh_token: refreshToken } : {}),
    };
  }
  // Tokens look like the real ones, so a test sees at once which token was stored.
  function prefixOf(userScope: boolean): string {
    if (opts.dialect === 'github') return 'gho';
    if (opts.dialect === 'slack') return userScope ? 'xoxp' : 'xoxb';
    return 'at';
  }

  function knownClient(id: string | null | undefined): KnownClient | undefined {
    if (id === clientId) {
      const tokenAuth = undefined;
      return { clientId, clientSecret, tokenAuth, redirectUris: undefined };
    }
    const r = id ? registrar.clients.get(id) : undefined;
    return r && { ...r, registered: r };
  }

  // RFC 6749 §2.3.1: exactly one client authentication method per request.
  function authenticate(req: http.IncomingMessage, form: URLSearchParams) {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const inBody = form.has('client_secret');
    if (basic && inBody) return null;
    const allows = (c: KnownClient | undefined, method: TokenAuthMethod) =>
      c !== undefined && (c.tokenAuth === undefined || c.tokenAuth === method);
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64')
        .toString()
        .split(':')
        .map((v) => decodeURIComponent(v.replaceAll('+', ' ')));
      const c = knownClient(id);
      if (!allows(c, 'client_secret_basic') || !c!.clientSecret || secret !== c!.clientSecret) {
        return null;
      }
      return { method: 'basic' as const, client: c! };
    }
    const c = knownClient(form.get('client_id'));
    if (!inBody) {
      const publicAllowed = c?.registered ? c.tokenAuth === 'none' : opts.allowPublicClient;
      return c && publicAllowed ? { method: 'public' as const, client: c } : null;
    }
    if (!allows(c, 'client_secret_post') || !c!.clientSecret) return null;
    return form.get('client_secret') === c!.clientSecret
      ? { method: 'post' as const, client: c! }
      : null;
  }

  async function handleToken(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    form: URLSearchParams,
  ) {
    const auth = authenticate(req, form);
    const grantType = form.get('grant_type') ?? '';
    tokenRequests.push({ grantType, clientAuth: auth?.method ?? 'none' });
    if (!auth) return oauthError(res, 401, 'invalid_client');
    auth.client.registered?.used.push(grantType);
    if (forced.token) {
      return send(res, forced.token, { error: 'temporarily_unavailable' });
    }
    if (grantType === 'authorization_code') {
      const grant = grants.get(form.get('code') ?? '');
      if (!grant || grant.used || grant.clientId !== auth.client.clientId)
        return oauthError(res, 400, 'invalid_grant');
      grant.used = true;
      if (form.get('redirect_uri') !== grant.redirectUri)
        return oauthError(res, 400, 'invalid_grant');
      const verifier = form.get('code_verifier');
      if (grant.challenge && (!verifier || s256(verifier) !== grant.challenge)) {
        return oauthError(res, 400, 'invalid_grant');
      }
      // A public client has nothing but PKCE to prove it is the one that asked.
      if (auth.method === 'public' && !grant.challenge) {
        return oauthError(res, 401, 'invalid_client');
      }
      stats.codeExchanges++;
      const body = tokenAnswer(
        opts.dialect,
        issue(grant.scope, undefined, prefixOf(grant.userScope), grant.clientId),
        grant.userScope,
      );
      return send(res, 200, body, { 'cache-control': 'no-store' });
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const known = refreshTokens.get(presented);
      if (opts.refreshDelayMs) await new Promise((r) => setTimeout(r, opts.refreshDelayMs));
      // RFC 6749 §6: a refresh token works only for the client it was issued to.
      if (!known?.valid || known.clientId !== auth.client.clientId) {
        stats.rejectedRefreshes++;
        return oauthError(res, 400, 'invalid_grant', true);
      }
      stats.refreshes++;
      const rotate = opts.rotateRefreshTokens ?? true;
      if (rotate) known.valid = false;
      const next = rotate ? undefined : presented;
      const fresh = issue(known.scope, next, prefixOf(true), known.clientId);
      const body = tokenAnswer(opts.dialect, fresh, null);
      return send(res, 200, body, { 'cache-control': 'no-store' });
    }
    return oauthError(res, 400, 'unsupported_grant_type');
  }

  function handleAuthorize(url: URL, res: http.ServerResponse) {
    const q = url.searchParams;
    // Without a trustworthy client and redirect URI, a real server shows an error page.
    const client = knownClient(q.get('client_id'));
    const redirectUri = q.get('redirect_uri');
    if (!client || !redirectUri) return send(res, 400, { error: 'invalid_request' });
    if (client.redirectUris && !client.redirectUris.includes(redirectUri)) {
      return send(res, 400, { error: 'invalid_request' });
    }
    const back = new URL(q.get('redirect_uri')!);
    if (opts.issuer) back.searchParams.set('iss', opts.issuer);
    const challenge = q.get('code_challenge') ?? undefined;
    const fail = (error: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
    };
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type');
    if (challenge && q.get('code_challenge_method') !== 'S256') return fail('invalid_request');
    stats.authorizations++;
    const code = token('code');
    const userScope = opts.dialect === 'slack' && q.has('user_scope');
    grants.set(code, {
      clientId: client.clientId,
      redirectUri,
      challenge,
      scope: (userScope ? q.get('user_scope') : q.get('scope')) ?? '',
      userScope,
      used: false,
    });
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    res.writeHead(302, { location: back.toString() }).end();
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const form = new URLSearchParams(raw);
      const route = `${req.method} ${url.pathname}`;
      void (async () => {
        if (route === 'GET /authorize') return handleAuthorize(url, res);
        if (route === 'POST /token') return handleToken(req, res, form);
        if (route === 'POST /revoke' && opts.dialect === 'slack') {
          // auth.revoke: a Web API method authenticated by the token it revokes.
          const presented = form.get('token') ?? '';
          if (forced.revoke) return send(res, forced.revoke, { ok: false, error: 'fatal_error' });
          if (!accessTokens.delete(presented))
            return send(res, 200, { ok: false, error: 'invalid_auth' });
          revocations.push({ token: presented, hint: form.get('token_type_hint') ?? undefined });
          return send(res, 200, { ok: true, revoked: true });
        }
        if (route === 'POST /register') return registrar.handle(req, res, raw);
        if (route === 'POST /revoke') {
          const auth = authenticate(req, form);
          if (!auth) return oauthError(res, 401, 'invalid_client');
          auth.client.registered?.used.push('revoke');
          if (forced.revoke) return send(res, forced.revoke, { error: 'temporarily_unavailable' });
          const presented = form.get('token') ?? '';
          revocations.push({ token: presented, hint: form.get('token_type_hint') ?? undefined });
          const rt = refreshTokens.get(presented);
          if (rt) rt.valid = false;
          for (const [at, info] of accessTokens) {
            if (at === presented || info.refreshToken === presented) accessTokens.delete(at);
          }
          return send(res, 200, {});
        }
        // GitHub's shape: DELETE /applications/{client_id}/token, app Basic auth, JSON body.
        const github = /^\/applications\/([^/]+)\/token$/.exec(url.pathname);
        if (req.method === 'DELETE' && github) {
          const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
          const expected = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
          if (decodeURIComponent(github[1]!) !== clientId || basic !== expected) {
            return send(res, 404, { message: 'Not Found' });
          }
          if (req.headers['content-type'] !== 'application/json') {
            return send(res, 415, { message: 'Unsupported Media Type' });
          }
          const presented = (JSON.parse(raw || '{}') as { access_token?: string }).access_token;
          if (!presented || !accessTokens.delete(presented)) {
            return send(res, 404, { message: 'Not Found' });
          }
          revocations.push({ token: presented, hint: 'github' });
          res.writeHead(204).end();
          return;
        }
        if (route === 'GET /api/user') {
          const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
          const live = bearer && accessTokens.get(bearer);
          if (!live || live.expiresAt < Date.now())
            return send(res, 401, { message: '401 Unauthorized' });
          return send(res, 200, { id: 1, username: opts.login ?? 'fake-user' });
        }
        send(res, 404, { error: 'not_found' });
      })().catch((err: unknown) => send(res, 500, { error: String(err) }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    clientId,
    clientSecret,
    endpoints: {
      authorizeUrl: `${base}/authorize`,
      tokenUrl: `${base}/token`,
      revokeUrl: `${base}/revoke`,
      apiBaseUrl: `${base}/api`,
    },
    // Apart from `endpoints`, which tests pass as overrides for entries without registration.
    registrationUrl: `${base}/register`,
    stats,
    revocations,
    tokenRequests,
    /** Every token ever issued (to search logs and databases for them). */
    issuedTokens: () => [...new Set(issued)],
    /** Answer the token (or revocation) endpoint with this status; undefined restores it. */
    forceTokenStatus: (status: number | undefined) => void (forced.token = status),
    forceRevokeStatus: (status: number | undefined) => void (forced.revoke = status),
    /** Refuse every registration with this RFC 7591 error (and status); undefined restores it. */
    forceRegistrationError: registrar.force,
    /** Every client registered at POST /register, in order. */
    registeredClients: (): RegisteredClient[] => [...registrar.clients.values()],
    /** Tokens as if a user had just consented (for tests that seed connections directly). */
    grantDirectly: (scope = 'api') => issue(scope),
    /** The provider forgets every refresh token, as after a user revoked the app. */
    invalidateRefreshTokens() {
      for (const rt of refreshTokens.values()) rt.valid = false;
    },
    isRefreshTokenValid: (rt: string) => refreshTokens.get(rt)?.valid === true,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeOAuthProvider = Awaited<ReturnType<typeof startFakeOAuthProvider>>;
