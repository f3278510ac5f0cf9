import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAccountClient } from '../../broker/index.js';
import type { GcpAccessToken } from '../../broker/index.js';
import type { AuthUser } from '../../web/server/auth.js';
import { mintSandboxToken } from '../../lib/sandbox-access/index.js';
import type { CloudGrant } from '../../lib/sandbox-access/index.js';
import { startFakeSts } from '../fakes/aws-sts/index.js';
import type { FakeSts } from '../fakes/aws-sts/index.js';
import { startFakeGoogle } from '../fakes/google/index.js';
import type { FakeGoogle } from '../fakes/google/index.js';
import { brokerCall, startBrokerHarness } from './broker-harness.js';
import type { BrokerHarness } from './broker-harness.js';

// The confused deputy: the broker acts with the platform's identity, so nothing a user types
// may make it act on another user's cloud resources. User A is the administrator, B a member.
const A_ROLE = 'arn:aws:iam::111122223333:role/alice-deploy';
const A_SA = 'alice-deployer@alice-project.iam.gserviceaccount.com';
const PLATFORM_SA = 'platform@dynamiq-host.iam.gserviceaccount.com';
const BASE = { accessKeyId: 'AKIAPLATFORM00000002', secretAccessKey: `base-${randomUUID()}` };

type Api = BrokerHarness['api'];
let sts: FakeSts;
let google: FakeGoogle;
let h: BrokerHarness;
let b: { user: AuthUser; api: Api };
let aExternalId: string;

const sandboxToken = (userId: string, clouds: CloudGrant[]) =>
  mintSandboxToken(
    { userId, conversationId: randomUUID(), sandboxId: 'sbx-deputy', clouds },
    h.jwtSecret,
  );

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

const grantPath = (userId: string, email = A_SA) =>
  `/api/admin/users/${userId}/gcp-service-accounts/${encodeURIComponent(email)}`;

beforeAll(async () => {
  sts = await startFakeSts({ base: BASE, roles: {} });
  // The platform may impersonate A's account (A granted it) and, of course, its own.
  google = await startFakeGoogle({
    impersonation: { [A_SA]: [PLATFORM_SA], [PLATFORM_SA]: [PLATFORM_SA] },
  });
  const platformKey = google.newServiceAccountKey(PLATFORM_SA, 'dynamiq-host');
  h = await startBrokerHarness({
    aws: { endpoint: sts.url, region: 'us-east-1', credentials: BASE },
    gcp: {
      tokenUrl: google.tokenUrl,
      iamCredentialsUrl: google.url,
      sourceClient: serviceAccountClient(
        platformKey,
        ['https://www.googleapis.com/auth/cloud-platform'],
        google.tokenUrl,
      ),
    },
  });
  b = await h.newMember('Bob');
  const res = await h.api('/api/cloud/aws/external-id');
  expect(res.status).toBe(200);
  aExternalId = ((await res.json()) as { externalId: string }).externalId;
  // A's role trusts the platform only with A's external id, as the README's policy says.
  sts.setRole(A_ROLE, { externalId: aExternalId });
});

afterAll(async () => {
  await h?.close();
  await sts?.close();
  await google?.close();
});

describe("AWS: user B cannot assume user A's role", () => {
  it('gives each user their own random, immutable external id', async () => {
    const res = await b.api('/api/cloud/aws/external-id');
    expect(res.status).toBe(200);
    const mine = (await res.json()) as { externalId: string };
    expect(mine.externalId).toMatch(/^[\w-]{43}$/);
    expect(mine.externalId).not.toBe(aExternalId);
    expect(await (await b.api('/api/cloud/aws/external-id')).json()).toMatchObject(mine);
  });

  it('refuses an external id sent by the client, even the right one', async () => {
    const res = await b.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'stolen', roleArn: A_ROLE, externalId: aExternalId, region: 'eu-west-1' },
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('dynamiq.http.invalid_request');
    expect(error.message).toMatch(/^body\.externalId: /);
    expect(await h.database.prisma.cloudCredential.count({ where: { userId: b.user.id } })).toBe(0);
  });

  it("assumes A's role ARN registered by B with B's own external id, which A's trust policy refuses", async () => {
    const created = await b.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'stolen', roleArn: A_ROLE, region: 'eu-west-1' },
    });
    expect(created.status).toBe(201);
    const bExternalId = (
      (await (await b.api('/api/cloud/aws/external-id')).json()) as { externalId: string }
    ).externalId;
    expect(((await created.json()) as { credential: { externalId: string } }).credential).toEqual(
      expect.objectContaining({ externalId: bExternalId }),
    );

    const res = await brokerCall(h, 'aws', await sandboxToken(b.user.id, [{ provider: 'aws' }]));
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('dynamiq.broker.upstream_refused');
    expect(sts.assumeRoleCalls.at(-1)).toMatchObject({
      roleArn: A_ROLE,
      externalId: bExternalId,
      tags: { 'dynamiq:user': b.user.id },
    });
    expect(sts.issued.size).toBe(0);

    // A, with the same ARN, gets credentials: the id sent is A's.
    expect(
      (
        await h.api('/api/cloud/credentials/aws', {
          method: 'POST',
          json: { name: 'deploy', roleArn: A_ROLE, region: 'eu-west-1' },
        })
      ).status,
    ).toBe(201);
    const ok = await brokerCall(h, 'aws', await sandboxToken(h.admin.id, [{ provider: 'aws' }]));
    expect(ok.status).toBe(200);
    expect(sts.assumeRoleCalls.at(-1)).toMatchObject({ externalId: aExternalId });
  });

  it('ignores an external id stored before the upgrade and sends the user’s own', async () => {
    // A row as an older version wrote it: a sealed, user-chosen id (never opened now).
    await h.database.prisma.cloudCredential.create({
      data: {
        userId: b.user.id,
        provider: 'aws',
        name: 'legacy',
        config: { roleArn: A_ROLE, region: 'eu-west-1', sessionDurationSeconds: 3600 },
        secret: new Uint8Array(randomBytes(64)),
        secretKeyId: 'old',
      },
    });
    const res = await brokerCall(
      h,
      'aws',
      await sandboxToken(b.user.id, [{ provider: 'aws', name: 'legacy' }]),
      { name: 'legacy' },
    );
    expect(res.status).toBe(403);
    expect(sts.assumeRoleCalls.at(-1)!.externalId).not.toBe(aExternalId);
    expect(sts.assumeRoleCalls.at(-1)!.tags['dynamiq:user']).toBe(b.user.id);
  });
});

