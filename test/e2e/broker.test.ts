import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAccountClient } from '../../broker/index.js';
import type { CredentialProcessOutput, GcpAccessToken } from '../../broker/index.js';
import { mintSandboxToken } from '../../lib/sandbox-access/index.js';
import type { CloudGrant } from '../../lib/sandbox-access/index.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../lib/sandbox-access/index.js';
import { startFakeSts } from '../fakes/aws-sts/index.js';
import type { FakeSts } from '../fakes/aws-sts/index.js';
import { startFakeGoogle } from '../fakes/google/index.js';
import type { FakeGoogle } from '../fakes/google/index.js';
import { brokerCall, startBrokerHarness } from './broker-harness.js';
import type { BrokerHarness } from './broker-harness.js';

const ROLE = 'arn:aws:iam::123456789012:role/dynamiq-readonly';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/no-trust';
// The administrator's server-issued external id, read once the harness is up.
let EXTERNAL_ID: string;
const BASE = { accessKeyId: 'AKIAPLATFORM00000001', secretAccessKey: `base-${randomUUID()}` };
const USER_SA = 'reader@dynamiq-test.iam.gserviceaccount.com';
const TARGET_SA = 'deployer@dynamiq-test.iam.gserviceaccount.com';
const PLATFORM_SA = 'platform@dynamiq-host.iam.gserviceaccount.com';

let sts: FakeSts;
let google: FakeGoogle;
let h: BrokerHarness;
let clock = Date.now();
const conversationId = randomUUID();

const token = (clouds: CloudGrant[], extra: { now?: Date; ttlSeconds?: number } = {}) =>
  mintSandboxToken(
    { userId: h.admin.id, conversationId, sandboxId: 'sbx-test', clouds },
    h.jwtSecret,
    extra,
  );

async function audits(limit = 100) {
  const res = await h.api(`/api/audit?limit=${limit}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: Array<Record<string, unknown>> }).events;
}

beforeAll(async () => {
  sts = await startFakeSts({
    base: BASE,
    roles: { [OTHER_ROLE]: { externalId: 'something-else' } },
  });
  google = await startFakeGoogle({ impersonation: { [TARGET_SA]: [PLATFORM_SA] } });
  const platformKey = google.newServiceAccountKey(PLATFORM_SA, 'dynamiq-host');
  h = await startBrokerHarness({
    aws: { endpoint: sts.url, region: 'us-east-1', credentials: BASE, now: () => clock },
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
  const trust = (await (await h.api('/api/cloud/aws/external-id')).json()) as {
    externalId: string;
  };
  EXTERNAL_ID = trust.externalId;
  // The trust policy README shows: this user's external id and session tag.
  sts.setRole(ROLE, { externalId: EXTERNAL_ID, dynamiqUser: h.admin.id });
  const mapped = await h.api(
    `/api/admin/users/${h.admin.id}/gcp-service-accounts/${encodeURIComponent(TARGET_SA)}`,
    { method: 'PUT' },
  );
  expect(mapped.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
  await sts?.close();
  await google?.close();
});

describe('cloud credentials API', () => {
  it("stores an AWS role, shows the user's server-issued external id, and refuses a client's", async () => {
    const bad = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'prod', roleArn: 'arn:aws:iam::123:user/x', region: 'eu-west-1' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/roleArn.*IAM role ARN/);
    const short = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'prod', roleArn: ROLE, region: 'eu-west-1', sessionDurationSeconds: 600 },
    });
    expect(short.status).toBe(400);

    const chosen = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'prod', roleArn: ROLE, externalId: EXTERNAL_ID, region: 'eu-west-1' },
    });
    expect(chosen.status).toBe(400);
    expect(await chosen.text()).toMatch(/body\.externalId: is issued by the server/);

    const res = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'prod', roleArn: ROLE, region: 'eu-west-1' },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { credential: unknown }).credential).toMatchObject({
      provider: 'aws',
      name: 'prod',
      hasSecret: false,
      externalId: EXTERNAL_ID,
      config: { roleArn: ROLE, region: 'eu-west-1', sessionDurationSeconds: 3600 },
    });
    expect(EXTERNAL_ID).toMatch(/^[\w-]{43}$/);
    // Immutable: asked again, the same id.
    expect(await (await h.api('/api/cloud/aws/external-id')).json()).toEqual({
      externalId: EXTERNAL_ID,
      principal: 'arn:aws:iam::000000000000:user/dynamiq-platform',
      sessionTags: { 'dynamiq:user': h.admin.id },
    });

    const dup = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'prod', roleArn: ROLE, region: 'eu-west-1' },
    });
    expect(dup.status).toBe(409);
    const other = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'untrusted', roleArn: OTHER_ROLE, region: 'eu-west-1' },
    });
    expect(other.status).toBe(201);
  });

  it('stores a GCP key (sealed) or an account to impersonate, and lists both without secrets', async () => {
    const key = google.newServiceAccountKey(USER_SA);
    const both = await h.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'x', serviceAccountKey: key, targetServiceAccount: TARGET_SA },
    });
    expect(both.status).toBe(400);
    const notAKey = await h.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'x', serviceAccountKey: { ...key, private_key: 'nope' } },
    });
    expect(notAKey.status).toBe(400);
    const created = await h.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'reader', serviceAccountKey: JSON.stringify(key) },
    });
    expect(created.status).toBe(201);
    const impersonate = await h.api('/api/cloud/credentials/gcp', {
      method: 'POST',
      json: { name: 'deployer', targetServiceAccount: TARGET_SA, lifetimeSeconds: 1800 },
    });
    expect(impersonate.status).toBe(201);

    const list = await h.api('/api/cloud/credentials');
    const text = await list.text();
    expect(text).not.toContain('PRIVATE KEY');
    const names = (
      JSON.parse(text) as { credentials: Array<{ provider: string; name: string }> }
    ).credentials.map((c) => `${c.provider}:${c.name}`);
    expect(names).toEqual(['aws:prod', 'aws:untrusted', 'gcp:deployer', 'gcp:reader']);
    expect((await fetch(`${h.url}/api/cloud/credentials`)).status).toBe(401);
  });

  it('deletes a credential once; a second delete is 404', async () => {
    const res = await h.api('/api/cloud/credentials/aws', {
      method: 'POST',
      json: { name: 'gone', roleArn: ROLE, region: 'us-east-1' },
    });
    const { id } = ((await res.json()) as { credential: { id: string } }).credential;
    expect((await h.api(`/api/cloud/credentials/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.api(`/api/cloud/credentials/${id}`, { method: 'DELETE' })).status).toBe(404);
    const t = await token([{ provider: 'aws', name: 'gone' }]);
    expect((await brokerCall(h, 'aws', t)).status).toBe(404);
  });
});

