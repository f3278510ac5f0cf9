// Secrets at rest: no plaintext anywhere in the database, and a master-key rotation after which
// the old key can go while every connection (and every OAuth client Dynamiq registered) keeps
// working.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rotateKeysCommand } from '../../app/commands/rotate-keys.js';
import { SlackInstallations } from '../../bots/slack/index.js';
import {
  Connections,
  oauthClientsFromEnv,
  rotateSecrets,
} from '../../integrations/connections/index.js';
import { sealConnectionSecret } from '../../integrations/connections/secrets.js';
import { catalog } from '../../integrations/index.js';
import type { Integration } from '../../integrations/index.js';
import { loadConfig } from '../../lib/config/index.js';
import {
  cloudCredentialContext,
  keyIdOf,
  keyringOf,
  oauthClientContext,
  oauthStateContext,
  open,
  seal,
} from '../../lib/crypto/index.js';
import { freshDatabase, newMasterKey, startIntegrationsServer } from '../fakes/oauth/harness.js';
import type { IntegrationsServer } from '../fakes/oauth/harness.js';
import { startFakeKeyApi } from '../fakes/oauth/key-api.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

const KEY_A = newMasterKey();
const KEY_B = newMasterKey();
const NEON_KEY = 'neon_plaintext_probe_7d1e0b';
const CLOUD_SECRET = 'aws-external-id-probe-93ac';
const SLACK_BOT_TOKEN = 'xoxb-slack-install-probe-51f0';
const SLACK_TEAM = 'TROTATE01';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let provider: FakeOAuthProvider;
/** Where Sentry's entry registers a confidential client (a secret and an RFC 7592 token). */
let registrar: FakeOAuthProvider;
let integrations: Integration[];
let vendor: Awaited<ReturnType<typeof startFakeKeyApi>>;
let server: IntegrationsServer;
let env: Record<string, string>;
let pendingState: string;
let usedCode: string;

beforeAll(async () => {
  db = await freshDatabase();
  provider = await startFakeOAuthProvider({ login: 'octo-at-rest' });
  registrar = await startFakeOAuthProvider({ registrationAccessTokens: true });
  integrations = catalog.map((i) =>
    i.id === 'sentry'
      ? {
          ...i,
          oauth: {
            ...i.oauth!,
            authorizeUrl: registrar.endpoints.authorizeUrl,
            tokenUrl: registrar.endpoints.tokenUrl,
            registrationUrl: registrar.registrationUrl,
            tokenAuth: 'client_secret_post' as const,
          },
        }
      : i,
  );
  vendor = await startFakeKeyApi({
    accept: (r) => r.headers.authorization === `Bearer ${NEON_KEY}`,
  });
  env = {
    OAUTH_GITLAB_CLIENT_ID: provider.clientId,
    OAUTH_GITLAB_CLIENT_SECRET: provider.clientSecret,
  };
  server = await startIntegrationsServer({
    database: db.database,
    keyring: keyringOf(KEY_A),
    env,
    endpointOverrides: { gitlab: provider.endpoints, neon: { apiBaseUrl: vendor.baseUrl } },
    integrations,
  });
  const prisma = db.database.prisma;

  // An OAuth connection, refreshed once (so old and new tokens exist), a key connection, a
  // pending OAuth flow, a cloud credential, and other users' connections to fill several batches.
  const flow = await server.authorize('gitlab');
  usedCode = new URL(flow.callbackUrl).searchParams.get('code')!;
  expect((await server.callback(flow.callbackUrl, flow.cookie)).status).toBe(302);
  await prisma.connection.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
  await server.connections.getAccessToken(server.admin.id, 'gitlab');
  const neon = await server.api('/api/integrations/neon/connect', {
    method: 'POST',
    json: { credentials: { token: NEON_KEY } },
  });
  expect(neon.status).toBe(201);
  const sentry = await server.authorize('sentry');
  expect((await server.callback(sentry.callbackUrl, sentry.cookie)).status).toBe(302);
  const pending = await server.api('/api/integrations/gitlab/connect', { method: 'POST' });
  const { authorizeUrl } = (await pending.json()) as { authorizeUrl: string };
  pendingState = new URL(authorizeUrl).searchParams.get('state')!;

  const cloudId = randomUUID();
  await prisma.cloudCredential.create({
    data: {
      id: cloudId,
      userId: server.admin.id,
      provider: 'aws',
      name: 'prod',
      config: { roleArn: 'arn:aws:iam::123456789012:role/dynamiq' },
      secret: new Uint8Array(
        seal(
          server.keyring,
          Buffer.from(JSON.stringify({ externalId: CLOUD_SECRET })),
          cloudCredentialContext(cloudId),
        ),
      ),
      secretKeyId: server.keyring.current.id,
    },
  });
  // A workspace installed through "Add to Slack".
  await new SlackInstallations(prisma, server.keyring).storeInstallation({
    team: { id: SLACK_TEAM, name: 'Rotation' },
    enterprise: undefined,
    user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
    bot: { id: 'BROT', userId: 'UROTBOT', token: SLACK_BOT_TOKEN, scopes: ['chat:write'] },
    tokenType: 'bot',
    isEnterpriseInstall: false,
  });
  for (let i = 0; i < 5; i++) {
    const user = await prisma.user.create({ data: { displayName: `user ${i}` } });
    const id = randomUUID();
    const granted = provider.grantDirectly('api');
    await prisma.connection.create({
      data: {
        id,
        userId: user.id,
        integrationId: 'gitlab',
        scopes: ['api'],
        expiresAt: new Date(Date.now() + 3600_000),
        ...sealConnectionSecret(server.keyring, id, {
          kind: 'oauth',
          accessToken: granted.access_token,
          refreshToken: granted.refresh_token,
        }),
      },
    });
  }
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await registrar?.close();
  await vendor?.close();
  await db?.drop();
});

