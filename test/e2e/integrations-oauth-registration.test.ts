// RFC 7591 dynamic client registration, as remote MCP servers (Sentry's) expect it: the first
// connect registers Dynamiq at the provider, once per deployment however many connect at once,
// and the registered client then serves the code exchange, refreshes and revocation. Through the
// product's routes on a real PostgreSQL database, against the local fake provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connections, oauthClientsFromEnv } from '../../integrations/connections/index.js';
import { catalog } from '../../integrations/index.js';
import type { Integration } from '../../integrations/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let provider: FakeOAuthProvider;
let refusing: FakeOAuthProvider;
let server: IntegrationsServer;
let integrations: Integration[];

/** Sentry's catalog entry with its OAuth endpoints on `p` and its own id and name. */
function sentryAt(p: FakeOAuthProvider, id = 'sentry', name = 'Sentry'): Integration {
  const sentry = catalog.find((i) => i.id === 'sentry')!;
  return {
    ...sentry,
    id,
    name,
    oauth: {
      ...sentry.oauth!,
      authorizeUrl: p.endpoints.authorizeUrl,
      tokenUrl: p.endpoints.tokenUrl,
      // The real entry has no revocation endpoint; the fake's proves revoke uses the client.
      revokeUrl: p.endpoints.revokeUrl,
      registrationUrl: p.registrationUrl,
    },
  };
}

beforeAll(async () => {
  db = await freshDatabase();
  // A slow registration keeps every concurrent connect inside the same registration window.
  provider = await startFakeOAuthProvider({ registrationDelayMs: 150 });
  refusing = await startFakeOAuthProvider({});
  refusing.forceRegistrationError('invalid_redirect_uri');
  integrations = [
    sentryAt(provider),
    sentryAt(provider, 'sentry-eu', 'Sentry EU'),
    sentryAt(refusing, 'sentry-onprem', 'Sentry on-prem'),
  ];
  server = await startIntegrationsServer({ database: db.database, integrations });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await refusing?.close();
  await db?.drop();
});

const prisma = () => db.database.prisma;
/** The registration new connects use (superseded ones stay for their grants). */
const registration = (integrationId: string) =>
  prisma().oAuthClientRegistration.findFirst({ where: { integrationId, supersededAt: null } });
const callbackOf = (s: IntegrationsServer) => `${s.url}/api/integrations/oauth/callback`;

/** POST connect; the authorize URL's query. */
async function connect(s: IntegrationsServer, id: string) {
  const res = await s.api(`/api/integrations/${id}/connect`, { method: 'POST' });
  expect(res.status).toBe(200);
  const { authorizeUrl } = (await res.json()) as { authorizeUrl: string };
  return new URL(authorizeUrl).searchParams;
}

/** The whole dance through `s`; the redirect back to the portal. */
async function dance(s: IntegrationsServer, id: string) {
  const flow = await s.authorize(id);
  const back = await s.callback(flow.callbackUrl, flow.cookie);
  expect(back.status).toBe(302);
  return back.headers.get('location');
}