describe('AWS credentials for a sandbox', () => {
  it('assumes the role with the external id, session name, tags and the shortest duration', async () => {
    const res = await brokerCall(h, 'aws', await token([{ provider: 'aws', name: 'prod' }]));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const out = (await res.json()) as CredentialProcessOutput;
    const call = sts.assumeRoleCalls.at(-1)!;
    expect(call).toMatchObject({
      roleArn: ROLE,
      externalId: EXTERNAL_ID,
      durationSeconds: 900,
      signedBy: BASE.accessKeyId,
      tags: { 'dynamiq:user': h.admin.id, 'dynamiq:conversation': conversationId },
    });
    expect(call.roleSessionName.length).toBeLessThanOrEqual(64);
    expect(call.roleSessionName).toMatch(/^dq\.[0-9a-f]{28}\.[0-9a-f]{31}$/);
    const session = sts.issued.get(out.AccessKeyId)!;
    expect(out).toEqual({
      Version: 1,
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: session.expiresAt.toISOString(),
    });
  });

  it('serves the cache until five minutes before expiry, then refreshes, auditing each', async () => {
    const calls = sts.assumeRoleCalls.length;
    const t = await token([{ provider: 'aws' }]);
    const first = (await (
      await brokerCall(h, 'aws', t, { name: 'prod' })
    ).json()) as CredentialProcessOutput;
    expect(sts.assumeRoleCalls.length).toBe(calls);
    clock += 11 * 60_000;
    const second = (await (
      await brokerCall(h, 'aws', t, { name: 'prod' })
    ).json()) as CredentialProcessOutput;
    expect(sts.assumeRoleCalls.length).toBe(calls + 1);
    expect(second.AccessKeyId).not.toBe(first.AccessKeyId);
    const [refreshed, cached] = await audits(2);
    expect(refreshed).toMatchObject({
      action: 'credential.refreshed',
      outcome: 'ok',
      target: 'aws',
    });
    expect(cached).toMatchObject({ action: 'credential.issued', detail: { cached: true } });
  });

  it('passes on an STS refusal as 403 and audits it', async () => {
    const res = await brokerCall(h, 'aws', await token([{ provider: 'aws', name: 'untrusted' }]));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'dynamiq.broker.upstream_refused',
    );
    expect((await audits(1))[0]).toMatchObject({
      action: 'credential.refused',
      outcome: 'refused',
      detail: { reason: 'upstream_refused' },
    });
  });
});

