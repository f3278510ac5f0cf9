// API-key and token connects against a local vendor API that checks keys like the real ones:
// Neon (Bearer, GET /users/me) and Datadog (two headers, GET /api/v1/validate).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../lib/db/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeKeyApi } from '../fakes/oauth/key-api.js';

const GOOD = 'neon_good_key_5f2a9c0e7b';
const BAD = 'neon_bad_key_0000000000';
const DD = { apiKey: 'dd_api_key_81c3', appKey: 'dd_app_key_d04e' };

let db: { database: Database; drop: () => Promise<void> };
let vendor: Awaited<ReturnType<typeof startFakeKeyApi>>;
let server: IntegrationsServer;

beforeAll(async () => {
  db = await freshDatabase();
  vendor = await startFakeKeyApi({
    accept: (req) =>
      req.headers.authorization === `Bearer ${GOOD}` ||
      (req.headers['dd-api-key'] === DD.apiKey && req.headers['dd-application-key'] === DD.appKey),
    account: { id: 'u1', email: 'ops@example.com' },
  });
  server = await startIntegrationsServer({
    database: db.database,
    endpointOverrides: {
      neon: { apiBaseUrl: `${vendor.baseUrl}/api/v2` },
      datadog: { apiBaseUrl: vendor.baseUrl },
    },
  });
});

afterAll(async () => {
  await server?.close();
  await vendor?.close();
  await db?.drop();
});

const connect = (id: string, json: unknown) =>
  server.api(`/api/integrations/${id}/connect`, { method: 'POST', json });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe('key connects', () => {
  it('checks a good key at the provider, then stores it sealed', async () => {
    const res = await connect('neon', { credentials: { token: GOOD } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { checked: boolean; integration: Record<string, unknown> };
    expect(body.checked).toBe(true);
    expect(body.integration).toMatchObject({
      id: 'neon',
      status: 'connected',
      credentialNames: ['token'],
      connection: { accountLabel: 'ops@example.com', expiresAt: null },
    });
    expect(vendor.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v2/users/me' });
    const token = await server.connections.getAccessToken(server.admin.id, 'neon');
    expect(token).toEqual({ accessToken: GOOD, expiresAt: null });
  });

  it('refuses a key the provider rejects and stores nothing', async () => {
    const other = await db.database.prisma.user.create({ data: { displayName: 'Other' } });
    await expect(
      server.connections.connectWithKeys(other.id, 'neon', { credentials: { token: BAD } }),
    ).rejects.toMatchObject({ code: 'dynamiq.connections.key_rejected', status: 400 });
    expect(await db.database.prisma.connection.count({ where: { userId: other.id } })).toBe(0);

    const res = await connect('neon', { credentials: { token: BAD } });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('dynamiq.connections.key_rejected');
    expect(error.message).toMatch(/the provider rejected this key/i);
    expect(error.message).not.toContain(BAD);
    // The good key stored earlier is still the one in use.
    const token = await server.connections.getAccessToken(server.admin.id, 'neon');
    expect(token.accessToken).toBe(GOOD);
    const audit = await db.database.prisma.auditEvent.findFirst({
      where: { action: 'connection.connect_failed', target: 'neon', userId: server.admin.id },
    });
    expect(audit).toMatchObject({ outcome: 'refused' });
  });

  it('stores nothing when the provider cannot answer', async () => {
    vendor.force(503);
    try {
      const res = await connect('datadog', { credentials: DD });
      expect(res.status).toBe(502);
      expect((await errorOf(res)).code).toBe('dynamiq.connections.provider_error');
    } finally {
      vendor.force(undefined);
    }
    const row = await db.database.prisma.connection.findFirst({
      where: { integrationId: 'datadog' },
    });
    expect(row).toBeNull();
  });

  it('places each of several keys where the catalog says', async () => {
    const partial = await connect('datadog', { credentials: { apiKey: DD.apiKey } });
    expect(partial.status).toBe(400);
    expect((await errorOf(partial)).message).toMatch(/missing: appKey/);

    const res = await connect('datadog', { credentials: DD });
    expect(res.status).toBe(201);
    expect(vendor.requests.at(-1)).toMatchObject({
      path: '/api/v1/validate',
      headers: { 'dd-api-key': DD.apiKey, 'dd-application-key': DD.appKey },
    });
    await expect(
      server.connections.getAccessToken(server.admin.id, 'datadog'),
    ).rejects.toMatchObject({ code: 'dynamiq.connections.unsupported' });
  });

  it('refuses keys for OAuth and cloud integrations, and OAuth for key integrations', async () => {
    const oauth = await connect('gitlab', { credentials: { token: GOOD } });
    expect((await errorOf(oauth)).code).toBe('dynamiq.connections.unsupported');
    const cloud = await connect('aws', { credentials: { token: GOOD } });
    expect((await errorOf(cloud)).code).toBe('dynamiq.connections.unsupported');
    const noBody = await server.api('/api/integrations/neon/connect', { method: 'POST' });
    expect(noBody.status).toBe(400);
    expect((await errorOf(noBody)).message).toContain('{"credentials": {"token": "..."}}');
    const unknown = await connect('nope', { credentials: { token: GOOD } });
    expect(unknown.status).toBe(404);
  });
});

describe('views', () => {
  it('lists every enabled integration with the caller status and no secret', async () => {
    const res = await server.api('/api/integrations');
    const text = await res.text();
    const { integrations } = JSON.parse(text) as {
      integrations: Array<{ id: string; status: string }>;
    };
    expect(integrations.length).toBeGreaterThanOrEqual(39);
    const status = Object.fromEntries(integrations.map((i) => [i.id, i.status]));
    expect(status).toMatchObject({
      neon: 'connected',
      datadog: 'connected',
      gitlab: 'not_connected',
    });
    for (const secret of [GOOD, DD.apiKey, DD.appKey]) expect(text).not.toContain(secret);
  });

  it('describes only the active connections to the agent', async () => {
    await db.database.prisma.connection.updateMany({
      where: { integrationId: 'datadog' },
      data: { status: 'needs_reconnect' },
    });
    const res = await server.api('/api/integrations/agent-context');
    const { context } = (await res.json()) as { context: string };
    expect(context).toContain('## Neon (account: ops@example.com)');
    expect(context).not.toContain('## Datadog');
    expect(context).toMatch(/Available but not connected: .*Datadog/);
  });

  it('needs authentication', async () => {
    const res = await fetch(`${server.url}/api/integrations`);
    expect(res.status).toBe(401);
  });
});