/** Every value of every column of every table, as bytes (bytea raw, the rest as text). */
async function everyStoredValue(): Promise<Array<{ where: string; bytes: Buffer }>> {
  const tables = await db.database.sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const values: Array<{ where: string; bytes: Buffer }> = [];
  for (const { table_name } of tables) {
    const rows = await db.database.sql.query<Record<string, unknown>>(
      `SELECT * FROM "${table_name}"`,
    );
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null) continue;
        const bytes = Buffer.isBuffer(value)
          ? value
          : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
        values.push({ where: `${table_name}.${column}`, bytes });
      }
    }
  }
  return values;
}

describe('secrets at rest', () => {
  it('leave no plaintext in any column of any table', async () => {
    const values = await everyStoredValue();
    const found = (needle: string) =>
      values
        .filter(
          (v) =>
            v.bytes.includes(Buffer.from(needle)) ||
            v.bytes.includes(Buffer.from(Buffer.from(needle).toString('base64'))),
        )
        .map((v) => v.where);
    // The search does reach every table: non-secret values are found where they belong.
    expect(found('octo-at-rest')).toContain('Connection.accountLabel');
    expect(found('arn:aws:iam::123456789012')).toContain('CloudCredential.config');
    expect(values.some((v) => v.where === 'OAuthState.codeVerifier')).toBe(true);
    const [registered] = registrar.registeredClients();
    expect(found(registered!.clientId)).toContain('OAuthClientRegistration.clientId');
    expect(values.some((v) => v.where === 'OAuthClientRegistration.secret')).toBe(true);

    const secrets = [
      ...provider.issuedTokens(),
      ...registrar.issuedTokens(),
      registered!.clientSecret!,
      registered!.registrationAccessToken!,
      NEON_KEY,
      CLOUD_SECRET,
      SLACK_BOT_TOKEN,
      provider.clientSecret,
      pendingState,
      usedCode,
    ];
    expect(secrets.length).toBeGreaterThan(18);
    for (const secret of secrets)
      expect({ secret, found: found(secret) }).toEqual({ secret, found: [] });
  });
});

