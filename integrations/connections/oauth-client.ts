// The OAuth 2.0 client side Dynamiq needs, on oauth4webapi: PKCE (RFC 7636, S256), the
// authorization response check (RFC 9207 `iss`), and the authorization-code and refresh-token
// grants with client authentication (RFC 6749); revocation (RFC 7009) is in ./oauth-revoke.ts.
// Hand-written, each for its reason: the authorization URL (the library has no helper), provider
// quirks (./oauth-quirks.ts), and errors that keep status and code but never a response body.
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './clients.js';
import { ConnectionError } from './errors.js';
import type { ClientAuth } from './oauth-http.js';
import {
  clientAuthentication,
  clientOf,
  fillClientId,
  requestOptions,
  server,
  unreachable,
} from './oauth-http.js';
import type { Dialect } from './oauth-quirks.js';
import { adaptTokenResponse, errorCode, tokenTypesOf } from './oauth-quirks.js';

export { PROVIDER_TIMEOUT_MS, fillClientId } from './oauth-http.js';
export type { ClientAuth } from './oauth-http.js';
export { revokeToken } from './oauth-revoke.js';
export type { Revocation } from './oauth-revoke.js';

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
    // GitHub says bad_refresh_token and Slack invalid_refresh_token, both with HTTP 200.
    return (
      this.httpStatus === 401 ||
      this.oauthError === 'invalid_grant' ||
      this.oauthError === 'bad_refresh_token' ||
      this.oauthError === 'invalid_refresh_token'
    );
  }
}

export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

/** 256 bits: the state is the only thing tying a callback to the flow that started it. */
export const randomState = () => oauth.generateRandomState();

/** What is stored instead of the state itself, so a database reader cannot finish a flow. */
export const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

