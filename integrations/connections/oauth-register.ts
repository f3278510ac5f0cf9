// RFC 7591 dynamic client registration on oauth4webapi. Remote MCP servers (Sentry's) have no
// OAuth applications an administrator could create: each client registers itself, and the MCP
// authorization spec tells clients to. Like the token requests, errors keep the provider's HTTP
// status and error code but never its response body.
import * as oauth from 'oauth4webapi';
import { ConnectionError } from './errors.js';
import type { ClientAuth } from './oauth-http.js';
import { requestOptions, server, unreachable } from './oauth-http.js';
import { errorCode } from './oauth-quirks.js';

/** How a registered client authenticates at the token endpoint; `none`: PKCE alone. */
export type RegisteredAuth = ClientAuth | 'none';

const SUPPORTED_AUTH: readonly string[] = ['none', 'client_secret_post', 'client_secret_basic'];

/** What the provider issued. */
export interface ClientRegistration {
  clientId: string;
  tokenAuth: RegisteredAuth;
  /** Only for a confidential client (tokenAuth other than `none`). */
  clientSecret?: string;
  /** Undefined when the secret does not expire (`client_secret_expires_at` 0 or absent). */
  secretExpiresAt?: Date;
  /** RFC 7592 client management; kept for a later update or deletion of the registration. */
  registrationAccessToken?: string;
  registrationClientUri?: string;
}

/** Thrown when the registration endpoint refuses or answers something unusable. */
export class RegistrationError extends ConnectionError {
  override readonly name = 'RegistrationError';
  constructor(
    readonly httpStatus: number,
    readonly oauthError: string | undefined,
    message: string,
  ) {
    super('dynamiq.connections.registration_failed', message);
  }
}

export interface RegistrationRequest {
  registrationUrl: string;
  redirectUri: string;
  scopes: readonly string[];
  tokenAuth: RegisteredAuth;
  /** The integration's name, for messages. */
  providerName: string;
  /** Appended to every refusal: the other way to get a client (an administrator's). */
  alternative: string;
}

/** Registers Dynamiq as an authorization-code client with refresh tokens. */
export async function registerClient(req: RegistrationRequest): Promise<ClientRegistration> {
  const url = req.registrationUrl;
  const metadata = {
    client_name: 'Dynamiq',
    redirect_uris: [req.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: req.tokenAuth,
    ...(req.scopes.length ? { scope: req.scopes.join(' ') } : {}),
  };
  let res: Response;
  try {
    res = await oauth.dynamicClientRegistrationRequest(
      server({ registrationUrl: url }),
      metadata,
      requestOptions(url),
    );
  } catch (err) {
    throw unreachable('registration endpoint', url, err);
  }
  try {
    return registrationOf(await oauth.processDynamicClientRegistrationResponse(res), req, res);
  } catch (err) {
    throw registrationError(err, res.status, req);
  } finally {
    await res.body?.cancel().catch(() => {});
  }
}

function refused(req: RegistrationRequest, status: number, code: string | undefined) {
  // The redirect URI is built on PUBLIC_URL, the one part of the request an operator controls.
  const fix =
    code === 'invalid_redirect_uri'
      ? ` It must accept the redirect URI ${req.redirectUri}: check PUBLIC_URL.`
      : '';
  return new RegistrationError(
    status,
    code,
    `${req.providerName} refused to register Dynamiq as an OAuth client ` +
      `(HTTP ${status}${code ? `, ${code}` : ''}).${fix} ${req.alternative}`,
  );
}

function unusable(req: RegistrationRequest, status: number, what: string) {
  return new RegistrationError(
    status,
    undefined,
    `${req.providerName} registered an OAuth client Dynamiq cannot use (${what}). ${req.alternative}`,
  );
}

function registrationError(err: unknown, status: number, req: RegistrationRequest) {
  if (err instanceof ConnectionError) return err;
  if (err instanceof oauth.ResponseBodyError) return refused(req, err.status, errorCode(err.error));
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    return refused(req, err.status, errorCode(err.cause[0]?.parameters.error));
  }
  if (err instanceof oauth.OperationProcessingError && err.code === oauth.RESPONSE_IS_NOT_CONFORM) {
    // RFC 7591 §3.2.1 answers 201; another success status is a provider to report, not a refusal.
    if (status >= 200 && status < 300) return unusable(req, status, `HTTP ${status}, not 201`);
    return refused(req, status, undefined);
  }
  return unusable(req, status, 'malformed registration response');
}

// The library checks client_id and the secret's types; what the client is then used for is
// checked here, since a server may register other metadata than was asked for (RFC 7591 §3.2.1).
function registrationOf(
  client: Awaited<ReturnType<typeof oauth.processDynamicClientRegistrationResponse>>,
  req: RegistrationRequest,
  res: Response,
): ClientRegistration {
  const method = client.token_endpoint_auth_method ?? req.tokenAuth;
  if (typeof method !== 'string' || !SUPPORTED_AUTH.includes(method)) {
    const named = errorCode(method);
    return fail(`token_endpoint_auth_method ${named ?? 'unknown'}`);
  }
  const tokenAuth = method as RegisteredAuth;
  const secret = typeof client.client_secret === 'string' ? client.client_secret : undefined;
  if (tokenAuth !== 'none' && !secret) return fail(`${tokenAuth} without a client_secret`);
  const uris = client.redirect_uris;
  if (uris !== undefined && !(Array.isArray(uris) && uris.includes(req.redirectUri))) {
    return fail('another redirect URI than the one sent');
  }
  const expiresAt = client.client_secret_expires_at;
  const token = client.registration_access_token;
  const uri = client.registration_client_uri;
  return {
    clientId: client.client_id,
    tokenAuth,
    // A public client never presents a secret, even one the provider sent anyway.
    ...(tokenAuth !== 'none' && secret ? { clientSecret: secret } : {}),
    ...(tokenAuth !== 'none' && typeof expiresAt === 'number' && expiresAt > 0
      ? { secretExpiresAt: new Date(expiresAt * 1000) }
      : {}),
    ...(typeof token === 'string' && token ? { registrationAccessToken: token } : {}),
    ...(typeof uri === 'string' && uri ? { registrationClientUri: uri } : {}),
  };

  function fail(what: string): never {
    throw unusable(req, res.status, what);
  }
}