describe('master key rotation', () => {
  it('re-seals everything in batches, is idempotent, and the old key can go', async () => {
    const both = keyringOf(KEY_B, [KEY_A]);
    const result = await rotateSecrets(db.database.prisma, both, { batchSize: 2 });
    expect(result).toEqual({
      keyId: both.current.id,
      resealed: {
        connections: 8,
        oauthStates: 3,
        cloudCredentials: 1,
        oauthClients: 1,
        slackInstallations: 1,
      },
      failed: [],
    });

    const lines: string[] = [];
    const config = loadConfig({
      DATABASE_URL: db.url,
      DYNAMIQ_DATA_DIR: os.tmpdir(),
      DYNAMIQ_MASTER_KEY: KEY_B,
      DYNAMIQ_PREVIOUS_MASTER_KEYS: KEY_A,
      // A task queue no workflow runs on: Temporal needs no old key either.
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `rotation-idle-${randomUUID()}`,
    });
    expect(await rotateKeysCommand(config, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toContain('the previous keys can be removed');
    expect(lines[0]).toMatch(
      /0 connection\(s\), 0 cloud credential\(s\), 0 pending OAuth state\(s\), 0 registered OAuth/,
    );

    // Only the new key from here on.
    const onlyB = keyringOf(KEY_B);
    const rows = await db.database.prisma.connection.findMany();
    for (const row of rows) {
      expect(row.secretKeyId).toBe(onlyB.current.id);
      expect(keyIdOf(row.secret!)).toBe(onlyB.current.id);
    }
    for (const state of await db.database.prisma.oAuthState.findMany()) {
      expect(() =>
        open(onlyB, state.codeVerifier, oauthStateContext(state.stateHash)),
      ).not.toThrow();
    }
    const registration = await db.database.prisma.oAuthClientRegistration.findFirstOrThrow();
    expect(registration.secretKeyId).toBe(onlyB.current.id);
    const sealed = open(onlyB, registration.secret!, oauthClientContext('sentry')).toString();
    expect(JSON.parse(sealed)).toMatchObject({
      clientSecret: registrar.registeredClients()[0]!.clientSecret,
    });
    const slack = await new SlackInstallations(db.database.prisma, onlyB).fetchInstallation({
      teamId: SLACK_TEAM,
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(slack.bot?.token).toBe(SLACK_BOT_TOKEN);
    const cloud = await db.database.prisma.cloudCredential.findFirstOrThrow();
    const opened = open(onlyB, cloud.secret!, cloudCredentialContext(cloud.id)).toString();
    expect(JSON.parse(opened)).toEqual({ externalId: CLOUD_SECRET });

    const connections = new Connections({
      db: db.database.prisma,
      keyring: onlyB,
      log: server.log,
      publicUrl: server.url,
      oauthClients: oauthClientsFromEnv(env, catalog),
      endpointOverrides: { gitlab: provider.endpoints },
      integrations,
    });
    expect(await connections.getAccessToken(server.admin.id, 'neon')).toEqual({
      accessToken: NEON_KEY,
      expiresAt: null,
    });
    const fresh = await connections.getAccessToken(server.admin.id, 'gitlab');
    expect(provider.issuedTokens()).toContain(fresh.accessToken);
    // A refresh opens the refresh token and seals the new tokens, all under the new key.
    await db.database.prisma.connection.updateMany({
      where: { userId: server.admin.id, integrationId: 'gitlab' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const refreshed = await connections.getAccessToken(server.admin.id, 'gitlab');
    expect(refreshed.accessToken).not.toBe(fresh.accessToken);
    for (const row of rows.filter((r) => r.userId !== server.admin.id)) {
      await expect(connections.getAccessToken(row.userId, 'gitlab')).resolves.toBeTruthy();
    }
    // The registered client's secret, re-sealed, still authenticates its refresh.
    await db.database.prisma.connection.updateMany({
      where: { integrationId: 'sentry' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await connections.getAccessToken(server.admin.id, 'sentry');
    expect(registrar.tokenRequests.at(-1)).toEqual({
      grantType: 'refresh_token',
      clientAuth: 'post',
    });
  });

  it('reports (and leaves) secrets under a key it does not have', async () => {
    const stranger = keyringOf(newMasterKey());
    const id = randomUUID();
    await db.database.prisma.cloudCredential.create({
      data: {
        id,
        userId: server.admin.id,
        provider: 'gcp',
        name: 'lost',
        config: {},
        secret: new Uint8Array(seal(stranger, Buffer.from('{}'), cloudCredentialContext(id))),
        secretKeyId: stranger.current.id,
      },
    });
    const lines: string[] = [];
    const config = loadConfig({
      DATABASE_URL: db.url,
      DYNAMIQ_DATA_DIR: os.tmpdir(),
      DYNAMIQ_MASTER_KEY: KEY_B,
      DYNAMIQ_PREVIOUS_MASTER_KEYS: KEY_A,
    });
    expect(await rotateKeysCommand(config, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain(`could not open CloudCredential ${id}`);
    const row = await db.database.prisma.cloudCredential.findUniqueOrThrow({ where: { id } });
    expect(row.secretKeyId).toBe(stranger.current.id);
  });
});