describe('the first connect', () => {
  it('shows the entry as connectable before any client exists, without registering', async () => {
    const res = await server.api('/api/integrations/sentry');
    expect(await res.json()).toMatchObject({
      integration: { id: 'sentry', connectable: true, status: 'not_connected' },
    });
    expect(provider.stats.registrations).toBe(0);
  });

  it('registers a public client once and completes the dance with it', async () => {
    const sent = await connect(server, 'sentry');
    expect(provider.stats.registrations).toBe(1);
    const [client] = provider.registeredClients();
    expect(client!.metadata).toEqual({
      client_name: 'Dynamiq',
      redirect_uris: [callbackOf(server)],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    expect(sent.get('client_id')).toBe(client!.clientId);
    expect(sent.get('code_challenge_method')).toBe('S256');
    expect(await registration('sentry')).toMatchObject({
      clientId: client!.clientId,
      tokenAuth: 'none',
      redirectUri: callbackOf(server),
      secret: null,
      secretKeyId: null,
    });

    expect(await dance(server, 'sentry')).toBe(`${server.url}/integrations?connected=sentry`);
    expect(provider.stats.registrations).toBe(1);
    expect(client!.used).toEqual(['authorization_code']);
    expect(provider.tokenRequests.at(-1)).toEqual({
      grantType: 'authorization_code',
      clientAuth: 'public',
    });
    const res = await server.api('/api/integrations/sentry');
    expect(await res.json()).toMatchObject({
      integration: { status: 'connected', connectable: true },
    });
    const audit = await prisma().auditEvent.findMany({
      where: { action: 'oauth_client.registered' },
    });
    expect(audit).toMatchObject([
      {
        target: 'sentry',
        outcome: 'ok',
        userId: server.admin.id,
        detail: { clientId: client!.clientId, tokenAuth: 'none', replaced: null },
      },
    ]);
  });

  it('reuses the registration on the next connect', async () => {
    const sent = await connect(server, 'sentry');
    await dance(server, 'sentry');
    expect(provider.stats.registrations).toBe(1);
    expect(sent.get('client_id')).toBe(provider.registeredClients()[0]!.clientId);
  });

  it('registers once for twenty concurrent connects, across two processes', async () => {
    const before = provider.stats.registrations;
    // Another process: its own in-process single-flight, the same database.
    const other = new Connections({
      db: db.database.prisma,
      keyring: server.keyring,
      log: server.log,
      publicUrl: server.url,
      oauthClients: oauthClientsFromEnv({}, integrations),
      integrations,
    });
    const clientIds = await Promise.all([
      ...Array.from({ length: 10 }, async () =>
        (await connect(server, 'sentry-eu')).get('client_id'),
      ),
      ...Array.from({ length: 10 }, async () => {
        const { authorizeUrl } = await other.startOAuth(server.admin.id, 'sentry-eu');
        return new URL(authorizeUrl).searchParams.get('client_id');
      }),
    ]);
    expect(provider.stats.registrations).toBe(before + 1);
    const stored = await registration('sentry-eu');
    expect(new Set(clientIds)).toEqual(new Set([stored!.clientId]));
    expect(await prisma().oAuthState.count({ where: { integrationId: 'sentry-eu' } })).toBe(20);
  });
});

describe('the registered client', () => {
  it('refreshes the token and revokes it on disconnect', async () => {
    const client = provider.registeredClients()[0]!;
    const first = await server.connections.getAccessToken(server.admin.id, 'sentry');
    await prisma().connection.updateMany({
      where: { integrationId: 'sentry' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const refreshed = await server.connections.getAccessToken(server.admin.id, 'sentry');
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(provider.tokenRequests.at(-1)).toEqual({
      grantType: 'refresh_token',
      clientAuth: 'public',
    });
    expect(client.used.at(-1)).toBe('refresh_token');

    const res = await server.api('/api/integrations/sentry/disconnect', { method: 'DELETE' });
    expect(await res.json()).toEqual({ integrationId: 'sentry', revoked: true });
    expect(client.used.at(-1)).toBe('revoke');
    expect(provider.revocations.at(-1)!.hint).toBe('refresh_token');
    // The registration belongs to the deployment, not to the connection.
    expect(await registration('sentry')).not.toBeNull();
  });
});

describe('registration refused', () => {
  it('answers with the provider status and code and how to fix it, storing nothing', async () => {
    const res = await server.api('/api/integrations/sentry-onprem/connect', { method: 'POST' });
    expect(res.status).toBe(502);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('dynamiq.connections.registration_failed');
    expect(error.message).toContain('Sentry on-prem refused to register Dynamiq');
    expect(error.message).toContain('HTTP 400, invalid_redirect_uri');
    expect(error.message).toContain(`${callbackOf(server)}: check PUBLIC_URL`);
    expect(error.message).toContain('OAUTH_SENTRY_ONPREM_CLIENT_ID');
    expect(error.message).not.toContain('fake provider');

    expect(await registration('sentry-onprem')).toBeNull();
    expect(await prisma().oAuthState.count({ where: { integrationId: 'sentry-onprem' } })).toBe(0);
    expect(await prisma().connection.count({ where: { integrationId: 'sentry-onprem' } })).toBe(0);
    const audit = await prisma().auditEvent.findFirst({
      where: { action: 'oauth_client.registration_failed' },
    });
    expect(audit).toMatchObject({
      target: 'sentry-onprem',
      outcome: 'refused',
      detail: { status: 400, error: 'invalid_redirect_uri' },
    });
  });
});

describe('another PUBLIC_URL', () => {
  it('registers again for the new redirect URI', async () => {
    const old = (await registration('sentry'))!;
    // Another port is another PUBLIC_URL, as after moving the deployment.
    const moved = await startIntegrationsServer({
      database: db.database,
      keyring: server.keyring,
      integrations,
    });
    try {
      const before = provider.stats.registrations;
      const sent = await connect(moved, 'sentry');
      expect(provider.stats.registrations).toBe(before + 1);
      const now = (await registration('sentry'))!;
      expect(now.clientId).not.toBe(old.clientId);
      expect(now.redirectUri).toBe(callbackOf(moved));
      expect(sent.get('client_id')).toBe(now.clientId);
      expect(provider.registeredClients().at(-1)!.redirectUris).toEqual([callbackOf(moved)]);
      await dance(moved, 'sentry');
      expect(provider.stats.registrations).toBe(before + 1);
      const audit = await prisma().auditEvent.findFirst({
        where: { action: 'oauth_client.registered', target: 'sentry' },
        orderBy: { at: 'desc' },
      });
      expect(audit!.detail).toMatchObject({ clientId: now.clientId, replaced: old.clientId });
    } finally {
      await moved.close();
    }
  });
});

describe('a configured client', () => {
  it('is used instead of registering', async () => {
    const configured = await startIntegrationsServer({
      database: db.database,
      keyring: server.keyring,
      integrations,
      env: {
        OAUTH_SENTRY_EU_CLIENT_ID: provider.clientId,
        OAUTH_SENTRY_EU_CLIENT_SECRET: provider.clientSecret,
      },
    });
    try {
      const before = provider.stats.registrations;
      const sent = await connect(configured, 'sentry-eu');
      expect(sent.get('client_id')).toBe(provider.clientId);
      await dance(configured, 'sentry-eu');
      expect(provider.tokenRequests.at(-1)).toEqual({
        grantType: 'authorization_code',
        clientAuth: 'post',
      });
      expect(provider.stats.registrations).toBe(before);
    } finally {
      await configured.close();
    }
  });
});
