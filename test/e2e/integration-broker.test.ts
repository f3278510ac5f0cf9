// CLI and API integrations from inside a real bubblewrap sandbox, through the product's own
// routes: a CLI gets its key per run from the broker (a long-lived key only with the user's
// consent), and an api integration is called through the proxy, which adds the keys itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandCredentials } from '../../activities/sandbox/command-credentials.js';
import {
  HELPERS_DIR,
  LocalSandboxProvider,
  destinationOfUrl,
} from '../../activities/sandbox/index.js';
import type { LocalSandbox } from '../../activities/sandbox/index.js';
import { SHIM_DIR, mintSandboxToken } from '../../lib/sandbox-access/index.js';
import { startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { startFakeKeyApi } from '../fakes/oauth/key-api.js';
import { startFakeOAuthProvider } from '../fakes/oauth/provider.js';
import type { FakeOAuthProvider } from '../fakes/oauth/provider.js';

const NEON_KEY = `neon_${randomBytes(12).toString('hex')}`;
const DD = {
  apiKey: `dd_api_${randomBytes(8).toString('hex')}`,
  appKey: `dd_app_${randomBytes(8).toString('hex')}`,
};
const JWT_SECRET = randomBytes(32).toString('hex');

let vendor: Awaited<ReturnType<typeof startFakeKeyApi>>;
let github: FakeOAuthProvider;
let app: TestApp;
let dataDir: string;
let sbx: LocalSandbox;
let credentials: CommandCredentials;
let conversationId: string;

/** Runs `command` in the sandbox the way the runCommand activity does: fresh token, shims. */
async function run(command: string) {
  const setup = await credentials.prepare(conversationId, sbx);
  return sbx.exec(setup.wrap(command), { env: setup.env, timeoutMs: 60_000 });
}

const auditOf = (target: string) =>
  app.database.prisma.auditEvent.findMany({
    where: { target, action: { startsWith: 'credential.' } },
    orderBy: { at: 'asc' },
  });

beforeAll(async () => {
  vendor = await startFakeKeyApi({
    accept: (req) =>
      req.headers.authorization === `Bearer ${NEON_KEY}` ||
      (req.headers['dd-api-key'] === DD.apiKey && req.headers['dd-application-key'] === DD.appKey),
    account: { id: 'u1', email: 'ops@example.com' },
  });
  // Access tokens that live 30 s: shorter than the refresh margin, so each use refreshes.
  github = await startFakeOAuthProvider({ dialect: 'github', accessTokenTtl: 30, login: 'octo' });
  app = await startTestApp({
    JWT_SECRET,
    OAUTH_GITHUB_CLIENT_ID: github.clientId,
    OAUTH_GITHUB_CLIENT_SECRET: github.clientSecret,
    INTEGRATION_ENDPOINTS: JSON.stringify({
      neon: { apiBaseUrl: `${vendor.baseUrl}/api/v2` },
      datadog: { apiBaseUrl: `${vendor.baseUrl}/dd` },
      github: {
        authorizeUrl: github.endpoints.authorizeUrl,
        tokenUrl: github.endpoints.tokenUrl,
        apiBaseUrl: github.endpoints.apiBaseUrl,
      },
    }),
  });
  // The browser's part of the OAuth dance: connect, the provider's consent, the callback.
  const connect = await app.api('/api/integrations/github/connect', { method: 'POST' });
  const { authorizeUrl } = (await connect.json()) as { authorizeUrl: string };
  const cookie = connect.headers.get('set-cookie')!.split(';')[0]!;
  const consent = await fetch(authorizeUrl, { redirect: 'manual' });
  // The redirect names PUBLIC_URL; this app listens on a free port instead.
  const callback = new URL(consent.headers.get('location')!);
  const back = await fetch(new URL(`${callback.pathname}${callback.search}`, app.url), {
    redirect: 'manual',
    headers: { cookie },
  });
  expect(back.status).toBe(302);
  for (const [id, creds] of [
    ['neon', { token: NEON_KEY }],
    ['datadog', DD],
  ] as const) {
    const res = await app.api(`/api/integrations/${id}/connect`, {
      method: 'POST',
      json: { credentials: creds },
    });
    expect(res.status).toBe(201);
  }
  const conversation = await app.database.prisma.conversation.create({
    data: {
      ownerId: app.admin.id,
      platform: 'web',
      workspaceId: 'w',
      channelId: 'c',
      threadId: randomUUID(),
      workflowId: `test-${randomUUID()}`,
    },
  });
  conversationId = conversation.id;
  dataDir = await mkdtemp(path.join(tmpdir(), 'dynamiq-intbroker-'));
  await chmod(dataDir, 0o711);
  sbx = await new LocalSandboxProvider({
    root: path.join(dataDir, 'sandboxes'),
    // The default network, with the broker allowed as production allows it.
    egress: { allowPerCommand: () => [destinationOfUrl(app.url)!] },
    readOnlyBinds: [{ source: HELPERS_DIR, target: '/opt/dynamiq/bin', onPath: true }],
  }).create();
  credentials = new CommandCredentials(app.database.prisma, {
    jwtSecret: JWT_SECRET,
    brokerUrl: () => app.url,
  });
  // A stand-in for the vendor's CLI: prints what the CLI would authenticate with.
  await sbx.writeFile('/work/bin/neonctl', '#!/bin/sh\necho "key=$NEON_API_KEY"\n');
  await sbx.exec('chmod +x /work/bin/neonctl');
}, 240_000);

afterAll(async () => {
  await sbx?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  await app?.close();
  await vendor?.close();
  await github?.close();
});

describe('CLI integrations get credentials per run', () => {
  it('puts a shim for each connected CLI first on PATH', async () => {
    const r = await run(`ls ${SHIM_DIR}; command -v neonctl; echo "$NEON_API_KEY"`);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('neonctl');
    // Datadog is an api integration: no CLI, no shim.
    expect(lines).not.toContain('datadog');
    expect(lines).toContain(`${SHIM_DIR}/neonctl`);
    // Nothing is in the environment until the CLI itself runs.
    expect(r.stdout).not.toContain(NEON_KEY);
  });

  it('refuses a long-lived key until the user consents, then hands it to that run only', async () => {
    const refused = await run('PATH="$PATH:/work/bin" neonctl');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('consent_required');
    expect(refused.stderr).toContain('Integrations → Neon');
    expect(refused.stdout).not.toContain(NEON_KEY);

    const consent = await app.api('/api/integrations/neon/sandbox-consent', {
      method: 'PUT',
      json: { allow: true },
    });
    expect(consent.status).toBe(200);
    const listed = await app.api('/api/integrations/neon');
    expect(((await listed.json()) as { integration: unknown }).integration).toMatchObject({
      longLivedKeyOnly: true,
      connection: { sandboxKeyConsentAt: expect.any(String) },
    });

    const allowed = await run('PATH="$PATH:/work/bin" neonctl; echo "after=$NEON_API_KEY"');
    expect(allowed.exitCode).toBe(0);
    expect(allowed.stdout).toContain(`key=${NEON_KEY}`);
    expect(allowed.stdout).toContain('after=\n');

    const withdrawn = await app.api('/api/integrations/neon/sandbox-consent', {
      method: 'PUT',
      json: { allow: false },
    });
    expect(withdrawn.status).toBe(200);
    expect((await run('PATH="$PATH:/work/bin" neonctl')).exitCode).toBe(1);

    const audit = await auditOf('neon');
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ['credential.refused', 'refused'],
      ['credential.issued', 'ok'],
      ['credential.refused', 'refused'],
    ]);
    expect(audit[1]).toMatchObject({ conversationId, sandboxId: sbx.id });
    expect(JSON.stringify(audit)).not.toContain(NEON_KEY);
  });

  it('gives the real gh a freshly refreshed OAuth token on each run, and nothing between runs', async () => {
    const first = await run('gh auth token; echo "between=$GH_TOKEN"');
    expect(first.exitCode).toBe(0);
    const second = await run('gh auth token');
    const tokens = [first.stdout.split('\n')[0], second.stdout.trim()];
    expect(first.stdout).toContain('between=\n');
    expect(tokens[0]).toMatch(/^gho_/);
    expect(tokens[1]).not.toBe(tokens[0]);
    for (const t of tokens) expect(github.issuedTokens()).toContain(t);
    const issued = (await auditOf('github')).filter((a) => a.action === 'credential.issued');
    expect(issued).toHaveLength(2);
  });

  it('refuses consent for an integration whose key never enters a sandbox', async () => {
    const res = await app.api('/api/integrations/datadog/sandbox-consent', {
      method: 'PUT',
      json: { allow: true },
    });
    expect(res.status).toBe(400);
  });
});

