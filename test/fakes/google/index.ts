import { generateKeyPairSync, randomBytes, randomUUID, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The audience Google requires in a service account's JWT bearer assertion. */
const TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

export interface FakeGoogleOptions {
  /** Which service account may impersonate which: target email → allowed source emails. */
  impersonation?: Record<string, string[]>;
}

export interface IssuedGoogleToken {
  token: string;
  serviceAccount: string;
  scopes: string[];
  expiresAt: Date;
  via: 'jwt-bearer' | 'impersonation';
}

export interface FakeGoogle {
  /** Token endpoint (what `tokenUrl` should point at). */
  tokenUrl: string;
  /** Base URL of the IAM Credentials API and of Cloud Resource Manager. */
  url: string;
  issued: Map<string, IssuedGoogleToken>;
  /** Resource-manager calls that presented a valid token: whose token it was. */
  apiCalls: Array<{ path: string; serviceAccount: string }>;
  refusals: Array<{ path: string; error: string }>;
  /** A new service-account key file whose public half the fake trusts. */
  newServiceAccountKey(email: string, projectId?: string): ServiceAccountKeyFile;
  close(): Promise<void>;
}

export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super(JSON.stringify(body));
  }
}

/**
 * A local Google: the OAuth token endpoint (JWT bearer grant, RS256 assertion checked against
 * the keys it made), IAM Credentials `generateAccessToken`, and Cloud Resource Manager's
 * `GET /v1/projects/{id}`, which answers only to tokens it issued, so a test sees which
 * service account a client in a sandbox acted as.
 */
export async function startFakeGoogle(opts: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  // Like Google, keys are found by the assertion's issuer; the library sends no key id.
  const keys = new Map<string, KeyObject[]>();
  const issued = new Map<string, IssuedGoogleToken>();
  const apiCalls: FakeGoogle['apiCalls'] = [];
  const refusals: FakeGoogle['refusals'] = [];

  const issue = (
    serviceAccount: string,
    scopes: string[],
    seconds: number,
    via: IssuedGoogleToken['via'],
  ) => {
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    const entry = {
      token,
      serviceAccount,
      scopes,
      expiresAt: new Date(Date.now() + seconds * 1000),
      via,
    };
    issued.set(token, entry);
    return entry;
  };

  const bearer = (req: http.IncomingMessage): IssuedGoogleToken => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const entry = token ? issued.get(token) : undefined;
    if (!entry || entry.expiresAt.getTime() < Date.now()) {
      throw new Refusal(401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials.',
          status: 'UNAUTHENTICATED',
        },
      });
    }
    return entry;
  };

  function jwtBearer(form: URLSearchParams) {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      throw new Refusal(400, {
        error: 'unsupported_grant_type',
        error_description: 'Invalid grant_type',
      });
    }
    const [h, p, s] = (form.get('assertion') ?? '').split('.');
    const invalid = (why: string) =>
      new Refusal(400, { error: 'invalid_grant', error_description: why });
    if (!h || !p || !s) throw invalid('Invalid JWT: malformed');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as {
      alg?: string;
      kid?: string;
    };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
      iss?: string;
      aud?: string;
      scope?: string;
      exp?: number;
      iat?: number;
    };
    const signed = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const trusted = (keys.get(claims.iss ?? '') ?? []).some((k) =>
      verify('RSA-SHA256', signed, k, signature),
    );
    if (header.alg !== 'RS256' || !trusted) throw invalid('Invalid JWT Signature.');
    const now = Date.now() / 1000;
    if (claims.aud !== TOKEN_AUDIENCE) throw invalid('Invalid JWT: wrong audience');
    if (!claims.exp || claims.exp < now || claims.exp - (claims.iat ?? 0) > 3600)
      throw invalid('Invalid JWT: Token must be a short-lived token');
    const entry = issue(
      claims.iss!,
      (claims.scope ?? '').split(' ').filter(Boolean),
      3599,
      'jwt-bearer',
    );
    return { access_token: entry.token, expires_in: 3599, token_type: 'Bearer' };
  }

  function generateAccessToken(req: http.IncomingMessage, target: string, body: string) {
    const caller = bearer(req);
    if (!(opts.impersonation?.[target] ?? []).includes(caller.serviceAccount)) {
      throw new Refusal(403, {
        error: {
          code: 403,
          message: "Permission 'iam.serviceAccounts.getAccessToken' denied",
          status: 'PERMISSION_DENIED',
        },
      });
    }
    const request = JSON.parse(body || '{}') as { scope?: string[]; lifetime?: string };
    const lifetime = Number(/^(\d+)s$/.exec(request.lifetime ?? '3600s')?.[1] ?? NaN);
    if (!(lifetime > 0 && lifetime <= 3600)) {
      throw new Refusal(400, {
        error: { code: 400, message: 'lifetime must be at most 3600s', status: 'INVALID_ARGUMENT' },
      });
    }
    const entry = issue(target, request.scope ?? [], lifetime, 'impersonation');
    return { accessToken: entry.token, expireTime: entry.expiresAt.toISOString() };
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const send = (status: number, value: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      try {
        const impersonate =
          /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path);
        const project = /^\/v1\/projects\/([^/:]+)$/.exec(path);
        if (req.method === 'POST' && path === '/token')
          return send(200, jwtBearer(new URLSearchParams(body)));
        if (req.method === 'POST' && impersonate) {
          return send(200, generateAccessToken(req, decodeURIComponent(impersonate[1]!), body));
        }
        if (req.method === 'GET' && project) {
          const caller = bearer(req);
          apiCalls.push({ path, serviceAccount: caller.serviceAccount });
          return send(200, {
            projectId: project[1],
            projectNumber: '123456789012',
            name: project[1],
            lifecycleState: 'ACTIVE',
          });
        }
        throw new Refusal(404, {
          error: { code: 404, message: `No route ${req.method} ${path}`, status: 'NOT_FOUND' },
        });
      } catch (err) {
        const refusal =
          err instanceof Refusal
            ? err
            : new Refusal(500, { error: { code: 500, message: String(err) } });
        refusals.push({ path, error: refusal.message });
        send(refusal.status, refusal.body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/token`,
    issued,
    apiCalls,
    refusals,
    newServiceAccountKey(email, projectId = 'dynamiq-test') {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = randomUUID().replaceAll('-', '');
      keys.set(email, [...(keys.get(email) ?? []), publicKey]);
      return {
        type: 'service_account',
        project_id: projectId,
        private_key_id: kid,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: String(Math.floor(Math.random() * 1e15)),
        token_uri: TOKEN_AUDIENCE,
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
