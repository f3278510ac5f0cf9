// Real providers' departures from the RFCs, through the product's routes on a real database:
// RFC 9207 `iss` checked against the catalog's issuer (a mix-up refused before any code is
// exchanged), and GitHub's token endpoint (errors with HTTP 200, comma-separated scopes, tokens
// that never expire) and revocation (DELETE with the app's credentials).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../integrations/index.js';
import type { Integration } from '../../integrations/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

const ISSUER = 'https://login.fake-provider.example';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let provider: FakeOAuthProvider;
let github: FakeOAuthProvider;
let server: IntegrationsServer;

/** The catalog entry with its endpoints on `p` (not overridden: the entry itself names them). */
function pointedAt(
  id: string,
  p: FakeOAuthProvider,
  oauth: Partial<NonNullable<Integration['oauth']>> = {},
): Integration {
  const entry = catalog.find((i) => i.id === id)!;
  return {
    ...entry,
    apiBaseUrl: p.endpoints.apiBaseUrl,
    oauth: {
      ...entry.oauth!,
      authorizeUrl: p.endpoints.authorizeUrl,
      tokenUrl: p.endpoints.tokenUrl,
      revokeUrl: p.endpoints.revokeUrl,
      ...oauth,
    },
  };
}

beforeAll(async () => {
  db = await freshDatabase();
  provider = await startFakeOAuthProvider({ issuer: ISSUER, login: 'iss-user' });
  github = await startFakeOAuthProvider({ dialect: 'github', expiring: false, login: 'octo' });
  const env: Record<string, string> = {};
  for (const [id, p] of [
    ['gitlab', provider],
    ['canva', provider],
    ['github', github],
  ] as const) {
    env[`OAUTH_${id.toUpperCase()}_CLIENT_ID`] = p.clientId;
    env[`OAUTH_${id.toUpperCase()}_CLIENT_SECRET`] = p.clientSecret;
  }
  server = await startIntegrationsServer({
    database: db.database,
    env,
    integrations: [
      // gitlab declares an issuer that is always sent; canva's entry declares none.
      pointedAt('gitlab', provider, { issuer: ISSUER, issRequired: true }),
      pointedAt('canva', provider),
      catalog.find((i) => i.id === 'github')!,
    ],
    endpointOverrides: {
      // As for GitHub Enterprise: another server than the catalog's, so its issuer is unknown.
      github: {
        ...github.endpoints,
        revokeUrl: github.endpoints.revokeUrl.replace(
          /\/revoke$/,
          '/applications/{client_id}/token',
        ),
      },
    },
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await github?.close();
  await db?.drop();
});

const prisma = () => db.database.prisma;
const rows = (integrationId: string) => prisma().connection.count({ where: { integrationId } });
function withIss(callbackUrl: string, iss: string | undefined) {
  const url = new URL(callbackUrl);
  if (iss === undefined) url.searchParams.delete('iss');
  else url.searchParams.set('iss', iss);
  return url.toString();
}

describe('RFC 9207 iss', () => {
  it('connects when iss names the declared issuer', async () => {
    const flow = await server.authorize('gitlab');
    expect(new URL(flow.callbackUrl).searchParams.get('iss')).toBe(ISSUER);
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    expect(await rows('gitlab')).toBe(1);
    await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
  });

  it.each([
    ['another issuer', 'https://evil.example', 'issuer_mismatch', /names another server/],
    ['no iss where the entry requires it', undefined, 'issuer_missing', /is missing/],
  ])('refuses %s before exchanging the code, storing nothing', async (_, iss, reason, text) => {
    const flow = await server.authorize('gitlab');
    const exchanges = provider.stats.codeExchanges;
    const res = await server.callback(withIss(flow.callbackUrl, iss), flow.cookie);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('dynamiq.connections.invalid_state');
    expect(error.message).toMatch(text);
    expect(provider.stats.codeExchanges).toBe(exchanges);
    expect(await rows('gitlab')).toBe(0);
    const audit = await prisma().auditEvent.findFirst({
      where: { action: 'connection.connect_failed' },
      orderBy: { at: 'desc' },
    });
    expect(audit).toMatchObject({ target: 'gitlab', outcome: 'refused', detail: { reason } });
    // The state was spent on the refused response: a second try needs a new flow.
    const retry = await server.callback(withIss(flow.callbackUrl, ISSUER), flow.cookie);
    expect(retry.status).toBe(400);
  });

  it('does not check iss for an entry that declares no issuer', async () => {
    const flow = await server.authorize('canva');
    const res = await server.callback(
      withIss(flow.callbackUrl, 'https://other.example'),
      flow.cookie,
    );
    expect(res.status).toBe(302);
    expect(await rows('canva')).toBe(1);
  });

  it("does not apply the catalog's issuer to an overridden server (GitHub Enterprise)", async () => {
    const flow = await server.authorize('github');
    const res = await server.callback(
      withIss(flow.callbackUrl, 'https://ghe.example/login/oauth'),
      flow.cookie,
    );
    expect(res.status).toBe(302);
    await server.api('/api/integrations/github/disconnect', { method: 'DELETE' });
  });
});

describe('GitHub', () => {
  it('stores a token that never expires with the scopes GitHub lists with commas', async () => {
    const flow = await server.authorize('github');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    const res = await server.api('/api/integrations/github');
    const { integration } = (await res.json()) as { integration: Record<string, unknown> };
    expect(integration).toMatchObject({
      status: 'connected',
      connection: {
        accountLabel: 'octo',
        scopes: ['repo', 'read:org', 'workflow', 'gist', 'read:user', 'user:email'],
        expiresAt: null,
      },
    });
    const token = await server.connections.getAccessToken(server.admin.id, 'github');
    expect(token).toEqual({ accessToken: expect.stringMatching(/^gho_/), expiresAt: null });

    const out = await server.api('/api/integrations/github/disconnect', { method: 'DELETE' });
    expect(await out.json()).toEqual({ integrationId: 'github', revoked: true });
    expect(github.revocations.at(-1)).toEqual({ token: token.accessToken, hint: 'github' });
  });

  it('refuses a replayed code that GitHub answers with HTTP 200 and an error, storing nothing', async () => {
    const flow = await server.authorize('github');
    const code = new URL(flow.callbackUrl).searchParams.get('code')!;
    // Something else spends the code first (a replayed redirect, a prefetching proxy).
    const spend = await fetch(github.endpoints.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        client_id: github.clientId,
        client_secret: github.clientSecret,
        redirect_uri: `${server.url}/api/integrations/oauth/callback`,
      }),
    });
    expect(spend.status).toBe(200);
    const res = await server.callback(flow.callbackUrl, flow.cookie);
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(body).toMatch(/HTTP 200, bad_verification_code/);
    expect(body).not.toContain(code);
    expect(await rows('github')).toBe(0);
  });
});