describe('the API proxy adds the keys server-side', () => {
  /** The proxied call's status and body, from curl in the sandbox. */
  const curl = async (
    pathAndQuery: string,
    auth = '-H "Authorization: Bearer $DYNAMIQ_SANDBOX_TOKEN"',
  ) => {
    const r = await run(
      `curl -s -w '\\n%{http_code}' ${auth} -H 'x-custom: kept' "$DYNAMIQ_API_PROXY/datadog${pathAndQuery}"`,
    );
    const lines = r.stdout.split('\n');
    return { status: lines.at(-1), body: lines.slice(0, -1).join('\n') };
  };

  it('forwards method, path, query and headers, with the keys added and the token removed', async () => {
    const before = vendor.requests.length;
    const r = await curl('/api/v1/validate?from=sandbox');
    expect(r.status).toBe('200');
    expect(r.body).toContain('ops@example.com');
    const seen = vendor.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/dd/api/v1/validate?from=sandbox' });
    expect(seen[0]!.headers).toMatchObject({
      'dd-api-key': DD.apiKey,
      'dd-application-key': DD.appKey,
      'x-custom': 'kept',
    });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('streams request bodies of any type through', async () => {
    const before = vendor.requests.length;
    const r = await run(
      `printf 'a,b\\n1,2\\n' | curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: text/csv' --data-binary @- -H "Authorization: Bearer $DYNAMIQ_SANDBOX_TOKEN" "$DYNAMIQ_API_PROXY/datadog/api/v2/series"`,
    );
    expect(r.stdout).toBe('200');
    expect(vendor.requests.slice(before)[0]).toMatchObject({
      method: 'POST',
      path: '/dd/api/v2/series',
      body: 'a,b\n1,2\n',
    });
  });

  it('keeps requests under the API base and refuses missing, forged and out-of-scope tokens', async () => {
    const before = vendor.requests.length;
    expect((await curl('/%2e%2e/%2e%2e/steal')).status).toBe('400');
    expect((await curl('/api/v1/validate', '')).status).toBe('401');
    expect(
      (await curl('/api/v1/validate', '-H "Authorization: Bearer forged.token.here"')).status,
    ).toBe('401');
    const noApps = await mintSandboxToken(
      { userId: app.admin.id, conversationId, sandboxId: sbx.id, operations: ['api:proxy'] },
      JWT_SECRET,
    );
    expect((await curl('/api/v1/validate', `-H "Authorization: Bearer ${noApps}"`)).status).toBe(
      '403',
    );
    expect(vendor.requests.length).toBe(before);
    // The out-of-scope token verified: audited with its user. The missing and forged ones name
    // no one: counted into the minute's summary row, never a row each.
    const refused = (await auditOf('datadog')).filter((a) => a.action === 'credential.refused');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(
      await app.database.prisma.auditEvent.count({
        where: { action: 'credential.refused', userId: null, target: 'datadog' },
      }),
    ).toBe(0);
  });

  it("leaves nothing of the user's keys where a command can read it", async () => {
    const r = await run(
      // Searched by prefix, so the command line itself holds no key.
      `env; cat ${SHIM_DIR}/* 2>/dev/null; ps -eo args; grep -rIh -e dd_ap -e neon_ -e gho_ /home /work /tmp 2>/dev/null; true`,
    );
    for (const secret of [DD.apiKey, DD.appKey, NEON_KEY, ...github.issuedTokens()]) {
      expect(r.stdout).not.toContain(secret);
    }
  });
});
