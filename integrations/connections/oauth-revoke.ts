// Revocation (RFC 7009) on oauth4webapi, and the providers whose revocation is something else.
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './clients.js';
import type { ClientAuth } from './oauth-http.js';
import {
  PROVIDER_TIMEOUT_MS,
  clientAuthentication,
  clientOf,
  fillClientId,
  httpsRequired,
  isLoopbackHttp,
  requestOptions,
  server,
  unreachable,
} from './oauth-http.js';
import type { Dialect } from './oauth-quirks.js';
import { errorCode, failureIn200, revokeAtGitHub } from './oauth-quirks.js';

export interface Revocation {
  revoked: boolean;
  status: number;
  /** The provider's error code, when it gave one. */
  error?: string;
}

/**
 * Revokes the grant: an RFC 7009 request for the refresh token where there is one (revoking it
 * ends its access tokens too), else the access token. Slack's auth.revoke takes only the access
 * token; GitHub has its own call (see revokeAtGitHub). Throws only when the provider cannot be
 * reached.
 */
export async function revokeToken(opts: {
  revokeUrl: string;
  client: OAuthClient;
  auth: ClientAuth;
  accessToken: string;
  refreshToken: string | undefined;
  dialect?: Dialect;
}): Promise<Revocation> {
  const url = fillClientId(opts.revokeUrl, opts.client);
  if (opts.dialect === 'github') {
    const { clientId, clientSecret } = opts.client;
    // GitHub authenticates the app with its secret; a public client cannot revoke there.
    if (!clientSecret) return { revoked: false, status: 0, error: 'no_client_secret' };
    if (!url.startsWith('https://') && !isLoopbackHttp(url)) {
      throw httpsRequired('revocation endpoint', url);
    }
    const signal = AbortSignal.timeout(PROVIDER_TIMEOUT_MS);
    const { accessToken } = opts;
    const status = await revokeAtGitHub({ url, clientId, clientSecret, accessToken, signal }).catch(
      (err: unknown) => {
        throw unreachable('revocation endpoint', url, err);
      },
    );
    return { revoked: status === 204, status };
  }
  const [token, hint] =
    opts.refreshToken && opts.dialect !== 'slack'
      ? [opts.refreshToken, 'refresh_token']
      : [opts.accessToken, 'access_token'];
  let res: Response;
  try {
    res = await oauth.revocationRequest(
      server({ revokeUrl: url }),
      clientOf(opts.client),
      clientAuthentication(opts.client, opts.auth),
      token,
      { ...requestOptions(url), additionalParameters: { token_type_hint: hint } },
    );
  } catch (err) {
    throw unreachable('revocation endpoint', url, err);
  }
  const status = res.status;
  try {
    // RFC 7009 answers 200; some providers answer 204, which means the same.
    if (status === 204) return { revoked: true, status };
    const failure = status === 200 ? await failureIn200(res) : null;
    if (failure) return { revoked: false, status, error: failure };
    await oauth.processRevocationResponse(res);
    return { revoked: true, status };
  } catch (err) {
    const error = err instanceof oauth.ResponseBodyError ? errorCode(err.error) : undefined;
    return { revoked: false, status, ...(error ? { error } : {}) };
  } finally {
    await res.body?.cancel().catch(() => {});
  }
}