describe('GCP access tokens for a sandbox', () => {
  it('signs a JWT with the stored key and returns the token Google issued', async () => {
    const res = await brokerCall(h, 'gcp', await token([{ provider: 'gcp', name: 'reader' }]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as GcpAccessToken;
    expect(google.issued.get(body.accessToken)).toMatchObject({
      serviceAccount: USER_SA,
      via: 'jwt-bearer',
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    const lifetime = new Date(body.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
  });

  it('impersonates the target account with the platform identity, within its lifetime', async () => {
    const res = await brokerCall(h, 'gcp', await token([{ provider: 'gcp', name: 'deployer' }]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as GcpAccessToken;
    expect(google.issued.get(body.accessToken)).toMatchObject({
      serviceAccount: TARGET_SA,
      via: 'impersonation',
    });
    const lifetime = new Date(body.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeLessThanOrEqual(1800_000);
    expect(lifetime).toBeGreaterThan(1700_000);
  });
});

describe('refused sandbox tokens', () => {
  async function expectRefused(
    t: string | undefined,
    status: number,
    reason: string,
    userId: string | null,
    body: object = { name: 'prod' },
  ) {
    // Whatever earlier requests queued is written first, so the count below is this request's.
    await h.broker.audit.flush();
    const rowsBefore = await h.database.prisma.auditEvent.count();
    const res = await brokerCall(h, 'aws', t, body);
    expect(res.status).toBe(status);
    if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
    // The answer carries the namespaced code; the audit record its short reason.
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      `dynamiq.broker.${reason}`,
    );
    if (userId === null) {
      // No valid token: no row of its own, only a count in the minute's summary row.
      expect(await h.database.prisma.auditEvent.count()).toBe(rowsBefore);
      await h.broker.audit.flush();
      const row = await h.database.prisma.auditEvent.findFirstOrThrow({
        orderBy: { at: 'desc' },
      });
      expect(row).toMatchObject({
        action: 'credential.refused_unauthenticated',
        outcome: 'refused',
        target: 'aws',
        userId: null,
      });
      expect(row.detail).toMatchObject({ count: 1, [reason]: 1 });
      return;
    }
    const row = await h.database.prisma.auditEvent.findFirstOrThrow({ orderBy: { at: 'desc' } });
    expect(row).toMatchObject({ action: 'credential.refused', outcome: 'refused', userId });
    expect(row.detail).toMatchObject({ reason });
  }

  it('refuses a missing, forged or wrong-audience token (401) and counts it without a user', async () => {
    await expectRefused(undefined, 401, 'missing_token', null);
    const forged = await mintSandboxToken(
      { userId: h.admin.id, conversationId, sandboxId: 's', clouds: [{ provider: 'aws' }] },
      'an-attacker-secret-that-is-long-enough-000',
    );
    await expectRefused(forged, 401, 'invalid_signature', null);
    const portal = await new SignJWT({
      conversation_id: 'c',
      sandbox_id: 's',
      scopes: { apps: ['aws'], operations: ['aws:credentials'] },
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(h.admin.id)
      .setJti('j')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setAudience('dynamiq-portal')
      .setIssuer('dynamiq')
      .sign(new TextEncoder().encode(h.jwtSecret));
    await expectRefused(portal, 401, 'wrong_audience', null);
  });

  it('refuses an expired token, and one replayed after its expiry that worked before', async () => {
    const expired = await token([{ provider: 'aws' }], {
      now: new Date(Date.now() - 10 * 60_000),
    });
    await expectRefused(expired, 401, 'expired', null);

    // Issued so that it expires (tolerance included) 1.5 s from now.
    const ttl = 60;
    const soon = await token([{ provider: 'aws' }], {
      ttlSeconds: ttl,
      now: new Date(Date.now() - (ttl + CLOCK_TOLERANCE_SECONDS) * 1000 + 1500),
    });
    expect((await brokerCall(h, 'aws', soon, { name: 'prod' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    await expectRefused(soon, 401, 'expired', null);
  });

  it('refuses an out-of-scope token (403) and audits it with the user', async () => {
    await expectRefused(await token([{ provider: 'gcp' }]), 403, 'out_of_scope', h.admin.id);
    await expectRefused(
      await token([{ provider: 'aws', name: 'staging' }]),
      403,
      'out_of_scope',
      h.admin.id,
    );
    await expectRefused(
      await token([{ provider: 'aws', name: 'untrusted' }]),
      403,
      'out_of_scope',
      h.admin.id,
      { name: 'prod' },
    );
  });
});

describe('audit trail', () => {
  it("lists the user's events newest first, limited and paged", async () => {
    const page = await audits(3);
    expect(page).toHaveLength(3);
    const times = page.map((e) => Date.parse(e.at as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const res = await h.api(
      `/api/audit?limit=2&before=${encodeURIComponent(page[1]!.at as string)}`,
    );
    const older = ((await res.json()) as { events: Array<{ at: string }> }).events;
    expect(Date.parse(older[0]!.at)).toBeLessThan(times[1]!);
    expect((await h.api('/api/audit?limit=0')).status).toBe(400);
  });
});