describe("GCP: user B cannot get tokens for user A's service account", () => {
  it('lets only administrators list, add and remove mappings', async () => {
    for (const [method, path] of [
      ['GET', `/api/admin/users/${b.user.id}/gcp-service-accounts`],
      ['PUT', grantPath(b.user.id)],
      ['DELETE', grantPath(h.admin.id)],
    ] as const) {
      const res = await b.api(path, { method });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await errorOf(res)).code).toBe('dynamiq.http.forbidden');
    }
    expect(await h.database.prisma.gcpServiceAccountGrant.count()).toBe(0);

    const first = await h.api(grantPath(h.admin.id, A_SA.toUpperCase()), { method: 'PUT' });
    expect(first.status).toBe(201);
    expect((await h.api(grantPath(h.admin.id), { method: 'PUT' })).status).toBe(200);
    const list = await h.api(`/api/admin/users/${h.admin.id}/gcp-service-accounts`);
    expect(((await list.json()) as { serviceAccounts: unknown[] }).serviceAccounts).toEqual([
      { serviceAccount: A_SA, createdBy: h.admin.id, createdAt: expect.any(String) },
    ]);
    expect((await h.api(grantPath(randomUUID()), { method: 'PUT' })).status).toBe(404);
    expect(
      (await h.api(grantPath(b.user.id, 'someone@example.com'), { method: 'PUT' })).status,
    ).toBe(400);
    expect(await b.api('/api/cloud/gcp/service-accounts').then((r) => r.json())).toEqual({
      serviceAccounts: [],
    });
  });

  it("refuses B registering A's mapped account, or the platform's own, with 403", async () => {
    for (const target of [A_SA, PLATFORM_SA]) {
      const res = await b.api('/api/cloud/credentials/gcp', {
        method: 'POST',
        json: { name: 'stolen', targetServiceAccount: target },
      });
      expect(res.status).toBe(403);
      const error = await errorOf(res);
      expect(error.code).toBe('dynamiq.broker.not_mapped');
      expect(error.message).toMatch(/an administrator must map it/);
    }
    expect(
      await h.database.prisma.cloudCredential.count({
        where: { userId: b.user.id, provider: 'gcp' },
      }),
    ).toBe(0);
  });

  it('issues nothing for a stored impersonation the user has no mapping for', async () => {
    // As registered before mappings existed: the broker checks again when issuing.
    await h.database.prisma.cloudCredential.create({
      data: {
        userId: b.user.id,
        provider: 'gcp',
        name: 'stolen',
        config: {
          mode: 'impersonate',
          serviceAccount: A_SA,
          projectId: null,
          scopes: ['https://www.googleapis.com/auth/cloud-platform'],
          lifetimeSeconds: 3600,
        },
      },
    });
    const before = google.issued.size;
    const res = await brokerCall(h, 'gcp', await sandboxToken(b.user.id, [{ provider: 'gcp' }]));
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('dynamiq.broker.not_mapped');
    expect(google.issued.size).toBe(before);
  });

  it('impersonates for the mapped user, and stops at once when the mapping is removed', async () => {
    const created = await h.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'deployer', targetServiceAccount: A_SA },
    });
    expect(created.status).toBe(201);
    const t = await sandboxToken(h.admin.id, [{ provider: 'gcp' }]);
    const ok = await brokerCall(h, 'gcp', t);
    expect(ok.status).toBe(200);
    expect(google.issued.get(((await ok.json()) as GcpAccessToken).accessToken)).toMatchObject({
      serviceAccount: A_SA,
      via: 'impersonation',
    });

    expect((await h.api(grantPath(h.admin.id), { method: 'DELETE' })).status).toBe(204);
    expect((await h.api(grantPath(h.admin.id), { method: 'DELETE' })).status).toBe(404);
    const refused = await brokerCall(h, 'gcp', t);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('dynamiq.broker.not_mapped');
  });

  it("leaves a key file the user's own: no mapping needed", async () => {
    const key = google.newServiceAccountKey('bob-own@bob-project.iam.gserviceaccount.com');
    const res = await b.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'own', serviceAccountKey: key },
    });
    expect(res.status).toBe(201);
    const issued = await brokerCall(
      h,
      'gcp',
      await sandboxToken(b.user.id, [{ provider: 'gcp', name: 'own' }]),
      { name: 'own' },
    );
    expect(issued.status).toBe(200);
  });
});