// oauth4webapi leaves the authorization request to the caller: it is a redirect, not a request
// the client sends, so there is nothing for the library to check.
export function buildAuthorizeUrl(opts: {
  authorizeUrl: string;
  client: OAuthClient;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
  codeChallenge: string | undefined;
  dialect?: Dialect;
}): string {
  const url = new URL(fillClientId(opts.authorizeUrl, opts.client));
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', opts.client.clientId);
  params.set('redirect_uri', opts.redirectUri);
  params.set('state', opts.state);
  if (opts.scopes.length) {
    // Slack takes a user token's scopes, comma-separated, in `user_scope` (`scope`: its bot's).
    if (opts.dialect === 'slack') params.set('user_scope', opts.scopes.join(','));
    else params.set('scope', opts.scopes.join(' '));
  }
  if (opts.codeChallenge) {
    params.set('code_challenge', opts.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

/** The library's errors carry the response body as their cause; these keep status and code. */
function tokenError(err: unknown, status: number): ConnectionError {
  if (err instanceof ConnectionError) return err;
  if (err instanceof oauth.ResponseBodyError) {
    return new TokenRequestError(err.status, errorCode(err.error));
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    return new TokenRequestError(err.status, errorCode(err.cause[0]?.parameters.error));
  }
  if (err instanceof oauth.UnsupportedOperationError) {
    return new TokenRequestError(status, 'unsupported_token_type');
  }
  if (err instanceof oauth.OperationProcessingError) {
    const conform = err.code !== oauth.RESPONSE_IS_NOT_CONFORM;
    return new TokenRequestError(status, conform ? 'malformed_token_response' : undefined);
  }
  return new TokenRequestError(status, 'malformed_token_response');
}

function toTokenSet(t: oauth.TokenEndpointResponse): TokenSet {
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token || undefined,
    expiresAt: t.expires_in && t.expires_in > 0 ? new Date(Date.now() + t.expires_in * 1000) : null,
    // GitHub separates scopes with commas, everyone else with spaces.
    scopes: t.scope ? t.scope.split(/[\s,]+/).filter(Boolean) : undefined,
  };
}

interface TokenEndpoint {
  tokenUrl: string;
  client: OAuthClient;
  auth: ClientAuth;
  dialect?: Dialect;
}

async function grant(
  opts: TokenEndpoint,
  send: (
    as: oauth.AuthorizationServer,
    c: oauth.Client,
    auth: oauth.ClientAuth,
    o: oauth.TokenEndpointRequestOptions,
  ) => Promise<Response>,
  process: (
    as: oauth.AuthorizationServer,
    c: oauth.Client,
    res: Response,
    o: { recognizedTokenTypes?: oauth.RecognizedTokenTypes },
  ) => Promise<oauth.TokenEndpointResponse>,
): Promise<TokenSet> {
  const tokenUrl = fillClientId(opts.tokenUrl, opts.client);
  const as = server({ tokenUrl });
  const client = clientOf(opts.client);
  let res: Response;
  try {
    const auth = clientAuthentication(opts.client, opts.auth);
    res = await send(as, client, auth, requestOptions(tokenUrl));
  } catch (err) {
    throw unreachable('token endpoint', tokenUrl, err);
  }
  try {
    const adapted = await adaptTokenResponse(res, opts.dialect);
    if ('error' in adapted) throw new TokenRequestError(res.status, adapted.error);
    const recognizedTokenTypes = tokenTypesOf(opts.dialect);
    return toTokenSet(await process(as, client, adapted.response, { recognizedTokenTypes }));
  } catch (err) {
    throw tokenError(err, res.status);
  }
}

/** The provider's redirect, checked: a code to exchange, or the error it reported. */
export type AuthorizationResponse =
  | { kind: 'code'; params: URLSearchParams }
  | { kind: 'error'; error: string }
  | { kind: 'wrong_issuer'; reason: 'issuer_mismatch' | 'issuer_missing' };

/**
 * Checks the provider's redirect with the library: RFC 9207 first (a mix-up attack sends the
 * victim back with another server's response), then error or code. `issuer` is the entry's
 * declared issuer; without one, `iss` is not checked (RFC 9207 §2.4 leaves that to the client).
 */
export function checkAuthorizationResponse(opts: {
  client: OAuthClient;
  issuer: string | undefined;
  issRequired: boolean;
  query: { state: string; code?: string; error?: string; iss?: string };
}): AuthorizationResponse {
  const { query } = opts;
  const params = new URLSearchParams({ state: query.state });
  if (query.code) params.set('code', query.code);
  if (query.error) params.set('error', query.error);
  if (query.iss !== undefined && opts.issuer) params.set('iss', query.iss);
  const as = server({ issuer: opts.issuer, issRequired: opts.issRequired && !!opts.issuer });
  try {
    // The state was matched before: its hash found the flow's row, which is already claimed.
    const checked = oauth.validateAuthResponse(
      as,
      clientOf(opts.client),
      params,
      oauth.skipStateCheck,
    );
    if (!checked.get('code')) return { kind: 'error', error: 'no_code' };
    return { kind: 'code', params: checked };
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      return { kind: 'error', error: errorCode(err.error) ?? 'error' };
    }
    if (err instanceof oauth.OperationProcessingError) {
      return {
        kind: 'wrong_issuer',
        reason: query.iss === undefined ? 'issuer_missing' : 'issuer_mismatch',
      };
    }
    throw err;
  }
}

/** The authorization-code grant; `response` is what checkAuthorizationResponse accepted. */
export function exchangeCode(
  opts: TokenEndpoint & {
    response: URLSearchParams;
    redirectUri: string;
    codeVerifier: string | undefined;
  },
): Promise<TokenSet> {
  return grant(
    opts,
    (as, client, auth, o) =>
      oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        opts.response,
        opts.redirectUri,
        opts.codeVerifier ?? oauth.nopkce,
        o,
      ),
    oauth.processAuthorizationCodeResponse,
  );
}

export function refreshGrant(opts: TokenEndpoint & { refreshToken: string }): Promise<TokenSet> {
  return grant(
    opts,
    (as, client, auth, o) => oauth.refreshTokenGrantRequest(as, client, auth, opts.refreshToken, o),
    oauth.processRefreshTokenResponse,
  );
}
