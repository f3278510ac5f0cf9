// What every request to a provider's OAuth endpoints shares, on oauth4webapi: the authorization
// server and client as the library describes them, client authentication, the timeout, which
// plain-http hosts are allowed, and errors for a provider that cannot be reached.
import * as oauth from 'oauth4webapi';
import type { OAuthEndpoints } from '../schema.js';
import type { OAuthClient } from './clients.js';
import { ConnectionError } from './errors.js';

/** Provider requests give up after this long, in milliseconds. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** How the client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1). */
export type ClientAuth = NonNullable<OAuthEndpoints['tokenAuth']>;

/** Replaces `{client_id}` (GitHub's revocation URL names the app). */
export const fillClientId = (url: string, client: OAuthClient) =>
  url.replaceAll('{client_id}', encodeURIComponent(client.clientId));

// Only RFC 9207 (and ID tokens, which Dynamiq never asks for) read the issuer; an entry that
// declares none gets a name no provider sends, and its callbacks' `iss` is not passed on.
const UNDECLARED_ISSUER = 'urn:dynamiq:issuer-not-declared';

export const server = (s: {
  issuer?: string;
  issRequired?: boolean;
  tokenUrl?: string;
  revokeUrl?: string;
  registrationUrl?: string;
}): oauth.AuthorizationServer => ({
  issuer: s.issuer ?? UNDECLARED_ISSUER,
  token_endpoint: s.tokenUrl,
  revocation_endpoint: s.revokeUrl,
  registration_endpoint: s.registrationUrl,
  authorization_response_iss_parameter_supported: s.issRequired === true,
});

export const clientOf = (client: OAuthClient): oauth.Client => ({ client_id: client.clientId });

export function clientAuthentication(client: OAuthClient, method: ClientAuth): oauth.ClientAuth {
  // A public client has no secret and proves itself with PKCE alone.
  if (!client.clientSecret) return oauth.None();
  return method === 'client_secret_basic'
    ? oauth.ClientSecretBasic(client.clientSecret)
    : oauth.ClientSecretPost(client.clientSecret);
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Plain http is allowed only to this machine: local fakes, or a provider beside Dynamiq. */
export function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && LOOPBACK.has(hostname);
}

export const requestOptions = (url: string) => ({
  signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
  [oauth.allowInsecureRequests]: isLoopbackHttp(url),
});

export const httpsRequired = (what: string, url: string) =>
  new ConnectionError(
    'dynamiq.connections.provider_error',
    `The provider's ${what} ${new URL(url).origin} must use https ` +
      '(plain http is allowed only on 127.0.0.1, ::1 or localhost).',
  );

export function unreachable(what: string, url: string, err: unknown): ConnectionError {
  if (err instanceof oauth.OperationProcessingError && err.code === oauth.HTTP_REQUEST_FORBIDDEN) {
    return httpsRequired(what, url);
  }
  return new ConnectionError(
    'dynamiq.connections.provider_error',
    `The provider's ${what} could not be reached (${(err as Error).name}).`,
  );
}
