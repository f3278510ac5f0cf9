// The OAuth 2.0 client side Dynamiq needs: PKCE (RFC 7636, S256 only), the authorization-code
// and refresh-token grants (RFC 6749) and revocation (RFC 7009). Written on global fetch because
// neither oauth4webapi nor openid-client is installed; oauth4webapi is the library to move to,
// and this module is the only place that would change.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { OAuthClient } from './clients.js';
import { ConnectionError } from './errors.js';

/** Provider requests give up after this long, in milliseconds. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** How the client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1). */
export type ClientAuth = 'client_secret_post' | 'client_secret_basic';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Null when the provider gave no expires_in (GitHub OAuth apps: tokens do not expire). */
  expiresAt: Date | null;
  /** What the provider granted, or undefined when it did not say (then: what was asked for). */
  scopes: string[] | undefined;
}

/** Thrown when a token endpoint answers with an error; never carries the request or response body. */
export class TokenRequestError extends ConnectionError {
  override readonly name = 'TokenRequestError';
  constructor(
    readonly httpStatus: number,
    readonly oauthError: string | undefined,
  ) {
    super(
      'dynamiq.connections.provider_error',
      `The provider's token endpoint refused the request (HTTP ${httpStatus}${oauthError ? `, ${oauthError}` : ''}).`,
    );
  }

  /** The grant itself is dead (revoked, expired, reused): only a new authorization helps. */
  get rejected(): boolean {
    // GitHub answers HTTP 200 with bad_refresh_token instead of 400 invalid_grant.
    return (
      this.httpStatus === 401 ||
      this.oauthError === 'invalid_grant' ||
      this.oauthError === 'bad_refresh_token'
    );
  }
}

const base64url = (buf: Buffer) => buf.toString('base64url');

export function createPkce(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

/** 256 bits: the state is the only thing tying a callback to the flow that started it. */
export const randomState = () => base64url(randomBytes(32));

/** What is stored instead of the state itself, so a database reader cannot finish a flow. */
export const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** Replaces `{client_id}` (GitHub's revocation URL names the app). */
export const fillClientId = (url: string, client: OAuthClient) =>
  url.replaceAll('{client_id}', encodeURIComponent(client.clientId));

export function buildAuthorizeUrl(opts: {
  authorizeUrl: string;
  client: OAuthClient;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
  codeChallenge: string | undefined;
}): string {
  const url = new URL(fillClientId(opts.authorizeUrl, opts.client));
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', opts.client.clientId);
  params.set('redirect_uri', opts.redirectUri);
  params.set('state', opts.state);
  if (opts.scopes.length) params.set('scope', opts.scopes.join(' '));
  if (opts.codeChallenge) {
    params.set('code_challenge', opts.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.coerce.number().positive().nullish(),
  scope: z.string().nullish(),
});

const errorResponse = z.object({ error: z.string().max(100) });

function clientAuth(
  client: OAuthClient,
  method: ClientAuth,
  form: URLSearchParams,
): Record<string, string> {
  if (method === 'client_secret_basic' && client.clientSecret) {
    const enc = (v: string) => encodeURIComponent(v).replaceAll('%20', '+');
    const basic = Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`);
    return { authorization: `Basic ${basic.toString('base64')}` };
  }
  form.set('client_id', client.clientId);
  if (client.clientSecret) form.set('client_secret', client.clientSecret);
  return {};
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  // GitHub answers form-encoded unless asked for JSON; accept both rather than trust the header.
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Object.fromEntries(new URLSearchParams(text));
  }
}

async function tokenRequest(
  tokenUrl: string,
  client: OAuthClient,
  auth: ClientAuth,
  form: URLSearchParams,
): Promise<TokenSet> {
  const headers = { accept: 'application/json', ...clientAuth(client, auth, form) };
  let res: Response;
  try {
    res = await fetch(fillClientId(tokenUrl, client), {
      method: 'POST',
      headers,
      body: form,
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ConnectionError(
      'dynamiq.connections.provider_error',
      `The provider's token endpoint could not be reached (${(err as Error).name}).`,
    );
  }
  const body = await readBody(res);
  const failure = errorResponse.safeParse(body);
  if (!res.ok || failure.success) {
    throw new TokenRequestError(res.status, failure.success ? failure.data.error : undefined);
  }
  const parsed = tokenResponse.safeParse(body);
  if (!parsed.success) throw new TokenRequestError(res.status, 'malformed_token_response');
  const t = parsed.data;
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? undefined,
    expiresAt: t.expires_in ? new Date(Date.now() + t.expires_in * 1000) : null,
    // GitHub separates scopes with commas, everyone else with spaces.
    scopes: t.scope ? t.scope.split(/[\s,]+/).filter(Boolean) : undefined,
  };
}

export function exchangeCode(opts: {
  tokenUrl: string;
  client: OAuthClient;
  auth: ClientAuth;
  code: string;
  redirectUri: string;
  codeVerifier: string | undefined;
}): Promise<TokenSet> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: opts.code,
    redirect_uri: opts.redirectUri,
  });
  if (opts.codeVerifier) form.set('code_verifier', opts.codeVerifier);
  return tokenRequest(opts.tokenUrl, opts.client, opts.auth, form);
}

export function refreshGrant(opts: {
  tokenUrl: string;
  client: OAuthClient;
  auth: ClientAuth;
  refreshToken: string;
}): Promise<TokenSet> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: opts.refreshToken,
  });
  return tokenRequest(opts.tokenUrl, opts.client, opts.auth, form);
}

/**
 * Revokes the grant. RFC 7009 form POST of the refresh token where there is one (revoking it
 * ends its access tokens too), except GitHub's `/applications/{client_id}/token`, a DELETE with
 * the app's Basic credentials and the access token in a JSON body. Resolves with the HTTP
 * status; throws only when the provider cannot be reached.
 */
export async function revokeToken(opts: {
  revokeUrl: string;
  client: OAuthClient;
  auth: ClientAuth;
  accessToken: string;
  refreshToken: string | undefined;
}): Promise<number> {
  const url = fillClientId(opts.revokeUrl, opts.client);
  const signal = AbortSignal.timeout(PROVIDER_TIMEOUT_MS);
  if (opts.revokeUrl.includes('{client_id}')) {
    const form = new URLSearchParams();
    const headers = clientAuth(opts.client, 'client_secret_basic', form);
    const res = await fetch(url, {
      method: 'DELETE',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ access_token: opts.accessToken }),
      signal,
    });
    await res.body?.cancel();
    return res.status;
  }
  const form = opts.refreshToken
    ? new URLSearchParams({ token: opts.refreshToken, token_type_hint: 'refresh_token' })
    : new URLSearchParams({ token: opts.accessToken, token_type_hint: 'access_token' });
  const headers = clientAuth(opts.client, opts.auth, form);
  const res = await fetch(url, { method: 'POST', headers, body: form, signal });
  await res.body?.cancel();
  return res.status;
}
