// A credential without an expiry works for good once a sandbox command has seen it. GitHub
// OAuth-app tokens are such credentials (GitHub never expires them), yet only the catalog's
// long-lived-key CLIs used to ask for consent: `integration-exec github -- printenv GH_TOKEN`
// handed a permanent repo,workflow token to whatever ran in the sandbox. Now any credential
// without an expiry needs the user's consent; a GitHub App's user tokens (8 hours, refreshed)
// need none. Through the broker as the sandbox helper calls it, on PostgreSQL, against the fake
// GitHub.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialBroker } from '../../broker/index.js';
import { INTEGRATION_OPERATIONS, signSandboxToken } from '../../lib/sandbox-access/index.js';
import { freshDatabase, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

const JWT_SECRET = randomBytes(32).toString('hex');

let db: Awaited<ReturnType<typeof freshDatabase>>;
let oauthApp: FakeOAuthProvider;
let githubApp: FakeOAuthProvider;
let server: IntegrationsServer;

/** A server whose GitHub OAuth client is `provider` (an OAuth app or a GitHub App). */
const serverFor = (provider: FakeOAuthProvider) =>
  startIntegrationsServer({
    database: db.database,
    env: {
      OAUTH_GITHUB_CLIENT_ID: provider.clientId,
      OAUTH_GITHUB_CLIENT_SECRET: provider.clientSecret,
    },
    endpointOverrides: { github: provider.endpoints },
  });

async function connectGithub(s: IntegrationsServer) {
  const flow = await s.authorize('github');
  expect((await s.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
}

/** What `integration-exec github` asks the broker for. */
async function cliCredentials(s: IntegrationsServer) {
  const broker = new CredentialBroker({
    db: db.database.prisma,
    keyring: s.keyring,
    jwtSecret: JWT_SECRET,
    connections: s.connections,
  });
  const token = await signSandboxToken(
    {
      userId: s.admin.id,
      conversationId: 'conv-long-lived',
      sandboxId: 'sbx-long-lived',
      scopes: { apps: ['github'], operations: [INTEGRATION_OPERATIONS.credentials] },
    },
    JWT_SECRET,
  );
  try {
    return await broker.cliCredentials({ authorization: `Bearer ${token}`, integration: 'github' });
  } finally {
    await broker.close();
  }
}

const status = async (s: IntegrationsServer) =>
  (
    (await (await s.api('/api/integrations/github')).json()) as {
      integration: { connection: { needsSandboxConsent: boolean; expiresAt: string | null } };
    }
  ).integration.connection;

beforeAll(async () => {
  db = await freshDatabase();
  // GitHub's OAuth apps issue tokens with no expires_in and no refresh token.
  oauthApp = await startFakeOAuthProvider({ dialect: 'github', expiring: false, login: 'octo' });
  // A GitHub App with expiring user tokens: expires_in (8 hours) and a refresh token.
  githubApp = await startFakeOAuthProvider({
    dialect: 'github',
    accessTokenTtl: 8 * 3600,
    login: 'octo',
    clientId: 'Iv23-fake-github-app',
  });
  server = await serverFor(oauthApp);
});

afterAll(async () => {
  await server?.close();
  await oauthApp?.close();
  await githubApp?.close();
  await db?.drop();
});

describe('a GitHub OAuth-app token (no expiry)', () => {
  it('never reaches a sandbox without consent, and the portal asks for it', async () => {
    await connectGithub(server);
    expect(await status(server)).toMatchObject({ expiresAt: null, needsSandboxConsent: true });
    await expect(cliCredentials(server)).rejects.toMatchObject({
      code: 'dynamiq.broker.consent_required',
      message: expect.stringContaining("GitHub's token does not expire"),
    });
    const refused = await db.database.prisma.auditEvent.findFirst({
      where: { target: 'github', action: 'credential.refused' },
    });
    expect(refused?.detail).toMatchObject({ reason: 'consent_required' });
  });

  it('reaches a sandbox once the user consents, and stops when they withdraw', async () => {
    await server.connections.setSandboxKeyConsent(server.admin.id, 'github', true);
    const given = await cliCredentials(server);
    expect(oauthApp.issuedTokens()).toContain(given.env.GH_TOKEN);
    expect(given.expiresAt).toBeNull();
    await server.connections.setSandboxKeyConsent(server.admin.id, 'github', false);
    await expect(cliCredentials(server)).rejects.toMatchObject({
      code: 'dynamiq.broker.consent_required',
    });
  });
});

describe('a GitHub App user token (expires, refreshed)', () => {
  it('reaches a sandbox without consent, and consent is not even offered', async () => {
    const appServer = await serverFor(githubApp);
    try {
      await connectGithub(appServer);
      expect(await status(appServer)).toMatchObject({ needsSandboxConsent: false });
      const given = await cliCredentials(appServer);
      expect(githubApp.issuedTokens()).toContain(given.env.GH_TOKEN);
      expect(Date.parse(given.expiresAt!) - Date.now()).toBeGreaterThan(7 * 3600_000);
      await expect(
        appServer.connections.setSandboxKeyConsent(appServer.admin.id, 'github', true),
      ).rejects.toMatchObject({ code: 'dynamiq.connections.unsupported' });
    } finally {
      await appServer.close();
    }
  });
});
