// getAccessToken: refresh shortly before expiry, one refresh for many concurrent callers (in one
// process and across two), and a refused refresh turning into "reconnect", never a retry loop.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Connections,
  ReconnectRequiredError,
  oauthClientsFromEnv,
} from '../../integrations/connections/index.js';
import { catalog } from '../../integrations/index.js';
import { openDatabase } from '../../lib/db/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let provider: FakeOAuthProvider;
let server: IntegrationsServer;
let env: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase();
  // A slow token endpoint keeps every concurrent caller inside the same refresh window.
  provider = await startFakeOAuthProvider({ refreshDelayMs: 150 });
  env = {
    OAUTH_GITLAB_CLIENT_ID: provider.clientId,
    OAUTH_GITLAB_CLIENT_SECRET: provider.clientSecret,
  };
  server = await startIntegrationsServer({
    database: db.database,
    env,
    endpointOverrides: { gitlab: provider.endpoints },
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await db?.drop();
});

const prisma = () => db.database.prisma;
const expire = () =>
  prisma().connection.updateMany({
    where: { integrationId: 'gitlab' },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
const get = (c: Connections = server.connections) => c.getAccessToken(server.admin.id, 'gitlab');

beforeEach(async () => {
  const flow = await server.authorize('gitlab');
  expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
});

describe('getAccessToken', () => {
  it('hands out the stored token while it is fresh', async () => {
    const refreshes = provider.stats.refreshes;
    const first = await get();
    expect(await get()).toEqual(first);
    expect(provider.stats.refreshes).toBe(refreshes);
  });

  it('refreshes an expired token once for twenty concurrent callers', async () => {
    const old = await get();
    await expire();
    const refreshes = provider.stats.refreshes;
    const audits = await prisma().auditEvent.count({ where: { action: 'connection.refreshed' } });

    const tokens = await Promise.all(Array.from({ length: 20 }, () => get()));
    expect(provider.stats.refreshes).toBe(refreshes + 1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(tokens[0]!.accessToken).not.toBe(old.accessToken);
    expect(tokens[0]!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(await prisma().auditEvent.count({ where: { action: 'connection.refreshed' } })).toBe(
      audits + 1,
    );
    // The provider rotated the refresh token: a second refresh works only if the new one was sealed.
    await expire();
    const again = await get();
    expect(again.accessToken).not.toBe(tokens[0]!.accessToken);
    expect(provider.stats.refreshes).toBe(refreshes + 2);
  });

  it('refreshes once when two processes ask at the same time (row lock)', async () => {
    const otherDb = await openDatabase({ url: db.url });
    try {
      const other = new Connections({
        db: otherDb.prisma,
        keyring: server.keyring,
        log: server.log,
        publicUrl: server.url,
        oauthClients: oauthClientsFromEnv(env, catalog),
        endpointOverrides: { gitlab: provider.endpoints },
      });
      await expire();
      const refreshes = provider.stats.refreshes;
      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, i) => get(i % 2 ? other : server.connections)),
      );
      expect(provider.stats.refreshes).toBe(refreshes + 1);
      expect(provider.stats.rejectedRefreshes).toBe(0);
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    } finally {
      await otherDb.close();
    }
  });

  it('keeps the connection when the provider is briefly unavailable', async () => {
    await expire();
    provider.forceTokenStatus(503);
    try {
      await expect(get()).rejects.toMatchObject({ code: 'dynamiq.connections.refresh_failed' });
    } finally {
      provider.forceTokenStatus(undefined);
    }
    const row = await prisma().connection.findFirstOrThrow({ where: { integrationId: 'gitlab' } });
    expect(row.status).toBe('active');
    const audit = await prisma().auditEvent.findFirst({
      where: { action: 'connection.refresh_failed', outcome: 'error' },
    });
    expect(audit).not.toBeNull();
    expect((await get()).accessToken).toMatch(/^at_/);
  });

  it('marks the connection for reconnection when the provider refuses the refresh', async () => {
    await expire();
    provider.invalidateRefreshTokens();
    const rejected = provider.stats.rejectedRefreshes;

    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconnectRequiredError);
    expect((error as Error).message).toMatch(/Reconnect GitLab/);
    expect(provider.stats.rejectedRefreshes).toBe(rejected + 1);

    // No loop: later calls fail at once without asking the provider again.
    const requests = provider.tokenRequests.length;
    await expect(get()).rejects.toBeInstanceOf(ReconnectRequiredError);
    await expect(get()).rejects.toBeInstanceOf(ReconnectRequiredError);
    expect(provider.tokenRequests.length).toBe(requests);

    const res = await server.api('/api/integrations');
    const { integrations } = (await res.json()) as {
      integrations: Array<{ id: string; status: string; connection: { lastError: string } }>;
    };
    const gitlab = integrations.find((i) => i.id === 'gitlab')!;
    expect(gitlab.status).toBe('needs_reconnect');
    expect(gitlab.connection.lastError).toMatch(/refused to refresh.*invalid_grant/);
    const audit = await prisma().auditEvent.findFirst({
      where: { action: 'connection.refresh_failed', outcome: 'refused' },
    });
    expect(audit).toMatchObject({
      target: 'gitlab',
      detail: { status: 400, error: 'invalid_grant' },
    });

    // Reconnecting (beforeEach of the next test does it) makes the connection active again.
    const flow = await server.authorize('gitlab');
    expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
    expect((await get()).accessToken).toMatch(/^at_/);
  });
});
