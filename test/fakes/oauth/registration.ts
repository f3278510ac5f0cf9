// The fake provider's RFC 7591 registration endpoint: POST /register takes the client metadata
// as JSON and answers 201 with a new client_id, a secret unless the client registered as public
// (`none`), and the metadata as registered; bad metadata gets a 400 with an RFC 7591 §3.2.2 code.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

export type TokenAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

/** A client that registered itself at POST /register. */
export interface RegisteredClient {
  clientId: string;
  clientSecret: string | undefined;
  tokenAuth: TokenAuthMethod;
  redirectUris: string[];
  /** The metadata as registered (and echoed in the answer). */
  metadata: Record<string, unknown>;
  registrationAccessToken: string | undefined;
  /** Grant types (and `revoke`) this client used at the token and revocation endpoints. */
  used: string[];
}

const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;
const METHODS: readonly string[] = ['none', 'client_secret_post', 'client_secret_basic'];
const LOOPBACK: readonly string[] = ['127.0.0.1', '[::1]', 'localhost'];

// Redirect URIs as OAuth 2.1 allows them: https, or http on this machine; never a fragment.
function redirectOk(u: unknown): boolean {
  if (typeof u !== 'string' || !URL.canParse(u)) return false;
  const url = new URL(u);
  const local = url.protocol === 'http:' && LOOPBACK.includes(url.hostname);
  return !url.hash && (url.protocol === 'https:' || local);
}

const strings = (v: unknown, fallback: string[]): string[] | undefined =>
  v === undefined
    ? fallback
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? v
      : undefined;

/** The RFC 7591 §3.2.2 error code for unacceptable metadata, if any. */
function problemWith(m: Record<string, unknown>): string | undefined {
  const uris = m.redirect_uris;
  if (!Array.isArray(uris) || !uris.length || !uris.every(redirectOk)) {
    return 'invalid_redirect_uri';
  }
  const grantTypes = strings(m.grant_types, ['authorization_code']);
  const responseTypes = strings(m.response_types, ['code']);
  const grantsOk = grantTypes?.every((g) => g === 'authorization_code' || g === 'refresh_token');
  if (!grantTypes || !responseTypes || !grantsOk || !responseTypes.every((r) => r === 'code')) {
    return 'invalid_client_metadata';
  }
  // RFC 7591 §2.1: the code grant and the code response type come together.
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    return 'invalid_client_metadata';
  }
  const method = m.token_endpoint_auth_method;
  if (method !== undefined && !METHODS.includes(method as string)) return 'invalid_client_metadata';
  if (m.scope !== undefined && typeof m.scope !== 'string') return 'invalid_client_metadata';
  return undefined;
}

function parseMetadata(
  req: http.IncomingMessage,
  raw: string,
): Record<string, unknown> | undefined {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return undefined;
  try {
    const body: unknown = JSON.parse(raw);
    return typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function startRegistrar(opts: { delayMs?: number; accessTokens?: boolean }) {
  const clients = new Map<string, RegisteredClient>();
  let forced: [status: number, error: string] | undefined;

  const send = (res: http.ServerResponse, status: number, body: object) => {
    // RFC 7591 §3.2.1: the answer may hold a secret, so no cache may keep it.
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
    });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, error: string, status = 400) =>
    send(res, status, { error, error_description: `fake provider: ${error}` });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    if (forced) return fail(res, forced[1], forced[0]);
    const m = parseMetadata(req, raw);
    if (!m) return fail(res, 'invalid_client_metadata');
    const problem = problemWith(m);
    if (problem) return fail(res, problem);

    // RFC 7591 §2: a client that names no method is client_secret_basic.
    const tokenAuth = (m.token_endpoint_auth_method ?? 'client_secret_basic') as TokenAuthMethod;
    const clientId = token('dcr');
    const clientSecret = tokenAuth === 'none' ? undefined : token('dcr_secret');
    const accessToken = opts.accessTokens ? token('reg') : undefined;
    const metadata = {
      ...m,
      grant_types: m.grant_types ?? ['authorization_code'],
      response_types: m.response_types ?? ['code'],
      token_endpoint_auth_method: tokenAuth,
    };
    clients.set(clientId, {
      clientId,
      clientSecret,
      tokenAuth,
      redirectUris: m.redirect_uris as string[],
      metadata,
      registrationAccessToken: accessToken,
      used: [],
    });
    send(res, 201, {
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
      ...(accessToken
        ? {
            registration_access_token: accessToken,
            registration_client_uri: `http://${req.headers.host}/register/${clientId}`,
          }
        : {}),
      ...metadata,
    });
  }

  return {
    /** By client id, in registration order. */
    clients: clients as ReadonlyMap<string, RegisteredClient>,
    handle,
    /** Refuse every registration with this error (and status); undefined restores it. */
    force(error: string | undefined, status = 400) {
      forced = error ? [status, error] : undefined;
    },
  };
}
