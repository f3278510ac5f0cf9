// RFC 7591 registration on oauth4webapi, against the local fake provider and against answers a
// real provider could give that Dynamiq cannot use: what is sent, what is kept, what errors say.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuthProvider } from '../../test/fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../../test/fakes/oauth/provider.js';
import { ConnectionError } from './errors.js';
import { RegistrationError, registerClient } from './oauth-register.js';
import type { RegistrationRequest } from './oauth-register.js';

const REDIRECT = 'http://127.0.0.1:9/api/integrations/oauth/callback';
let fake: FakeOAuthProvider;
let crafted: http.Server;
let craftedUrl: string;
/** What the crafted endpoint answers next: status and JSON body. */
let answer: [number, unknown] = [201, {}];

beforeAll(async () => {
  fake = await startFakeOAuthProvider({ registrationAccessTokens: true });
  crafted = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer[0], { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer[1]));
    });
  });
  await new Promise<void>((resolve) => crafted.listen(0, '127.0.0.1', resolve));
  craftedUrl = `http://127.0.0.1:${(crafted.address() as AddressInfo).port}/register`;
});

afterAll(async () => {
  await fake.close();
  crafted.closeAllConnections();
  await new Promise((resolve) => crafted.close(resolve));
});

const request = (over: Partial<RegistrationRequest> = {}): RegistrationRequest => ({
  registrationUrl: fake.registrationUrl,
  redirectUri: REDIRECT,
  scopes: [],
  tokenAuth: 'none',
  providerName: 'Sentry',
  alternative: 'Or set OAUTH_SENTRY_CLIENT_ID.',
  ...over,
});

async function refusal(over: Partial<RegistrationRequest>): Promise<RegistrationError> {
  const err = await registerClient(request(over)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RegistrationError);
  return err as RegistrationError;
}

describe('registerClient', () => {
  it('registers a public client: no secret kept, the catalog scope sent', async () => {
    const got = await registerClient(request({ scopes: ['org:read', 'project:read'] }));
    expect(got).toEqual({
      clientId: expect.stringMatching(/^dcr_/),
      tokenAuth: 'none',
      registrationAccessToken: expect.stringMatching(/^reg_/),
      registrationClientUri: expect.stringContaining('/register/'),
    });
    expect(fake.registeredClients().at(-1)!.metadata).toMatchObject({
      client_name: 'Dynamiq',
      scope: 'org:read project:read',
      token_endpoint_auth_method: 'none',
    });
  });

  it('keeps the secret of a confidential client', async () => {
    const got = await registerClient(request({ tokenAuth: 'client_secret_basic' }));
    expect(got).toMatchObject({
      tokenAuth: 'client_secret_basic',
      clientSecret: fake.registeredClients().at(-1)!.clientSecret,
    });
    expect(got.secretExpiresAt).toBeUndefined();
  });

  it('reports a refusal by status and code, never the description, with the fix', async () => {
    fake.forceRegistrationError('invalid_redirect_uri');
    try {
      const err = await refusal({});
      expect(err).toMatchObject({
        code: 'dynamiq.connections.registration_failed',
        status: 502,
        httpStatus: 400,
        oauthError: 'invalid_redirect_uri',
      });
      expect(err.message).toBe(
        'Sentry refused to register Dynamiq as an OAuth client (HTTP 400, invalid_redirect_uri). ' +
          `It must accept the redirect URI ${REDIRECT}: check PUBLIC_URL. Or set OAUTH_SENTRY_CLIENT_ID.`,
      );
    } finally {
      fake.forceRegistrationError(undefined);
    }
  });

  it('refuses answers it cannot use', async () => {
    const cases: Array<[[number, unknown], RegExp]> = [
      [
        [201, { client_id: 'c', redirect_uris: ['https://elsewhere.example/cb'] }],
        /another redirect URI/,
      ],
      [[201, { client_id: 'c', token_endpoint_auth_method: 'private_key_jwt' }], /private_key_jwt/],
      [
        [201, { client_id: 'c', token_endpoint_auth_method: 'client_secret_post' }],
        /without a client_secret/,
      ],
      [[201, { client_secret: 'never-shown-9f2' }], /malformed registration response/],
      [[200, { client_id: 'c' }], /cannot use \(HTTP 200, not 201\)/],
      [[503, { error: 'temporarily_unavailable', error_description: 'x' }], /\(HTTP 503\)/],
    ];
    for (const [reply, message] of cases) {
      answer = reply;
      const err = await refusal({ registrationUrl: craftedUrl });
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('never-shown');
    }
  });

  it('uses the expiry the provider gives a secret', async () => {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    answer = [
      201,
      {
        client_id: 'c',
        client_secret: 's',
        client_secret_expires_at: expires,
        redirect_uris: [REDIRECT],
      },
    ];
    const got = await registerClient(
      request({ registrationUrl: craftedUrl, tokenAuth: 'client_secret_post' }),
    );
    expect(got).toEqual({
      clientId: 'c',
      tokenAuth: 'client_secret_post',
      clientSecret: 's',
      secretExpiresAt: new Date(expires * 1000),
    });
  });

  it('needs https off this machine, and says when the provider cannot be reached', async () => {
    const plain = await registerClient(
      request({ registrationUrl: 'http://mcp.example/register' }),
    ).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(ConnectionError);
    expect((plain as ConnectionError).message).toMatch(/must use https/);
    const down = await registerClient(
      request({ registrationUrl: 'http://127.0.0.1:9/register' }),
    ).catch((e: unknown) => e);
    expect((down as ConnectionError).code).toBe('dynamiq.connections.provider_error');
    expect((down as ConnectionError).message).toMatch(/registration endpoint could not be reached/);
  });
});
