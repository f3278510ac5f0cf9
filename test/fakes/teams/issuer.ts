import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** The issuer Bot Framework puts in the tokens it sends to bots. */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

export interface FakeIssuerOptions {
  /** The bot's app registration: the token endpoint accepts only this client. */
  appId: string;
  appPassword: string;
}

export interface TokenRequest {
  at: number;
  form: Record<string, string>;
  ok: boolean;
}

export interface SignOptions {
  /** `aud`; default the bot's app id. */
  audience?: string;
  /** `iss`; default https://api.botframework.com. */
  issuer?: string;
  /** The `serviceurl` claim: where the bot must answer. */
  serviceUrl: string;
  /** Seconds from now until `exp`; negative for an expired token. Default 3600. */
  expiresInSec?: number;
  /** Signs with a key the JWKS does not list. */
  unknownKey?: boolean;
}

/**
 * A local stand-in for Bot Framework's token services, speaking their real wire formats:
 * - the channel's OpenID metadata (`/v1/.well-known/openidconfiguration`) and its JWKS
 *   (`/v1/.well-known/keys`, RSA keys with `endorsements: ["msteams"]`), and `sign()` to make the
 *   JWTs Teams sends to a bot (RS256, iss https://api.botframework.com, aud = app id,
 *   `serviceurl` claim);
 * - the Entra ID v2 token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials)
 *   the bot calls for its outgoing token, answering with a JWT the fake connector checks.
 * `setAvailable(false)` makes the metadata and keys answer 503 (Microsoft unreachable).
 */
export async function startFakeIssuer(opts: FakeIssuerOptions) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const rogue = await generateKeyPair('RS256');
  const kid = `fake-${randomUUID().slice(0, 8)}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const tokenRequests: TokenRequest[] = [];
  const issued = new Set<string>();
  let available = true;
  let metadataFetches = 0;

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      void handle(req, res, raw).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && url.pathname === '/v1/.well-known/openidconfiguration') {
      metadataFetches++;
      if (!available) return json(res, 503, { error: 'unavailable' });
      return json(res, 200, {
        issuer: BOT_FRAMEWORK_ISSUER,
        authorization_endpoint: `${base}/v1/.well-known/authorize`,
        jwks_uri: `${base}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/v1/.well-known/keys') {
      if (!available) return json(res, 503, { error: 'unavailable' });
      return json(res, 200, { keys: [{ ...jwk, endorsements: ['msteams'] }] });
    }
    if (req.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname)) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      const ok =
        form.grant_type === 'client_credentials' &&
        form.client_id === opts.appId &&
        form.client_secret === opts.appPassword &&
        form.scope === 'https://api.botframework.com/.default';
      tokenRequests.push({ at: performance.now(), form, ok });
      if (!ok) {
        return json(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      }
      const accessToken = await new SignJWT({ appid: opts.appId })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(`https://sts.windows.net/${randomUUID()}/`)
        .setAudience('https://api.botframework.com')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      issued.add(accessToken);
      return json(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: accessToken,
      });
    }
    json(res, 404, { error: 'not_found', path: url.pathname });
  }

  return {
    base,
    /** MICROSOFT_OPENID_METADATA_URL */
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    /** MICROSOFT_EMULATOR_OPENID_METADATA_URL (nothing is served there: emulator tokens are refused). */
    emulatorOpenIdMetadataUrl: `${base}/emulator/.well-known/openid-configuration`,
    /** MICROSOFT_TOKEN_URL */
    tokenUrl: `${base}/botframework.com/oauth2/v2.0/token`,
    tokenRequests,
    get metadataFetches() {
      return metadataFetches;
    },
    /** Whether the connector should accept a bot's bearer token: one this endpoint issued. */
    issuedToken(authorization: string | undefined): boolean {
      return Boolean(authorization?.startsWith('Bearer ') && issued.has(authorization.slice(7)));
    },
    setAvailable(value: boolean) {
      available = value;
    },
    /** A Bot Framework JWT as Teams sends it to the bot, `Bearer …` ready for the header. */
    async sign(o: SignOptions): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      const key: CryptoKey = o.unknownKey ? rogue.privateKey : privateKey;
      const token = await new SignJWT({ serviceurl: o.serviceUrl })
        .setProtectedHeader({ alg: 'RS256', kid: o.unknownKey ? 'unknown-kid' : kid, typ: 'JWT' })
        .setIssuer(o.issuer ?? BOT_FRAMEWORK_ISSUER)
        .setAudience(o.audience ?? opts.appId)
        .setIssuedAt(now - 60)
        .setNotBefore(now - 60)
        .setExpirationTime(now + (o.expiresInSec ?? 3600))
        .sign(key);
      return `Bearer ${token}`;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type FakeIssuer = Awaited<ReturnType<typeof startFakeIssuer>>;
