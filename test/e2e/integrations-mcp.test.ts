// mcp-type integrations (Gmail through Pipedream Connect, Outlook and Asana through Composio):
// connect on the provider's hosted page, status read from the provider, disconnect deletes the
// account there. The real providers' code runs against local fakes of their REST APIs.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpRegistry } from '../../mcp/index.js';
import type { McpRegistry, McpSettings } from '../../mcp/index.js';
import { catalog } from '../../integrations/index.js';
import type { Database } from '../../lib/db/index.js';
import { startFakeComposio } from '../fakes/composio/server.js';
import type { FakeComposio } from '../fakes/composio/server.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakePipedream } from '../fakes/pipedream/server.js';
import type { FakePipedream } from '../fakes/pipedream/server.js';

const PD = { clientId: 'pd-client', clientSecret: 'pd-secret', projectId: 'proj_mcp1' };
const COMPOSIO_KEY = 'ck_e2e_key';

interface Status {
  id: string;
  status: string;
  connectable: boolean;
  credentialNames: string[] | null;
  accountProvider?: string;
  providerError?: string | null;
  connection: { accountLabel: string | null; lastError: string | null } | null;
}

let db: { database: Database; drop: () => Promise<void> };
let pipedream: FakePipedream;
let composio: FakeComposio;
const registries: McpRegistry[] = [];
const servers: IntegrationsServer[] = [];

/** An integrations API whose connections get the account providers of this MCP configuration. */
async function serverWith(settings: McpSettings): Promise<IntegrationsServer> {
  const registry = createMcpRegistry(settings, { integrations: catalog });
  registries.push(registry);
  const server = await startIntegrationsServer({
    database: db.database,
    providerAccounts: registry.accountProviders(),
  });
  servers.push(server);
  return server;
}

const pipedreamSettings = (overrides: Partial<typeof PD> & { apiUrl?: string } = {}) => ({
  ...PD,
  apiUrl: pipedream.apiUrl,
  mcpUrl: pipedream.mcpUrl,
  ...overrides,
});

