// The OAuth dance end to end: the product's routes on a real PostgreSQL database against a local
// OAuth provider (PKCE S256, client credentials and redirect_uri checked like a real one). GitLab
// is the catalog entry used, with its endpoints pointed at the fake.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';
import { SESSION_COOKIE } from '../../web/server/auth.js';
import { openSession } from '../../web/server/sessions/index.js';

let db: { database: Database; drop: () => Promise<void> };
let provider: FakeOAuthProvider;
let server: IntegrationsServer;

beforeAll(async () => {
  db = await freshDatabase();
  provider = await startFakeOAuthProvider({ login: 'octo-lab' });
  server = await startIntegrationsServer({
    database: db.database,
    env: {
      OAUTH_GITLAB_CLIENT_ID: provider.clientId,
      OAUTH_GITLAB_CLIENT_SECRET: provider.clientSecret,
      OAUTH_GITHUB_CLIENT_ID: provider.clientId,
      OAUTH_GITHUB_CLIENT_SECRET: provider.clientSecret,
    },
    endpointOverrides: {
      gitlab: provider.endpoints,
      // GitHub's revocation URL names the app: /applications/{client_id}/token.
      github: {
        ...provider.endpoints,
        revokeUrl: provider.endpoints.revokeUrl.replace(
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
  await db?.drop();
});

const prisma = () => db.database.prisma;
const connectionRows = () => prisma().connection.count({ where: { integrationId: 'gitlab' } });
const withState = (callbackUrl: string, state: string) => {
  const url = new URL(callbackUrl);
  url.searchParams.set('state', state);
  return url.toString();
};
const stateOf = (callbackUrl: string) => new URL(callbackUrl).searchParams.get('state')!;

async function expectRefused(res: Response, code: string, text: RegExp) {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(`dynamiq.connections.${code}`);
  expect(body.error.message).toMatch(text);
}

describe('OAuth connect', () => {
  it('runs the whole dance with PKCE S256 and stores the connection', async () => {
    const connect = await server.api('/api/integrations/gitlab/connect', { method: 'POST' });
    const { authorizeUrl } = (await connect.json()) as { authorizeUrl: string };
    const sent = new URL(authorizeUrl).searchParams;
    expect(sent.get('code_challenge_method')).toBe('S256');
    expect(sent.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sent.get('redirect_uri')).toBe(`${server.url}/api/integrations/oauth/callback`);
    expect(sent.get('scope')).toBe('api read_user');
    expect(await prisma().oAuthState.count()).toBe(1);
    const stored = await prisma().oAuthState.findFirstOrThrow();
    expect(stored.stateHash).not.toBe(sent.get('state'));
    expect(stored.expiresAt.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(stored.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);

    const flow = await server.authorize('gitlab');
    const back = await server.callback(flow.callbackUrl, flow.cookie);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(`${server.url}/integrations?connected=gitlab`);
    expect(back.headers.get('set-cookie')).toMatch(/dynamiq_oauth_state=;.*Max-Age=0/);
    expect(provider.stats.codeExchanges).toBe(1);
    expect(provider.tokenRequests.at(-1)).toEqual({
      grantType: 'authorization_code',
      clientAuth: 'post',
    });

    const res = await server.api('/api/integrations/gitlab');
    const { integration } = (await res.json()) as { integration: Record<string, unknown> };
    expect(integration).toMatchObject({
      id: 'gitlab',
      status: 'connected',
      connectable: true,
      connection: { accountLabel: 'octo-lab', scopes: ['api', 'read_user'], lastError: null },
    });
    const expiresAt = Date.parse((integration.connection as { expiresAt: string }).expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(3500_000);

    const token = await server.connections.getAccessToken(server.admin.id, 'gitlab');
    expect(provider.issuedTokens()).toContain(token.accessToken);
    const audit = await prisma().auditEvent.findMany({ where: { action: 'connection.connected' } });
    expect(audit).toMatchObject([{ target: 'gitlab', outcome: 'ok', userId: server.admin.id }]);
  });

  it('refuses a reused state without exchanging its code again', async () => {
    const flow = await server.authorize('gitlab');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    const before = await prisma().connection.findFirstOrThrow({
      where: { integrationId: 'gitlab' },
    });
    const exchanges = provider.stats.codeExchanges;

    await expectRefused(
      await server.callback(flow.callbackUrl, flow.cookie),
      'invalid_state',
      /already used/,
    );
    expect(provider.stats.codeExchanges).toBe(exchanges);
    const after = await prisma().connection.findFirstOrThrow({
      where: { integrationId: 'gitlab' },
    });
    expect(after.updatedAt).toEqual(before.updatedAt);
  });

  describe('with no connection yet', () => {
    beforeAll(async () => {
      await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
    });

    it('refuses an unknown state and stores nothing', async () => {
      const flow = await server.authorize('gitlab');
      const forged = 'x'.repeat(43);
      const res = await server.callback(
        withState(flow.callbackUrl, forged),
        `dynamiq_oauth_state=${forged}`,
      );
      await expectRefused(res, 'invalid_state', /unknown/);
      expect(await connectionRows()).toBe(0);
    });

    it('refuses an expired state and stores nothing', async () => {
      const flow = await server.authorize('gitlab');
      await prisma().oAuthState.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
      const exchanges = provider.stats.codeExchanges;
      await expectRefused(
        await server.callback(flow.callbackUrl, flow.cookie),
        'invalid_state',
        /expired/,
      );
      expect(provider.stats.codeExchanges).toBe(exchanges);
      expect(await connectionRows()).toBe(0);
    });

    it('refuses a state whose sealed verifier is missing or tampered with', async () => {
      for (const spoil of [
        () => new Uint8Array(0),
        (v: Uint8Array) => Uint8Array.from(v, (b, i) => (i === v.length - 1 ? b ^ 1 : b)),
      ]) {
        const flow = await server.authorize('gitlab');
        const stateHash = createHash('sha256').update(stateOf(flow.callbackUrl)).digest('hex');
        const row = await prisma().oAuthState.findUniqueOrThrow({ where: { stateHash } });
        await prisma().oAuthState.update({
          where: { stateHash },
          data: { codeVerifier: new Uint8Array(spoil(row.codeVerifier)) },
        });
        const exchanges = provider.stats.codeExchanges;
        const res = await server.callback(flow.callbackUrl, flow.cookie);
        await expectRefused(res, 'invalid_state', /cannot be verified/);
        expect(provider.stats.codeExchanges).toBe(exchanges);
        expect(await connectionRows()).toBe(0);
      }
    });

    it('refuses a state made for another integration', async () => {
      const flow = await server.authorize('gitlab');
      const url = new URL(flow.callbackUrl);
      url.searchParams.set('integration', 'github');
      await expectRefused(
        await server.callback(url.toString(), flow.cookie),
        'invalid_state',
        /another integration/,
      );
      expect(await connectionRows()).toBe(0);
    });

    it('refuses a callback in a browser that did not start the flow, leaving the state usable', async () => {
      const flow = await server.authorize('gitlab');
      await expectRefused(
        await server.callback(flow.callbackUrl, undefined),
        'invalid_state',
        /this browser/,
      );
      expect(await connectionRows()).toBe(0);
      expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
      expect(await connectionRows()).toBe(1);
      await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
    });

    it("refuses another user's state in a signed-in browser, even with its flow cookie planted", async () => {
      // The attacker (here the administrator) starts a flow and gets its state and flow cookie
      // into the victim's browser (a sibling subdomain can toss a cookie without __Host-).
      const victim = await prisma().user.create({ data: { displayName: 'Victim' } });
      const session = await openSession(prisma(), { userId: victim.id });
      const flow = await server.authorize('gitlab');
      const exchanges = provider.stats.codeExchanges;
      await expectRefused(
        await server.callback(
          flow.callbackUrl,
          `${flow.cookie}; ${SESSION_COOKIE}=${session.token}`,
        ),
        'invalid_state',
        /another user/,
      );
      expect(provider.stats.codeExchanges).toBe(exchanges);
      expect(await prisma().connection.count({ where: { integrationId: 'gitlab' } })).toBe(0);
    });

    it("completes in the flow's own user's signed-in browser", async () => {
      const session = await openSession(prisma(), { userId: server.admin.id });
      const flow = await server.authorize('gitlab');
      const back = await server.callback(
        flow.callbackUrl,
        `${flow.cookie}; ${SESSION_COOKIE}=${session.token}`,
      );
      expect(back.status).toBe(302);
      expect(await connectionRows()).toBe(1);
      await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
    });

    it('records a denied consent and stores nothing', async () => {
      const flow = await server.authorize('gitlab');
      const url = new URL(flow.callbackUrl);
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
      await expectRefused(
        await server.callback(url.toString(), flow.cookie),
        'oauth_denied',
        /access_denied/,
      );
      expect(await connectionRows()).toBe(0);
      const audit = await prisma().auditEvent.findFirst({
        where: { action: 'connection.connect_failed' },
        orderBy: { at: 'desc' },
      });
      expect(audit).toMatchObject({ outcome: 'refused', detail: { reason: 'access_denied' } });
    });
  });

  it('the fake token endpoint refuses a wrong PKCE verifier (so the dance above proves ours)', async () => {
    const flow = await server.authorize('gitlab');
    const code = new URL(flow.callbackUrl).searchParams.get('code')!;
    const res = await fetch(provider.endpoints.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${server.url}/api/integrations/oauth/callback`,
        code_verifier: 'A'.repeat(43),
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('names the variables to set when an oauth2 integration has no client', async () => {
    const res = await server.api('/api/integrations/canva/connect', { method: 'POST' });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('dynamiq.connections.oauth_not_configured');
    expect(error.message).toContain('OAUTH_CANVA_CLIENT_ID');
    expect(error.message).toContain('OAUTH_CANVA_CLIENT_SECRET');
  });
});

describe('disconnect', () => {
  it('revokes the refresh token at the provider and deletes the row with its secret', async () => {
    const flow = await server.authorize('gitlab');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    const revocations = provider.revocations.length;

    const res = await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ integrationId: 'gitlab', revoked: true });
    const revoked = provider.revocations.slice(revocations);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.hint).toBe('refresh_token');
    expect(provider.isRefreshTokenValid(revoked[0]!.token)).toBe(false);
    expect(await connectionRows()).toBe(0);
    const raw = await db.database.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Connection" WHERE "integrationId" = 'gitlab'`,
    );
    expect(raw[0]!.n).toBe(0);
    const status = await (await server.api('/api/integrations/gitlab')).json();
    expect(status).toMatchObject({ integration: { status: 'not_connected', connection: null } });
  });

  it('still deletes when revocation fails, and records the failure', async () => {
    const flow = await server.authorize('gitlab');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    provider.forceRevokeStatus(503);
    try {
      const res = await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
      expect(await res.json()).toEqual({ integrationId: 'gitlab', revoked: false });
    } finally {
      provider.forceRevokeStatus(undefined);
    }
    expect(await connectionRows()).toBe(0);
    const audit = await prisma().auditEvent.findFirst({
      where: { action: 'connection.revoke_failed' },
    });
    expect(audit).toMatchObject({ target: 'gitlab', outcome: 'error', detail: { status: 503 } });
  });

  it("revokes at GitHub with DELETE and the app's credentials, not RFC 7009", async () => {
    const flow = await server.authorize('github');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    const { accessToken } = await server.connections.getAccessToken(server.admin.id, 'github');
    const res = await server.api('/api/integrations/github/disconnect', { method: 'DELETE' });
    expect(await res.json()).toEqual({ integrationId: 'github', revoked: true });
    expect(provider.revocations.at(-1)).toEqual({ token: accessToken, hint: 'github' });
  });

  it('answers 404 for an integration that is not connected', async () => {
    const res = await server.api('/api/integrations/gitlab/disconnect', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { code: 'dynamiq.connections.not_connected' },
    });
  });
});