const json = async <T>(res: Response): Promise<T> => {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text}`);
  }
};
const list = async (server: IntegrationsServer, query = '') => {
  const res = await server.api(`/api/integrations${query}`);
  expect(res.status).toBe(200);
  const { integrations } = await json<{ integrations: Status[] }>(res);
  return new Map(integrations.map((i) => [i.id, i]));
};
const one = async (server: IntegrationsServer, id: string) =>
  (await json<{ integration: Status }>(await server.api(`/api/integrations/${id}`))).integration;
const connect = (server: IntegrationsServer, id: string, body?: unknown) =>
  server.api(`/api/integrations/${id}/connect`, { method: 'POST', json: body });
const disconnect = (server: IntegrationsServer, id: string) =>
  server.api(`/api/integrations/${id}/disconnect`, { method: 'DELETE' });

beforeAll(async () => {
  db = await freshDatabase();
  pipedream = await startFakePipedream(PD);
  composio = await startFakeComposio({
    apiKey: COMPOSIO_KEY,
    authConfigs: [
      { id: 'ac_outlook', toolkit: 'outlook' },
      { id: 'ac_asana', toolkit: 'asana' },
    ],
  });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(registries.map((r) => r.close()));
  await pipedream?.close();
  await composio?.close();
  await db?.drop();
});

describe('mcp-type integrations with both providers configured', () => {
  let server: IntegrationsServer;
  let userId: string;

  beforeAll(async () => {
    server = await serverWith({
      pipedream: pipedreamSettings(),
      composio: { apiKey: COMPOSIO_KEY, apiUrl: composio.url },
    });
    userId = server.admin.id;
  });

  it('lists mcp entries as connectable at their provider, one provider request per list', async () => {
    const before = [pipedream.accountRequests.length, composio.accountRequests.length];
    const statuses = await list(server);
    expect(statuses.get('gmail')).toMatchObject({
      status: 'not_connected',
      connectable: true,
      credentialNames: null,
      accountProvider: 'pipedream',
      providerError: null,
      connection: null,
    });
    expect(statuses.get('outlook')).toMatchObject({
      status: 'not_connected',
      connectable: true,
      accountProvider: 'composio',
    });
    // Trello is a token integration, but its token lives at Composio.
    expect(statuses.get('trello')).toMatchObject({ credentialNames: null, connectable: true });
    expect(statuses.get('github')).not.toHaveProperty('accountProvider');
    expect(pipedream.accountRequests.length - before[0]!).toBe(1);
    expect(composio.accountRequests.length - before[1]!).toBe(1);
    // One Composio request names every Composio toolkit of the catalog.
    const sent = new URL(composio.accountRequests.at(-1)!.url, 'http://x').searchParams;
    expect(sent.getAll('user_ids')).toEqual([userId]);
    expect(sent.getAll('toolkit_slugs')).toEqual(
      expect.arrayContaining(['outlook', 'asana', 'trello', 'microsoft_teams']),
    );

    await list(server);
    expect(pipedream.accountRequests.length - before[0]!).toBe(1);
    await list(server, '?refresh=true');
    expect(pipedream.accountRequests.length - before[0]!).toBe(2);
  });

  it("returns Pipedream's Connect Link for Gmail and shows the account once connected", async () => {
    await list(server);
    const res = await connect(server, 'gmail');
    expect(res.status).toBe(200);
    const link = await json<{ connectUrl: string; expiresAt: string; provider: string }>(res);
    expect(link.provider).toBe('pipedream');
    expect(link.connectUrl).toMatch(
      /^https:\/\/pipedream\.com\/_static\/connect\.html\?token=ctok_\w+&connectLink=true&app=gmail$/,
    );
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now());
    expect(link).not.toHaveProperty('authorizeUrl');
    expect(pipedream.connectTokens.at(-1)).toMatchObject({
      externalUserId: userId,
      successRedirectUri: `${server.url}/integrations?connected=gmail`,
      errorRedirectUri: `${server.url}/integrations?connect_failed=gmail`,
    });

    pipedream.connectAccount(userId, 'gmail', { name: 'ops@acme.test' });
    pipedream.connectAccount('someone-else', 'gmail', { name: 'not-mine@acme.test' });
    // The connect dropped what was cached, so the portal sees the account on its return.
    expect(await one(server, 'gmail')).toMatchObject({
      status: 'connected',
      accountProvider: 'pipedream',
      connection: { accountLabel: 'ops@acme.test', lastError: null },
    });
  });

  it("returns Composio's auth link for Outlook; a started link is not a connection", async () => {
    const res = await connect(server, 'outlook', null);
    expect(res.status).toBe(200);
    const link = await json<{ connectUrl: string; provider: string }>(res);
    expect(link).toMatchObject({
      provider: 'composio',
      connectUrl: expect.stringMatching(/^https:\/\/connect\.composio\.dev\/link\/lk_/),
    });
    expect(composio.links.at(-1)).toEqual({
      userId,
      authConfigId: 'ac_outlook',
      callbackUrl: `${server.url}/integrations?connected=outlook`,
    });
    expect((await one(server, 'outlook')).status).toBe('not_connected');
    composio.connect(userId, 'outlook');
    expect((await list(server, '?refresh=true')).get('outlook')).toMatchObject({
      status: 'connected',
      accountProvider: 'composio',
      connection: { lastError: null },
    });
  });

  it('shows an expired Composio account as needs_reconnect with its reason', async () => {
    const account = composio.connect(userId, 'asana');
    composio.setStatus(account.id, 'EXPIRED', 'refresh token revoked by the user');
    expect((await list(server, '?refresh=true')).get('asana')).toMatchObject({
      status: 'needs_reconnect',
      connection: { lastError: 'refresh token revoked by the user' },
    });
  });

  it('puts mcp entries connected at the provider into the agent context', async () => {
    const res = await server.api('/api/integrations/agent-context');
    const { context } = await json<{ context: string }>(res);
    expect(context).toContain('## Gmail (account: ops@acme.test)');
    expect(context).toContain('## Outlook');
    expect(context).not.toContain('## Asana');
    expect(context).toMatch(/Available but not connected: .*Asana/);
  });

  it('refuses keys for an mcp entry: its token lives at the provider', async () => {
    const res = await connect(server, 'trello', { credentials: { token: 'abc' } });
    expect(res.status).toBe(400);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe(
      'dynamiq.connections.unsupported',
    );
  });

  it('disconnect deletes the accounts at the provider and is audited', async () => {
    const res = await disconnect(server, 'gmail');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ integrationId: 'gmail', revoked: true });
    expect(pipedream.accounts.map((a) => `${a.externalUserId}/${a.app}`)).toEqual([
      'someone-else/gmail',
    ]);
    expect(pipedream.accountRequests.at(-1)).toMatchObject({ method: 'DELETE' });
    expect((await one(server, 'gmail')).status).toBe('not_connected');
    const audit = await db.database.prisma.auditEvent.findFirst({
      where: { action: 'connection.disconnected', target: 'gmail', userId },
    });
    expect(audit).toMatchObject({ outcome: 'ok', detail: { provider: 'pipedream', accounts: 1 } });

    const again = await disconnect(server, 'gmail');
    expect(again.status).toBe(404);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe(
      'dynamiq.connections.not_connected',
    );

    expect((await disconnect(server, 'outlook')).status).toBe(200);
    expect(composio.accounts.filter((a) => a.toolkit === 'outlook')).toEqual([]);
    expect((await one(server, 'outlook')).status).toBe('not_connected');
  });
});

describe('mcp-type integrations when a provider is unconfigured or down', () => {
  it('answers connect with a 409 naming what to set, and the list still works', async () => {
    const server = await serverWith({ pipedream: pipedreamSettings() });
    const res = await connect(server, 'outlook');
    expect(res.status).toBe(409);
    const { error } = await json<{ error: { code: string; message: string } }>(res);
    expect(error.code).toBe('dynamiq.connections.provider_not_configured');
    expect(error.message).toContain('Outlook connects through Composio');
    expect(error.message).toContain('COMPOSIO_API_KEY');
    expect((await disconnect(server, 'outlook')).status).toBe(409);

    const statuses = await list(server);
    expect(statuses.get('outlook')).toMatchObject({
      status: 'not_connected',
      connectable: false,
      providerError: expect.stringContaining('COMPOSIO_API_KEY'),
    });
    expect(statuses.get('gmail')).toMatchObject({ connectable: true, providerError: null });
  });

  it('still lists when the provider cannot be reached or refuses our credentials', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = await serverWith({
      pipedream: pipedreamSettings({ apiUrl: `http://127.0.0.1:${port}` }),
    });
    const statuses = await list(down);
    expect(statuses.get('gmail')).toMatchObject({
      status: 'not_connected',
      connectable: true,
      providerError: expect.stringContaining('Could not reach Pipedream'),
    });
    expect(statuses.get('github')).toMatchObject({ status: 'not_connected' });
    const res = await connect(down, 'gmail');
    expect(res.status).toBe(502);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe(
      'dynamiq.connections.provider_error',
    );
    expect((await down.api('/api/integrations/agent-context')).status).toBe(200);

    const refused = await serverWith({ pipedream: pipedreamSettings({ clientSecret: 'wrong' }) });
    expect((await list(refused)).get('gmail')).toMatchObject({
      status: 'not_connected',
      providerError: expect.stringContaining('PIPEDREAM_CLIENT_SECRET'),
    });
  });
});
